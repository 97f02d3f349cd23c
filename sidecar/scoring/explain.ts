/**
 * Per-event explanations by occlusion against the training mean, summed per source field.
 *
 * contribution(field) = p(x) − p(x with every column computed from `field` set to its training mean), in
 * calibrated probability units. A field's one-hot columns, missing flag and the derived columns it feeds are
 * occluded together, so their effect is attributed to the field by construction (a derived column fed by two
 * fields is occluded with each of them). Cost: (fields + 1) forward passes per explained event, all variants
 * of a chunk of events scored in one call. ADR 0006 says why occlusion and not gradient × input.
 *
 * Contract: pure given the scoring function; `p(x)` comes from the same pass as the occluded variants, so
 * contributions are consistent with each other; the top list is sorted by contribution, descending, holds
 * at most `topK` fields, each with contribution > 0 (rounded to 6 decimals), and the event's value of the
 * field as the source gave it (numbers for numeric fields given as numeric strings), or null when absent.
 */
import type { TopFeature } from "../contract/risk-event.ts";
import type { FeatureSpec } from "../features/spec.ts";
import type { FieldValue, Fields } from "../sources/event.ts";

export { explanationText } from "../contract/risk-event.ts";

/** Scores rows of the model's input: a `Scorer`'s `score`, or a pool's. Must return calibrated probabilities. */
export type ScoreFn = (x: Float32Array, rows: number) => Float32Array | Promise<Float32Array>;

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

  constructor(spec: Pick<FeatureSpec, "columns" | "fields" | "numeric">, opts: ExplainerOptions = {}) {
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

  /** The top fields of event `i` from the probabilities of its variants in `p`. */
  rank(p: Float32Array, i: number, fields: Fields): TopFeature[] {
    const v = this.variantsPerEvent;
    const base = p[i * v]!;
    const scored: { g: number; c: number }[] = [];
    for (let g = 0; g < this.groups.length; g++) {
      const c = base - p[i * v + 1 + g]!;
      if (c > 0) scored.push({ g, c });
    }
    // Ties keep spec order, so the output is deterministic.
    scored.sort((a, b) => b.c - a.c || a.g - b.g);
    const top: TopFeature[] = [];
    for (const { g, c } of scored) {
      if (top.length >= this.topK) break;
      const contribution = Number(c.toFixed(6));
      if (contribution <= 0) break;
      const field = this.groups[g]!.field;
      top.push({ feature: field, value: this.originalValue(field, fields[field]), contribution });
    }
    return top;
  }

  private originalValue(field: string, v: FieldValue | undefined): string | number | null {
    if (v === undefined) return null;
    if (typeof v === "string" && this.numeric.has(field)) {
      const n = Number(v);
      if (v.trim() !== "" && Number.isFinite(n)) return n;
    }
    return v;
  }
}
