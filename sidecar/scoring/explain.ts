/**
 * Per-event explanations by occlusion against the training mean, summed per source field.
 *
 * contribution(field) = s(x) − s(x with every column computed from `field` set to its training mean), with `s`
 * the scoring function (the pipeline uses calibrated log-odds, see `load.ts`). A field's one-hot columns,
 * missing flag and the derived columns it feeds are occluded together, so their effect is attributed to the
 * field by construction (a derived column fed by two fields is occluded with each of them). Cost: (fields + 1)
 * forward passes per explained event, all variants of a chunk of events scored in one call. ADR 0006 says why
 * occlusion and not gradient × input.
 *
 * Two entry points give the same lists for the same scores: `explain` (async scoring function, e.g. a pool's;
 * builds the variants here) and `top` + `fromTop` (a synchronous scoring function, run where the scorer is: the
 * pool's workers build the variants and rank them, and send back only the top K per event, ADR 0009).
 *
 * Contract: pure given the scoring function; `s(x)` comes from the same pass as the occluded variants, so
 * contributions are consistent with each other; the top list is sorted by contribution, descending (ties in
 * spec order), holds at most `topK` fields, each with contribution > 0 (rounded to 6 decimals), and the
 * event's value of the field: for a numeric field the number the featurizer read (`toNumber`), null when it
 * is absent or blank, and the raw string when it is present but not a number (read as missing); for other
 * fields the value as the source gave it, or null when absent.
 */
import type { TopFeature } from "../contract/index.ts";
import type { FeatureSpec } from "../features/spec.ts";
import { toNumber, type FieldValue, type Fields } from "../sources/event.ts";
import { riskScore } from "./risk.ts";

/** Scores rows of the model's input: a `Scorer`'s `score` or `scoreLogit`, or a pool's. */
export type ScoreFn = (x: Float32Array, rows: number) => Float32Array | Promise<Float32Array>;

/** A batch scored, with the rows at or above a risk score explained (`Explainer.assess`). */
export interface Assessment {
  /** Calibrated probabilities of every row. */
  probs: Float32Array;
  /** Rows whose risk score is at least the threshold, ascending. */
  keep: Int32Array;
  /** Their top fields, row j of `top` for row `keep[j]`. */
  top: TopContributions;
}

/** The top fields of `rows` events by field index: row i's are `fields[i·k + j]` (-1 after the last) with `contributions[i·k + j]`. */
export interface TopContributions {
  rows: number;
  k: number;
  /** Index into `Explainer.fields`, or -1. */
  fields: Int16Array;
  /** Rounded to 6 decimals, as in the risk event. */
  contributions: Float64Array;
}

/** What an explainer reads of a feature spec (structured-cloneable: a pool sends it to its workers). */
export type ExplainerSpec = Pick<FeatureSpec, "columns" | "fields" | "numeric">;

export interface ExplainerOptions {
  /** Fields kept per event. */
  topK?: number;
  /** Upper bound on rows (events × variants) per scoring call; bounds memory at `maxRowsPerPass × width × 4` bytes. */
  maxRowsPerPass?: number;
}

export const DEFAULT_TOP_K = 5;
const DEFAULT_MAX_ROWS_PER_PASS = 16_384;

interface FieldGroup {
  field: string;
  /** Input columns computed from the field. */
  columns: Int32Array;
}

export class Explainer {
  readonly width: number;
  readonly topK: number;
  /** The source fields explanations are about, in spec order. */
  readonly fields: readonly string[];
  private readonly groups: FieldGroup[];
  private readonly means: Float32Array;
  private readonly numeric: ReadonlySet<string>;
  private readonly eventsPerPass: number;

  constructor(spec: ExplainerSpec, opts: ExplainerOptions = {}) {
    this.width = spec.columns.length;
    this.topK = opts.topK ?? DEFAULT_TOP_K;
    this.means = Float32Array.from(spec.columns, (c) => c.mean);
    this.numeric = new Set(spec.numeric.map((n) => n.field));
    const byField = new Map<string, number[]>();
    for (const f of spec.fields) byField.set(f, []);
    spec.columns.forEach((c, i) => {
      for (const f of c.fields) {
        const cols = byField.get(f);
        if (cols === undefined) byField.set(f, [i]);
        else cols.push(i);
      }
    });
    this.groups = [...byField].filter(([, cols]) => cols.length > 0).map(([field, cols]) => ({ field, columns: Int32Array.from(cols) }));
    this.fields = this.groups.map((g) => g.field);
    const maxRows = opts.maxRowsPerPass ?? DEFAULT_MAX_ROWS_PER_PASS;
    this.eventsPerPass = Math.max(1, Math.floor(maxRows / this.variantsPerEvent));
  }

  /** Rows scored per explained event: the event itself plus one occluded copy per field. */
  get variantsPerEvent(): number {
    return this.groups.length + 1;
  }

  /**
   * Top fields for each of `rows` rows of `x`, whose source fields are `events[i].fields`. `score` is called
   * once per chunk of events with every variant of the chunk.
   */
  async explain(x: Float32Array, rows: number, events: readonly { fields: Fields }[], score: ScoreFn): Promise<TopFeature[][]> {
    if (x.length < rows * this.width) throw new Error(`expected ${rows} rows of ${this.width} columns, got ${x.length} values`);
    if (events.length < rows) throw new Error(`expected ${rows} events, got ${events.length}`);
    const out: TopFeature[][] = [];
    for (let start = 0; start < rows; start += this.eventsPerPass) {
      const n = Math.min(this.eventsPerPass, rows - start);
      const variants = this.occlude(x.subarray(start * this.width, (start + n) * this.width), n);
      const p = await score(variants, n * this.variantsPerEvent);
      for (let i = 0; i < n; i++) out.push(this.rank(p, i, events[start + i]!.fields));
    }
    return out;
  }

  /**
   * Every variant of `rows` rows: for row i, rows `i·v` (the row itself) and `i·v + 1 + g` (field group g set
   * to the training mean), with `v = variantsPerEvent`.
   */
  occlude(x: Float32Array, rows: number): Float32Array {
    const w = this.width;
    const v = this.variantsPerEvent;
    const out = new Float32Array(rows * v * w);
    for (let i = 0; i < rows; i++) {
      const row = x.subarray(i * w, (i + 1) * w);
      for (let k = 0; k < v; k++) out.set(row, (i * v + k) * w);
      for (let g = 0; g < this.groups.length; g++) {
        const base = (i * v + 1 + g) * w;
        const cols = this.groups[g]!.columns;
        for (let j = 0; j < cols.length; j++) out[base + cols[j]!] = this.means[cols[j]!]!;
      }
    }
    return out;
  }

  /**
   * The top fields of each of `rows` rows of `x` by field index, scoring the variants with a synchronous `score`
   * (one call per chunk). Where the scorer lives (a pool worker) this is the whole of the work; `fromTop` then
   * attaches the events' values. Identical rows (bit for bit) are explained once: a row's scores do not depend
   * on the other rows, so the answer is the same, and attack traffic repeats itself (ADR 0009: in a batch of
   * Zeek scan rows, often only a fifth to a half of the rows are distinct).
   */
  top(x: Float32Array, rows: number, score: (x: Float32Array, rows: number) => Float32Array): TopContributions {
    const w = this.width;
    if (x.length < rows * w) throw new Error(`expected ${rows} rows of ${w} columns, got ${x.length} values`);
    const k = this.topK;
    const { first, of } = distinctRows(x, rows, w);
    const n = first.length;
    let xs = x;
    if (n < rows) {
      xs = new Float32Array(n * w);
      for (let u = 0; u < n; u++) xs.set(x.subarray(first[u]! * w, (first[u]! + 1) * w), u * w);
    }
    const fields = new Int16Array(n * k);
    const contributions = new Float64Array(n * k);
    for (let start = 0; start < n; start += this.eventsPerPass) {
      const m = Math.min(this.eventsPerPass, n - start);
      const p = score(this.occlude(xs.subarray(start * w, (start + m) * w), m), m * this.variantsPerEvent);
      for (let i = 0; i < m; i++) this.select(p, i, fields, contributions, (start + i) * k);
    }
    if (n === rows) return { rows, k, fields, contributions };
    const out: TopContributions = { rows, k, fields: new Int16Array(rows * k), contributions: new Float64Array(rows * k) };
    for (let i = 0; i < rows; i++) {
      const u = of[i]!;
      out.fields.set(fields.subarray(u * k, (u + 1) * k), i * k);
      out.contributions.set(contributions.subarray(u * k, (u + 1) * k), i * k);
    }
    return out;
  }

  /**
   * Scores `rows` rows of `x` (`score`: calibrated probabilities) and explains, with `logit` (calibrated
   * log-odds), those whose risk score is at least `minRiskScore`: the pipeline's whole use of the model for one
   * batch, in one call where the scorer lives.
   */
  assess(
    x: Float32Array,
    rows: number,
    minRiskScore: number,
    score: (x: Float32Array, rows: number) => Float32Array,
    logit: (x: Float32Array, rows: number) => Float32Array,
  ): Assessment {
    const w = this.width;
    const probs = score(x, rows);
    let n = 0;
    for (let i = 0; i < rows; i++) if (riskScore(probs[i]!) >= minRiskScore) n++;
    const keep = new Int32Array(n);
    const xs = new Float32Array(n * w);
    for (let i = 0, j = 0; i < rows; i++) {
      if (riskScore(probs[i]!) < minRiskScore) continue;
      keep[j] = i;
      xs.set(x.subarray(i * w, (i + 1) * w), j * w);
      j++;
    }
    return { probs, keep, top: this.top(xs, n, logit) };
  }

  /** `top`'s answer as top-feature lists, with the values of `events[i].fields` for row i. */
  fromTop(top: TopContributions, events: readonly { fields: Fields }[]): TopFeature[][] {
    if (top.k !== this.topK) throw new Error(`expected the top ${this.topK} fields per event, got ${top.k}`);
    if (events.length < top.rows) throw new Error(`expected ${top.rows} events, got ${events.length}`);
    const out = new Array<TopFeature[]>(top.rows);
    for (let i = 0; i < top.rows; i++) out[i] = this.features(top.fields, top.contributions, i * top.k, events[i]!.fields);
    return out;
  }

  /** The top fields of event `i` from the scores of its variants in `p`. */
  rank(p: Float32Array, i: number, fields: Fields): TopFeature[] {
    const idx = new Int16Array(this.topK);
    const contributions = new Float64Array(this.topK);
    this.select(p, i, idx, contributions, 0);
    return this.features(idx, contributions, 0, fields);
  }

  /**
   * Writes the top fields of event `i` (scores of its variants in `p`) to `idx`/`contributions` from `at`: the
   * `topK` largest contributions > 0, largest first, ties in spec order, rounded to 6 decimals; -1 after the last.
   */
  private select(p: Float32Array, i: number, idx: Int16Array, contributions: Float64Array, at: number): void {
    const v = this.variantsPerEvent;
    const k = this.topK;
    const base = p[i * v]!;
    let m = 0;
    for (let g = 0; g < this.groups.length; g++) {
      const c = base - p[i * v + 1 + g]!;
      if (!(c > 0)) continue;
      // Insertion into the sorted list; an equal contribution stays after the earlier field.
      if (m === k && !(c > contributions[at + k - 1]!)) continue;
      let j = m < k ? m++ : k - 1;
      while (j > 0 && c > contributions[at + j - 1]!) {
        contributions[at + j] = contributions[at + j - 1]!;
        idx[at + j] = idx[at + j - 1]!;
        j--;
      }
      contributions[at + j] = c;
      idx[at + j] = g;
    }
    for (let j = 0; j < m; j++) {
      const rounded = Number(contributions[at + j]!.toFixed(6));
      if (rounded <= 0) {
        m = j;
        break;
      }
      contributions[at + j] = rounded;
    }
    for (let j = m; j < k; j++) {
      idx[at + j] = -1;
      contributions[at + j] = 0;
    }
  }

  private features(idx: Int16Array, contributions: Float64Array, at: number, fields: Fields): TopFeature[] {
    const top: TopFeature[] = [];
    for (let j = 0; j < this.topK; j++) {
      const g = idx[at + j]!;
      if (g < 0) break;
      const field = this.groups[g]!.field;
      top.push({ feature: field, value: this.originalValue(field, fields[field]), contribution: contributions[at + j]! });
    }
    return top;
  }

  /**
   * A numeric field's value as the featurizer read it: the number, null when absent or blank, and the raw
   * string when it is present but not a number (`abc`, `1e999`: read as missing, shown as it was so the analyst
   * sees what came in). Other fields as given.
   */
  private originalValue(field: string, v: FieldValue | undefined): string | number | null {
    if (v === undefined) return null;
    if (this.numeric.has(field)) return toNumber(v) ?? (typeof v === "string" && v.trim() !== "" ? v : null);
    return v;
  }
}

/**
 * The distinct rows of `rows` rows of `width` values, compared bit for bit: `first[u]` is the first row of the
 * u-th distinct row, `of[i]` the distinct row that row i is.
 */
export function distinctRows(x: Float32Array, rows: number, width: number): { first: Int32Array; of: Int32Array } {
  const bits = new Int32Array(x.buffer, x.byteOffset, rows * width);
  const of = new Int32Array(rows);
  const firsts: number[] = [];
  // FNV-1a over the row's bits; a bucket holds the distinct rows with that hash.
  const buckets = new Map<number, number[]>();
  for (let i = 0; i < rows; i++) {
    const o = i * width;
    let h = 0x811c9dc5;
    for (let j = 0; j < width; j++) h = Math.imul(h ^ bits[o + j]!, 0x01000193);
    let bucket = buckets.get(h);
    if (bucket === undefined) buckets.set(h, (bucket = []));
    let found = -1;
    for (const u of bucket) {
      const p = firsts[u]! * width;
      let same = true;
      for (let j = 0; j < width; j++) {
        if (bits[p + j] !== bits[o + j]) {
          same = false;
          break;
        }
      }
      if (same) {
        found = u;
        break;
      }
    }
    if (found < 0) {
      found = firsts.length;
      firsts.push(i);
      bucket.push(found);
    }
    of[i] = found;
  }
  return { first: Int32Array.from(firsts), of };
}
