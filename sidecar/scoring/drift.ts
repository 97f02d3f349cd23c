/**
 * Drift: per source feature, the population stability index (PSI) between the distribution the model was
 * trained on (the histograms and category counts stored in its feature spec) and the events of one scoring
 * run.
 *
 *     PSI = Σ over bins (actual% − expected%) · ln(actual% / expected%)
 *
 * Numeric fields: the spec's histogram bins of the transformed value (values outside the training range fall
 * in the first or last bin) plus one bin for missing values (expected share: the training `missing_rate`).
 * Categorical fields: one bin per vocabulary entry plus the out-of-vocabulary bin (missing counts there, as in
 * training). Empty bins get a share of 1e-4 so the logarithm stays finite. Rules of thumb: below 0.1 stable,
 * 0.1 to 0.25 a moderate shift, above 0.25 a large one. Derived features are not measured (their inputs are).
 *
 * Cheap per event: one bin lookup per measured field, no allocation.
 */
import { categoryKey, transformValue } from "../features/featurize.ts";
import type { FeatureSpec } from "../features/spec.ts";
import { toNumber, type Fields } from "../sources/event.ts";

const FLOOR = 1e-4;

/** PSI of two count vectors of equal length (normalized here). */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  let e = 0;
  let a = 0;
  for (let i = 0; i < expected.length; i++) {
    e += expected[i]!;
    a += actual[i]!;
  }
  if (e === 0 || a === 0) return 0;
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const pe = Math.max(FLOOR, expected[i]! / e);
    const pa = Math.max(FLOOR, actual[i]! / a);
    sum += (pa - pe) * Math.log(pa / pe);
  }
  return sum;
}

interface NumericMeter {
  field: string;
  transform: "log1p" | "none";
  edges: number[];
  expected: number[];
  counts: Float64Array;
}

interface CategoryMeter {
  field: string;
  index: Map<string, number>;
  expected: number[];
  counts: Float64Array;
}

export interface DriftResult {
  /** Per source field, its PSI, rounded to 4 decimals. */
  drift: Record<string, number>;
  /** The largest value in `drift` (0 when nothing was measured). */
  max: number;
  /** Fields by PSI, largest first. */
  top: { field: string; psi: number }[];
  events: number;
}

export class DriftMeter {
  private readonly numeric: NumericMeter[];
  private readonly categorical: CategoryMeter[];
  private events = 0;

  constructor(spec: FeatureSpec) {
    this.numeric = spec.numeric
      .filter((n) => n.histogram && n.histogram.counts.length > 0)
      .map((n) => {
        const nonMissing = n.histogram.counts.reduce((s, c) => s + c, 0);
        // Expected counts in "training rows": the histogram covers the non-missing share.
        const rows = n.missing_rate < 1 ? nonMissing / (1 - n.missing_rate) : 0;
        return {
          field: n.field,
          transform: n.transform,
          edges: n.histogram.edges,
          expected: [...n.histogram.counts, rows * n.missing_rate],
          counts: new Float64Array(n.histogram.counts.length + 1),
        };
      });
    this.categorical = spec.categorical.map((c) => ({
      field: c.field,
      index: new Map(c.vocabulary.map((v, i) => [v, i])),
      expected: [...c.counts, c.oov_count],
      counts: new Float64Array(c.vocabulary.length + 1),
    }));
  }

  add(fields: Fields): void {
    this.events++;
    for (const m of this.numeric) {
      const x = toNumber(fields[m.field]);
      const bins = m.counts.length - 1;
      if (x === undefined) {
        m.counts[bins]!++;
        continue;
      }
      const t = transformValue(x, m.transform);
      const lo = m.edges[0]!;
      const hi = m.edges[m.edges.length - 1]!;
      const b = hi > lo ? Math.min(bins - 1, Math.max(0, Math.floor(((t - lo) / (hi - lo)) * bins))) : 0;
      m.counts[b]!++;
    }
    for (const m of this.categorical) {
      const i = m.index.get(categoryKey(fields[m.field]));
      m.counts[i ?? m.counts.length - 1]!++;
    }
  }

  result(): DriftResult {
    const drift: Record<string, number> = {};
    if (this.events > 0) {
      for (const m of [...this.numeric, ...this.categorical]) drift[m.field] = Number(psi(m.expected, m.counts).toFixed(4));
    }
    const top = Object.entries(drift)
      .map(([field, v]) => ({ field, psi: v }))
      .sort((a, b) => b.psi - a.psi);
    return { drift, max: top[0]?.psi ?? 0, top, events: this.events };
  }
}
