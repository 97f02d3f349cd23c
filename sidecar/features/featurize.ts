/**
 * Event fields → one input row, using a fitted `FeatureSpec`. The hot path of scoring: the spec is compiled
 * once into a plan of flat typed arrays, and the per-event function does property reads, table lookups and
 * arithmetic only (no allocation, no closure per field).
 *
 * Column layout (the spec's `columns` lists the same, in order): per numeric field `[value, missing]`; per
 * categorical field one column per vocabulary entry then `:oov`; then the derived outputs; then, when the
 * spec has quantile bins (`numeric_bins`), the bin columns of each numeric field and each numeric derived
 * output, in that order. Every column is
 * written on every call, so `out` may be reused. Numbers given as strings and as numbers give the same row;
 * a value `toNumber` does not read as a number (absent, blank, `"-"`, garbage, non-finite) counts as missing
 * (imputed to the training mean, standardized 0, missing flag 1).
 * A categorical value is trimmed and lower-cased; an absent or blank one is the category `(missing)`, which
 * gets its own column when it was frequent enough in training and falls into `:oov` otherwise.
 * With `unfamiliar_as_missing` (see `FeatureConfig`), a value never seen in training is read as missing.
 */
import { toNumber, type FieldValue, type Fields } from "../sources/event.ts";
import { derivedByName } from "./derived.ts";
import type { FeatureSpec, NumericStats } from "./spec.ts";

export type Featurizer = (fields: Fields, out: Float32Array, offset: number) => void;

/** Missing category value: absent fields count as this category (often informative, e.g. Zeek's `service`). */
export const MISSING_CATEGORY = "(missing)";
/** Key of the column an unfamiliar category goes to (not a category: `categoryKey` never returns it). */
const UNFAMILIAR = "\u0000unfamiliar";

/** sign(x)·log1p(|x|) for `log1p`, x for `none`. */
export function transformValue(x: number, transform: NumericStats["transform"]): number {
  if (transform === "none") return x;
  return x < 0 ? -Math.log1p(-x) : Math.log1p(x);
}

/** Inverse of `transformValue`. */
function untransform(t: number, transform: NumericStats["transform"]): number {
  if (transform === "none") return t;
  return t < 0 ? -Math.expm1(-t) : Math.expm1(t);
}

/** The category key of a raw value: trimmed, lowercased; absent or blank is `MISSING_CATEGORY`. */
export function categoryKey(v: FieldValue | undefined): string {
  if (v === undefined) return MISSING_CATEGORY;
  const s = String(v).trim();
  return s === "" ? MISSING_CATEGORY : s.toLowerCase();
}

/** Most raw spellings a featurizer remembers per categorical field. */
const RAW_CACHE_LIMIT = 1024;

/** The source fields whose parsed number the plan needs, each parsed once per event. */
function slotTable(): { slots: string[]; slotOf: (field: string) => number } {
  const slots: string[] = [];
  const index = new Map<string, number>();
  return {
    slots,
    slotOf(field) {
      let s = index.get(field);
      if (s === undefined) {
        s = slots.length;
        slots.push(field);
        index.set(field, s);
      }
      return s;
    },
  };
}

/**
 * Compiles the spec into a featurizer. Throws when the spec is inconsistent (its statistics do not give the
 * columns it lists, or a derived feature is unknown to this version), so a model whose contract this code
 * cannot honour is refused at load time rather than scored wrongly.
 */
export function compileFeaturizer(spec: FeatureSpec): Featurizer {
  const { slots, slotOf } = slotTable();

  // Numeric fields: columns [2i, 2i + 1] = [standardized value, missing flag].
  const nNum = spec.numeric.length;
  const numSlot = Int32Array.from(spec.numeric, (s) => slotOf(s.field));
  const numMean = Float64Array.from(spec.numeric, (s) => s.mean);
  const numStd = Float64Array.from(spec.numeric, (s) => s.std);
  const numLog = Uint8Array.from(spec.numeric, (s) => (s.transform === "log1p" ? 1 : 0));
  // Familiar range of each numeric field, in raw units (the transforms are monotone): the training range in
  // transformed units widened by half its width on each side; ±Infinity when unfamiliar values are kept.
  const numLo = new Float64Array(nNum).fill(-Infinity);
  const numHi = new Float64Array(nNum).fill(Infinity);
  if (spec.config.unfamiliar_as_missing === true) {
    spec.numeric.forEach((s, i) => {
      const e = s.histogram.edges;
      const lo = e[0]!;
      const hi = e[e.length - 1]!;
      const margin = Math.max(0.5 * (hi - lo), 1);
      numLo[i] = untransform(lo - margin, s.transform);
      numHi[i] = untransform(hi + margin, s.transform);
    });
  }

  // Categorical fields: a block of vocabulary columns then `:oov`; the map gives the column inside the row.
  let col = 2 * nNum;
  const nCat = spec.categorical.length;
  const catField: string[] = [];
  const catIndex: Map<string, number>[] = [];
  // Raw string → column, for the raw spellings seen so far (`S0` for `s0`): saves the trim and lowercase on
  // every event. Starts with the vocabulary (already normalized) and stops growing at RAW_CACHE_LIMIT, so
  // high-cardinality garbage costs memory once, bounded.
  const catSeen: Map<string, number>[] = [];
  const catBase = new Int32Array(nCat);
  const catEnd = new Int32Array(nCat);
  const catOov = new Int32Array(nCat);
  const unfamiliarAsMissing = spec.config.unfamiliar_as_missing === true;
  spec.categorical.forEach((c, i) => {
    const index = new Map<string, number>();
    c.vocabulary.forEach((v, k) => index.set(v, col + k));
    if (unfamiliarAsMissing) {
      // Rare values go to `:oov` (what training did); anything else unfamiliar goes where missing goes.
      const oov = col + c.vocabulary.length;
      for (const v of c.rare ?? []) index.set(v, oov);
      index.set(UNFAMILIAR, index.get(MISSING_CATEGORY) ?? oov);
    }
    catField.push(c.field);
    catIndex.push(index);
    catSeen.push(new Map(index));
    catBase[i] = col;
    catOov[i] = col + c.vocabulary.length;
    col += c.vocabulary.length + 1;
    catEnd[i] = col;
  });

  // Derived features: each kernel reads its inputs from a per-feature gather of the parsed slots and writes
  // raw outputs into `raw`; numeric outputs are then transformed and standardized, flags copied.
  const derivedStats = new Map(spec.derived_numeric.map((s) => [s.field, s]));
  const defs = spec.derived.map((name) => derivedByName(name));
  const nDef = defs.length;
  const defX = defs.map((d) => new Float64Array(d.fields.length));
  const defGather = defs.map((d) => Int32Array.from(d.fields, (f, k) => (d.inputs[k] === "number" ? slotOf(f) : -1)));
  const defOffset = new Int32Array(nDef);
  const nOut = defs.reduce((n, d) => n + d.outputs.length, 0);
  const raw = new Float64Array(nOut);
  const outNumeric = new Uint8Array(nOut);
  const outLog = new Uint8Array(nOut);
  const outMean = new Float64Array(nOut);
  const outStd = new Float64Array(nOut).fill(1);
  let k = 0;
  defs.forEach((d, i) => {
    defOffset[i] = k;
    for (const o of d.outputs) {
      if (o.kind === "numeric") {
        const s = derivedStats.get(o.name);
        if (!s) throw new Error(`feature spec lacks statistics for derived column ${o.name}`);
        outNumeric[k] = 1;
        outLog[k] = s.transform === "log1p" ? 1 : 0;
        outMean[k] = s.mean;
        outStd[k] = s.std;
      }
      k++;
    }
  });
  const derivedBase = col;

  // Quantile bins (piecewise-linear encoding): per binned value, edges e_0 < … < e_m give m columns,
  // column t = clamp((v − e_{t−1}) / (e_t − e_{t−1}), 0, 1) of the transformed value v; all 0 when missing.
  // Sources are numeric fields (index i) then numeric derived outputs (index nNum + j).
  const binSource: number[] = [];
  const binLo: number[] = [];
  const binHi: number[] = [];
  const addBin = (source: number, lo: number, hi: number): void => {
    binSource.push(source);
    binLo.push(lo);
    binHi.push(hi);
  };
  spec.numeric.forEach((s, i) => {
    const e = s.bins ?? [];
    for (let t = 1; t < e.length; t++) addBin(i, e[t - 1]!, e[t]!);
  });
  const derivedIndex = new Map<string, number>();
  {
    let j = 0;
    for (const d of defs) for (const o of d.outputs) derivedIndex.set(o.name, j++);
  }
  for (const s of spec.derived_numeric) {
    const e = s.bins ?? [];
    for (let t = 1; t < e.length; t++) addBin(nNum + derivedIndex.get(s.field)!, e[t - 1]!, e[t]!);
  }
  const nBin = binSource.length;
  const binSrc = Int32Array.from(binSource);
  const binStart = Float64Array.from(binLo);
  const binInv = Float64Array.from(binLo, (lo, t) => 1 / (binHi[t]! - lo));
  /** Transformed (not standardized) values of the numeric fields then the derived outputs; NaN when missing. */
  const tv = new Float64Array(nNum + nOut);
  const binBase = derivedBase + nOut;
  const width = binBase + nBin;
  if (width !== spec.columns.length) {
    throw new Error(`feature spec is inconsistent: its statistics give ${width} columns but it lists ${spec.columns.length}`);
  }

  const nSlot = slots.length;
  const vals = new Float64Array(nSlot);

  return (f, out, offset) => {
    // Every number the spec reads, parsed once; NaN = missing (absent, blank or not a number).
    for (let s = 0; s < nSlot; s++) vals[s] = toNumber(f[slots[s]!]) ?? NaN;
    // A number far outside its training range is read as missing, here and in the derived features.
    for (let i = 0; i < nNum; i++) {
      const x = vals[numSlot[i]!]!;
      if (x < numLo[i]! || x > numHi[i]!) vals[numSlot[i]!] = NaN;
    }

    for (let i = 0; i < nNum; i++) {
      const x = vals[numSlot[i]!]!;
      const o = offset + 2 * i;
      if (x !== x) {
        out[o] = 0;
        out[o + 1] = 1;
      } else {
        const t = numLog[i] ? (x < 0 ? -Math.log1p(-x) : Math.log1p(x)) : x;
        tv[i] = t;
        out[o] = (t - numMean[i]!) / numStd[i]!;
        out[o + 1] = 0;
        continue;
      }
      tv[i] = NaN;
    }

    for (let c = 0; c < nCat; c++) {
      const end = offset + catEnd[c]!;
      for (let j = offset + catBase[c]!; j < end; j++) out[j] = 0;
      const v = f[catField[c]!];
      const seen = catSeen[c]!;
      let hit = typeof v === "string" ? seen.get(v) : undefined;
      if (hit === undefined) {
        const index = catIndex[c]!;
        hit = index.get(categoryKey(v)) ?? index.get(UNFAMILIAR) ?? catOov[c]!;
        if (typeof v === "string" && seen.size < RAW_CACHE_LIMIT) seen.set(v, hit);
      }
      out[offset + hit] = 1;
    }

    for (let d = 0; d < nDef; d++) {
      const x = defX[d]!;
      const gather = defGather[d]!;
      for (let j = 0; j < gather.length; j++) {
        const s = gather[j]!;
        x[j] = s >= 0 ? vals[s]! : NaN;
      }
      defs[d]!.kernel(x, f, raw, defOffset[d]!);
    }
    const base = offset + derivedBase;
    for (let j = 0; j < nOut; j++) {
      const x = raw[j]!;
      if (outNumeric[j] === 0) out[base + j] = x;
      else if (x !== x) {
        out[base + j] = 0;
        tv[nNum + j] = NaN;
      } else {
        const t = outLog[j] ? (x < 0 ? -Math.log1p(-x) : Math.log1p(x)) : x;
        tv[nNum + j] = t;
        out[base + j] = (t - outMean[j]!) / outStd[j]!;
      }
    }

    const bb = offset + binBase;
    for (let b = 0; b < nBin; b++) {
      const v = tv[binSrc[b]!]!;
      if (v !== v) out[bb + b] = 0;
      else {
        const u = (v - binStart[b]!) * binInv[b]!;
        out[bb + b] = u <= 0 ? 0 : u >= 1 ? 1 : u;
      }
    }
  };
}

/** Featurizes every row into one row-major matrix (`rows.length × spec.columns.length`). */
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
