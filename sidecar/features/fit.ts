/**
 * Fits a `FeatureSpec` on the training split: numeric statistics (after the transform), category
 * vocabularies with counts, derived-column statistics, histograms for drift checks, then the column list with
 * each column's training mean (the explanation baseline), and the hash (`feature_schema`).
 *
 * Two streaming passes over the rows, memory O(columns + distinct categories), never O(rows × columns):
 * pass 1 counts categories and accumulates mean, variance (Welford), min and max of every transformed numeric
 * value, and, when `numeric_bins` asks for quantile bins, a seeded reservoir sample of at most
 * `QUANTILE_SAMPLE` values per numeric value (exact quantiles up to that many rows; 0.5 MB per value); pass 2
 * fills the histograms (whose edges need the min and max) and featurizes each row with the finished spec to
 * get the column means.
 */
import { toNumber, type Fields } from "../sources/event.ts";
import { derivedByName } from "./derived.ts";
import { categoryKey, compileFeaturizer, transformValue } from "./featurize.ts";
import { canonicalJson, sha256Hex } from "./hash.ts";
import type { CategoricalStats, ColumnSpec, FeatureConfig, FeatureSpec, NumericStats } from "./spec.ts";

/** Running statistics of one transformed numeric value (NaN = missing). */
class Moments {
  count = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  add(x: number): void {
    if (x !== x) return;
    this.count++;
    const d = x - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }
}

/** Histogram range: [min, max] of the training values; a constant (or absent) value gets [v, v + 1]. */
function histogramRange(m: Moments): [number, number] {
  const lo = m.count > 0 ? m.min : 0;
  const hi = m.count > 0 && m.max > m.min ? m.max : lo + 1;
  return [lo, hi];
}

/** Rare categorical values remembered per field (`CategoricalStats.rare`). */
export const RARE_LIMIT = 1000;

/** Values kept per numeric value for its quantile bin edges: exact up to this many training rows. */
export const QUANTILE_SAMPLE = 65_536;

/**
 * A fixed-size uniform sample of a stream of values (reservoir sampling, algorithm R) with a seeded
 * generator, so the same rows give the same sample. Missing values (NaN) are not sampled.
 */
class Reservoir {
  readonly values = new Float64Array(QUANTILE_SAMPLE);
  size = 0;
  private seen = 0;
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  add(x: number): void {
    if (x !== x) return;
    this.seen++;
    if (this.size < QUANTILE_SAMPLE) {
      this.values[this.size++] = x;
      return;
    }
    const j = Math.floor(this.next() * this.seen);
    if (j < QUANTILE_SAMPLE) this.values[j] = x;
  }
  /** mulberry32. */
  private next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/**
 * Edges of up to `bins` quantile bins of `values`: the 0, 1/bins, …, 1 quantiles, repeats removed (a value
 * that fills several bins, such as a zero most rows have, becomes one edge). Fewer than two distinct values
 * give no edges, hence no bin columns.
 */
export function quantileEdges(values: Float64Array, bins: number): number[] {
  const m = values.length;
  if (m === 0 || bins < 1) return [];
  const sorted = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let k = 0; k <= bins; k++) {
    const v = sorted[Math.min(m - 1, Math.floor((k / bins) * (m - 1)))]!;
    if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
  }
  return edges.length >= 2 ? edges : [];
}

function binOf(x: number, lo: number, hi: number, bins: number): number {
  return Math.min(bins - 1, Math.max(0, Math.floor(((x - lo) / (hi - lo)) * bins)));
}

function validateConfig(config: FeatureConfig): void {
  const problems: string[] = [];
  if (!Number.isInteger(config.histogram_bins) || config.histogram_bins < 1) problems.push(`histogram_bins must be an integer >= 1, got ${config.histogram_bins}`);
  if (!Number.isInteger(config.max_categories) || config.max_categories < 0) problems.push(`max_categories must be an integer >= 0, got ${config.max_categories}`);
  if (config.numeric_bins !== undefined && !(Number.isInteger(config.numeric_bins) && config.numeric_bins >= 0)) {
    problems.push(`numeric_bins must be an integer >= 0, got ${config.numeric_bins}`);
  }
  if (!(config.min_category_count >= 0)) problems.push(`min_category_count must be >= 0, got ${config.min_category_count}`);
  const seen = new Set<string>();
  for (const f of [...config.numeric, ...config.categorical]) {
    if (seen.has(f)) problems.push(`field ${JSON.stringify(f)} is listed twice among numeric and categorical features`);
    seen.add(f);
  }
  if (problems.length > 0) throw new Error(`invalid feature config: ${problems.join("; ")}`);
}

/** The rows themselves when they can be iterated twice; a one-shot iterator (a generator) is collected first. */
function reiterable(rows: Iterable<Fields>): Iterable<Fields> {
  if (Array.isArray(rows)) return rows;
  // An iterator's [Symbol.iterator]() returns itself: it can be walked once only.
  const it: unknown = rows[Symbol.iterator]();
  return it === rows ? Array.from(rows) : rows;
}

/**
 * Fits the feature spec on `rows` (the training split). Accepts an array or any re-iterable collection; a
 * one-shot iterator is collected into an array first. Throws on zero rows, on an invalid config, on an
 * unknown derived feature, and when two columns would get the same name.
 */
export function fitFeatureSpec(rowsIn: Iterable<Fields>, configIn: FeatureConfig): FeatureSpec {
  validateConfig(configIn);
  const config: FeatureConfig = {
    ...configIn,
    numeric: [...configIn.numeric],
    categorical: [...configIn.categorical],
    derived: [...configIn.derived],
  };
  const rows = reiterable(rowsIn);
  const bins = config.histogram_bins;
  const defs = config.derived.map((name) => derivedByName(name));

  // Every transformed numeric value the spec standardizes: numeric fields, then the numeric derived outputs.
  const nNum = config.numeric.length;
  const derivedNumeric: { def: number; out: number; name: string; transform: NumericStats["transform"] }[] = [];
  defs.forEach((d, i) =>
    d.outputs.forEach((o, k) => {
      if (o.kind === "numeric") derivedNumeric.push({ def: i, out: k, name: o.name, transform: o.transform ?? "log1p" });
    }),
  );
  const defOffset: number[] = [];
  let nRaw = 0;
  for (const d of defs) {
    defOffset.push(nRaw);
    nRaw += d.outputs.length;
  }
  const raw = new Float64Array(nRaw);
  const values = new Float64Array(nNum + derivedNumeric.length);
  const read = (f: Fields): void => {
    for (let i = 0; i < nNum; i++) {
      const x = toNumber(f[config.numeric[i]!]);
      values[i] = x === undefined ? NaN : transformValue(x, "log1p");
    }
    for (let i = 0; i < defs.length; i++) defs[i]!.compute(f, raw, defOffset[i]!);
    derivedNumeric.forEach((o, j) => {
      const x = raw[defOffset[o.def]! + o.out]!;
      values[nNum + j] = x !== x ? NaN : transformValue(x, o.transform);
    });
  };

  // Pass 1: moments, category counts, and a bounded sample of each value for its quantile bins.
  const quantileBins = config.numeric_bins ?? 0;
  const moments = Array.from(values, () => new Moments());
  const samples = quantileBins > 0 ? Array.from(values, (_, j) => new Reservoir(j + 1)) : [];
  const catCounts = config.categorical.map(() => new Map<string, number>());
  let n = 0;
  for (const f of rows) {
    n++;
    read(f);
    for (let j = 0; j < values.length; j++) moments[j]!.add(values[j]!);
    for (let j = 0; j < samples.length; j++) samples[j]!.add(values[j]!);
    config.categorical.forEach((field, c) => {
      const k = categoryKey(f[field]);
      catCounts[c]!.set(k, (catCounts[c]!.get(k) ?? 0) + 1);
    });
  }
  if (n === 0) throw new Error("cannot fit features on zero rows");

  const stats = moments.map((m, j): NumericStats => {
    const field = j < nNum ? config.numeric[j]! : derivedNumeric[j - nNum]!.name;
    const transform = j < nNum ? "log1p" : derivedNumeric[j - nNum]!.transform;
    // Population standard deviation; a constant (or all-missing) value gets 1 so standardizing is a no-op.
    const std0 = m.count > 1 ? Math.sqrt(m.m2 / m.count) : 0;
    const [lo, hi] = histogramRange(m);
    const s: NumericStats = {
      field,
      transform,
      mean: m.count > 0 ? m.mean : 0,
      std: std0 > 1e-12 ? std0 : 1,
      missing_rate: (n - m.count) / n,
      histogram: { edges: Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins), counts: new Array<number>(bins).fill(0) },
    };
    if (quantileBins > 0) s.bins = quantileEdges(samples[j]!.values.subarray(0, samples[j]!.size), quantileBins);
    return s;
  });
  const numeric = stats.slice(0, nNum);
  const derived_numeric = stats.slice(nNum);

  // Vocabulary: count >= min_category_count, most frequent first, ties by value; at most max_categories.
  const categorical: CategoricalStats[] = config.categorical.map((field, c) => {
    const kept = [...catCounts[c]!.entries()]
      .filter(([, k]) => k >= config.min_category_count)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, config.max_categories);
    const keptTotal = kept.reduce((s, [, k]) => s + k, 0);
    const stats: CategoricalStats = { field, vocabulary: kept.map(([v]) => v), counts: kept.map(([, k]) => k), oov_count: n - keptTotal };
    if (config.unfamiliar_as_missing) {
      const inVocabulary = new Set(stats.vocabulary);
      // The most frequent rare values when there are more than the limit; the rest count as unfamiliar.
      stats.rare = [...catCounts[c]!.entries()]
        .filter(([v]) => !inVocabulary.has(v))
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .slice(0, RARE_LIMIT)
        .map(([v]) => v)
        .sort();
    }
    return stats;
  });

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
  // Quantile-bin columns come last: numeric fields, then numeric derived outputs; each reads what its value reads.
  for (const s of numeric) for (let t = 1; t < (s.bins?.length ?? 0); t++) columns.push({ name: `${s.field}:q${t}`, fields: [s.field], mean: 0 });
  derived_numeric.forEach((s, j) => {
    const d = defs[derivedNumeric[j]!.def]!;
    for (let t = 1; t < (s.bins?.length ?? 0); t++) columns.push({ name: `${s.field}:q${t}`, fields: [...d.fields], mean: 0 });
  });
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name)) throw new Error(`feature config gives two columns named ${JSON.stringify(c.name)}; drop one of the features that make it`);
    names.add(c.name);
  }

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

  // Pass 2: histograms, and the column means of the featurized rows (the occlusion baseline of explanations).
  const featurize = compileFeaturizer(spec);
  const w = columns.length;
  const row = new Float32Array(w);
  const sums = new Float64Array(w);
  const ranges = moments.map(histogramRange);
  let n2 = 0;
  for (const f of rows) {
    n2++;
    read(f);
    for (let j = 0; j < values.length; j++) {
      const x = values[j]!;
      if (x === x) stats[j]!.histogram.counts[binOf(x, ranges[j]![0], ranges[j]![1], bins)]!++;
    }
    featurize(f, row, 0);
    for (let j = 0; j < w; j++) sums[j]! += row[j]!;
  }
  if (n2 !== n) throw new Error(`the training rows changed between the two fitting passes (${n} then ${n2}); pass an array`);
  columns.forEach((c, j) => (c.mean = sums[j]! / n));
  spec.hash = specHash(spec);
  return spec;
}

/** `feature_schema`: hex SHA-256 of the canonical JSON of the spec without its hash. */
export function specHash(spec: FeatureSpec): string {
  const { hash: _hash, ...rest } = spec;
  return sha256Hex(canonicalJson(rest));
}
