/**
 * The feature contract a model travels with. Types only; fitting lives in `fit.ts`, the hot path in
 * `featurize.ts`. Everything the scorer needs to turn an event into the model's input row is in here, so
 * nothing about features is hard-coded elsewhere.
 */

/** What to build, from config (`model.features`). Field names are normalized event field names. */
export interface FeatureConfig {
  /** Numeric source fields: `log1p` (sign-preserving) then standardization fitted on the training split. */
  numeric: string[];
  /** Categorical source fields: one-hot over a fitted vocabulary plus one out-of-vocabulary column. */
  categorical: string[];
  /** Named derived features from the library in `derived.ts` (e.g. `bytes_per_packet_out`, `history_flags`). */
  derived: string[];
  /** A category seen fewer times than this in training goes to the out-of-vocabulary bucket. */
  min_category_count: number;
  /** Largest vocabulary kept per categorical field (most frequent first). */
  max_categories: number;
  /** Bins of the per-feature histograms stored for drift checks. */
  histogram_bins: number;
  /**
   * Piecewise-linear quantile encoding: each numeric value (numeric fields and numeric derived outputs) also
   * gets up to this many columns, one per quantile bin of its training values, each 0 below the bin, 1 above
   * it and linear inside it (ties in the data merge bins). Lets a small network cut a value at several
   * places, as a tree does. Absent or 0: none.
   */
  numeric_bins?: number;
  /**
   * Unfamiliar inputs count as missing (ADR 0018): a categorical value never seen in training (neither in the
   * vocabulary nor among the rare values of `CategoricalStats.rare`) is encoded as the field's missing value,
   * and a numeric field's value far outside its training range (beyond the range widened by half its width on
   * each side, in transformed units) as a missing number, for its own columns and the derived features it
   * feeds. So an event unlike anything in training scores exactly as the same event without those fields,
   * never higher. Absent (older specs): unfamiliar categories go to `:oov`, far-out numbers are standardized.
   */
  unfamiliar_as_missing?: boolean;
}

/** One column of the model's input row. */
export interface ColumnSpec {
  /** Unique, readable: `duration`, `duration:missing`, `transport=tcp`, `transport:oov`, `history:S`, ... */
  name: string;
  /** The source fields this column is computed from; explanations sum contributions back to these. */
  fields: string[];
  /** Mean of this column over the training split (the occlusion baseline for explanations). */
  mean: number;
}

export interface NumericStats {
  field: string;
  /** Applied before standardization. `log1p` means sign(x)·log1p(|x|). */
  transform: "log1p" | "none";
  /** Mean and standard deviation of the transformed value over non-missing training values. */
  mean: number;
  std: number;
  /** Fraction of training rows where the field was missing or not a number. */
  missing_rate: number;
  /** Histogram of the transformed value: `edges.length === counts.length + 1`. For drift checks. */
  histogram: { edges: number[]; counts: number[] };
  /** Quantile bin edges of the transformed value, ascending and distinct, when `numeric_bins` asks for them:
   * `bins.length - 1` encoding columns. */
  bins?: number[];
}

export interface CategoricalStats {
  field: string;
  /** Kept categories, most frequent first; each has a one-hot column. */
  vocabulary: string[];
  /** Training counts aligned with `vocabulary`; `oov_count` counts the rest (including missing). */
  counts: number[];
  oov_count: number;
  /** With `unfamiliar_as_missing`: values seen in training but not kept (rare), at most `RARE_LIMIT`, sorted;
   * they go to `:oov`. Any other value outside the vocabulary is unfamiliar. */
  rare?: string[];
}

export interface FeatureSpec {
  schema_version: 1;
  config: FeatureConfig;
  numeric: NumericStats[];
  categorical: CategoricalStats[];
  /** Derived feature names (see `derived.ts`), in column order. */
  derived: string[];
  /** Stats of the numeric outputs of derived features (`field` is the output's column name). */
  derived_numeric: NumericStats[];
  /** The model's input row, in order. `columns.length` is the input width. */
  columns: ColumnSpec[];
  /** Every source field the spec reads. An input that lacks one of these columns entirely is refused. */
  fields: string[];
  /** Rows the statistics were fitted on. */
  rows: number;
  /** `feature_schema`: hex SHA-256 of the canonical JSON of everything above. */
  hash: string;
}
