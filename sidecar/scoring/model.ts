/**
 * The scoring seam: a loaded model, ready to score, as the pipeline uses it (features + scoring +
 * explanations). `load.ts` builds one from a registry version.
 */
import type { ModelKind, TopFeature } from "../contract/index.ts";
import type { Fields, NetEvent } from "../sources/event.ts";

export interface ScoringModel {
  name: string;
  kind: ModelKind;
  version: string;
  featureSchema: string;
  /** Decision threshold on the calibrated probability. */
  threshold: number;
  /** Input row width. */
  width: number;
  /** The source fields read as numbers (features and the risk event's numeric CIM copies): a value of one that is not a number is counted. */
  numericFields?: readonly string[];
  featurize(fields: Fields, out: Float32Array, offset: number): void;
  /** Calibrated probabilities for `rows` rows of `x`. May transfer (detach) `x`. */
  score(x: Float32Array, rows: number): Promise<Float32Array>;
  /** Top contributing source fields for each of the given rows (`x` holds exactly these rows). */
  explain(x: Float32Array, rows: number, events: NetEvent[]): Promise<TopFeature[][]>;
  /**
   * What the pipeline asks of a batch (`events[i]` for row i), in one step: the probabilities of every row, the
   * rows whose risk score is at least `minRiskScore` (ascending), and their top fields (as `score` then
   * `explain` of those rows would give). May transfer (detach) `x`.
   */
  assess(x: Float32Array, rows: number, minRiskScore: number, events: NetEvent[]): Promise<{ probs: Float32Array; keep: ArrayLike<number>; tops: TopFeature[][] }>;
}
