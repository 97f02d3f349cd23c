/**
 * Fits a `FeatureSpec` on the training split: numeric statistics (after the transform), category
 * vocabularies with counts, derived-column statistics, histograms for drift checks, then the column list with
 * each column's training mean (the explanation baseline), and the hash (`feature_schema`).
 */
import type { Fields } from "../sources/event.ts";
import { derivedByName, num } from "./derived.ts";
import { categoryKey, featurizeRows, transformValue } from "./featurize.ts";
import { canonicalJson, sha256Hex } from "./hash.ts";
import type { CategoricalStats, ColumnSpec, FeatureConfig, FeatureSpec, NumericStats } from "./spec.ts";

function numericStats(field: string, values: Float64Array, n: number, transform: NumericStats["transform"], bins: number): NumericStats {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (Number.isNaN(x)) continue;
    count++;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = count > 0 ? sum / count : 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (!Number.isNaN(x)) sq += (x - mean) * (x - mean);
  }
  const std0 = count > 1 ? Math.sqrt(sq / count) : 0;
  const std = std0 > 1e-12 ? std0 : 1;
  const lo = count > 0 ? min : 0;
  const hi = count > 0 && max > min ? max : lo + 1;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (Number.isNaN(x)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor(((x - lo) / (hi - lo)) * bins)))]!++;
  }
  return { field, transform, mean, std, missing_rate: n > 0 ? (n - count) / n : 0, histogram: { edges, counts } };
}

export function fitFeatureSpec(rows: readonly Fields[], config: FeatureConfig): FeatureSpec {
  const n = rows.length;
  if (n === 0) throw new Error("cannot fit features on zero rows");
  const values = new Float64Array(n);

  const numeric = config.numeric.map((field) => {
    for (let i = 0; i < n; i++) {
      const x = num(rows[i]![field]);
      values[i] = Number.isNaN(x) ? NaN : transformValue(x, "log1p");
    }
    return numericStats(field, values, n, "log1p", config.histogram_bins);
  });

  const categorical: CategoricalStats[] = config.categorical.map((field) => {
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const k = categoryKey(rows[i]![field]);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const kept = [...counts.entries()]
      .filter(([, c]) => c >= config.min_category_count)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, config.max_categories);
    const keptTotal = kept.reduce((s, [, c]) => s + c, 0);
    return { field, vocabulary: kept.map(([v]) => v), counts: kept.map(([, c]) => c), oov_count: n - keptTotal };
  });

  const defs = config.derived.map((name) => derivedByName(name));
  const derived_numeric: NumericStats[] = [];
  for (const d of defs) {
    const scratch = new Float64Array(d.outputs.length);
    const cols = d.outputs.map(() => new Float64Array(n));
    for (let i = 0; i < n; i++) {
      d.compute(rows[i]!, scratch, 0);
      for (let k = 0; k < d.outputs.length; k++) cols[k]![i] = scratch[k]!;
    }
    d.outputs.forEach((o, k) => {
      if (o.kind !== "numeric") return;
      const t = o.transform ?? "log1p";
      const v = cols[k]!;
      for (let i = 0; i < n; i++) if (!Number.isNaN(v[i]!)) v[i] = transformValue(v[i]!, t);
      derived_numeric.push(numericStats(o.name, v, n, t, config.histogram_bins));
    });
  }

  const columns: ColumnSpec[] = [];
  for (const s of numeric) {
    columns.push({ name: s.field, fields: [s.field], mean: 0 });
    columns.push({ name: `${s.field}:missing`, fields: [s.field], mean: 0 });
  }
  for (const c of categorical) {
    for (const v of c.vocabulary) columns.push({ name: `${c.field}=${v}`, fields: [c.field], mean: 0 });
    columns.push({ name: `${c.field}:oov`, fields: [c.field], mean: 0 });
  }
  for (const d of defs) for (const o of d.outputs) columns.push({ name: o.name, fields: [...d.fields], mean: 0 });

  const fields = [...new Set([...config.numeric, ...config.categorical, ...defs.flatMap((d) => d.fields)])];
  const spec: FeatureSpec = {
    schema_version: 1,
    config,
    numeric,
    categorical,
    derived: [...config.derived],
    derived_numeric,
    columns,
    fields,
    rows: n,
    hash: "",
  };
  // Column means over the training rows: the occlusion baseline of explanations.
  const x = featurizeRows(spec, rows);
  const w = columns.length;
  const sums = new Float64Array(w);
  for (let i = 0; i < n; i++) for (let j = 0; j < w; j++) sums[j]! += x[i * w + j]!;
  columns.forEach((c, j) => (c.mean = sums[j]! / n));
  spec.hash = specHash(spec);
  return spec;
}

/** `feature_schema`: hex SHA-256 of the canonical JSON of the spec without its hash. */
export function specHash(spec: FeatureSpec): string {
  const { hash: _hash, ...rest } = spec;
  return sha256Hex(canonicalJson(rest));
}
