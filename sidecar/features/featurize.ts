/**
 * Event fields → one input row, using a fitted `FeatureSpec`. The hot path of scoring: the spec is compiled
 * once into flat arrays, and the per-event function does table lookups and arithmetic only.
 *
 * Column layout (the spec's `columns` lists the same, in order): per numeric field `[value, missing]`; per
 * categorical field one column per vocabulary entry then `:oov`; then the derived outputs. Every column is
 * written on every call, so `out` may be reused. Numbers given as strings and as numbers give the same row;
 * anything that is not a finite number counts as missing (imputed to the training mean, standardized 0).
 */
import type { Fields } from "../sources/event.ts";
import { derivedByName, num } from "./derived.ts";
import type { FeatureSpec, NumericStats } from "./spec.ts";

export type Featurizer = (fields: Fields, out: Float32Array, offset: number) => void;

/** Missing category value: absent fields count as this category (often informative, e.g. Zeek's `service`). */
export const MISSING_CATEGORY = "(missing)";

export function transformValue(x: number, transform: NumericStats["transform"]): number {
  if (transform === "none") return x;
  return x < 0 ? -Math.log1p(-x) : Math.log1p(x);
}

/** The category key of a raw value: trimmed, lowercased; absent or empty is `MISSING_CATEGORY`. */
export function categoryKey(v: string | number | undefined): string {
  if (v === undefined) return MISSING_CATEGORY;
  const s = String(v).trim();
  return s === "" ? MISSING_CATEGORY : s.toLowerCase();
}

export function compileFeaturizer(spec: FeatureSpec): Featurizer {
  const nNum = spec.numeric.length;
  const numFields = spec.numeric.map((s) => s.field);
  const numMean = Float64Array.from(spec.numeric, (s) => s.mean);
  const numStd = Float64Array.from(spec.numeric, (s) => s.std);
  const numLog = Uint8Array.from(spec.numeric, (s) => (s.transform === "log1p" ? 1 : 0));

  let col = 2 * nNum;
  const cats = spec.categorical.map((c) => {
    const base = col;
    const index = new Map<string, number>();
    c.vocabulary.forEach((v, i) => index.set(v, base + i));
    col += c.vocabulary.length + 1;
    return { field: c.field, base, size: c.vocabulary.length + 1, index, oov: base + c.vocabulary.length };
  });

  const derivedStats = new Map(spec.derived_numeric.map((s) => [s.field, s]));
  const defs = spec.derived.map((name) => derivedByName(name));
  const nOut = defs.reduce((n, d) => n + d.outputs.length, 0);
  const scratch = new Float64Array(nOut);
  const outKind = new Uint8Array(nOut); // 0 flag, 1 numeric
  const outLog = new Uint8Array(nOut);
  const outMean = new Float64Array(nOut);
  const outStd = new Float64Array(nOut).fill(1);
  const defOffsets: number[] = [];
  let k = 0;
  for (const d of defs) {
    defOffsets.push(k);
    for (const o of d.outputs) {
      if (o.kind === "numeric") {
        const s = derivedStats.get(o.name);
        if (!s) throw new Error(`feature spec lacks statistics for derived column ${o.name}`);
        outKind[k] = 1;
        outLog[k] = s.transform === "log1p" ? 1 : 0;
        outMean[k] = s.mean;
        outStd[k] = s.std;
      }
      k++;
    }
  }
  const derivedBase = col;
  const width = derivedBase + nOut;
  if (width !== spec.columns.length) {
    throw new Error(`feature spec is inconsistent: its statistics give ${width} columns but it lists ${spec.columns.length}`);
  }

  return (f, out, offset) => {
    for (let i = 0; i < nNum; i++) {
      const x = num(f[numFields[i]!]);
      const o = offset + 2 * i;
      if (Number.isNaN(x)) {
        out[o] = 0;
        out[o + 1] = 1;
      } else {
        const t = numLog[i] ? (x < 0 ? -Math.log1p(-x) : Math.log1p(x)) : x;
        out[o] = (t - numMean[i]!) / numStd[i]!;
        out[o + 1] = 0;
      }
    }
    for (let c = 0; c < cats.length; c++) {
      const cat = cats[c]!;
      out.fill(0, offset + cat.base, offset + cat.base + cat.size);
      const hit = cat.index.get(categoryKey(f[cat.field]));
      out[offset + (hit ?? cat.oov)] = 1;
    }
    for (let d = 0; d < defs.length; d++) defs[d]!.compute(f, scratch, defOffsets[d]!);
    for (let j = 0; j < nOut; j++) {
      const x = scratch[j]!;
      const o = offset + derivedBase + j;
      if (outKind[j] === 0) out[o] = x;
      else if (Number.isNaN(x)) out[o] = 0;
      else out[o] = ((outLog[j] ? (x < 0 ? -Math.log1p(-x) : Math.log1p(x)) : x) - outMean[j]!) / outStd[j]!;
    }
  };
}

/** Featurizes every row into one row-major matrix. */
export function featurizeRows(spec: FeatureSpec, rows: readonly Fields[]): Float32Array {
  const w = spec.columns.length;
  const out = new Float32Array(rows.length * w);
  const f = compileFeaturizer(spec);
  for (let i = 0; i < rows.length; i++) f(rows[i]!, out, i * w);
  return out;
}

/** The spec's source fields that `available` lacks, sorted. */
export function missingFields(spec: Pick<FeatureSpec, "fields">, available: Iterable<string>): string[] {
  const have = new Set(available);
  return spec.fields.filter((f) => !have.has(f)).sort();
}
