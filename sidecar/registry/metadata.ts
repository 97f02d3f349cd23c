/**
 * `metadata.json` of one registry version: everything besides the weights that scoring and audit need.
 */
import type { FeatureSpec } from "../features/spec.ts";

/** Layer list of the network, from config (`model.architecture`). */
export interface ArchitectureConfig {
  /** Hidden dense layers, in order, e.g. `[{units: 64, dropout: 0.2}, {units: 32, dropout: 0.2}]`. */
  hidden: { units: number; activation: "relu" | "tanh" | "elu"; dropout: number }[];
  learning_rate: number;
}

export interface TrainingConfig {
  epochs: number;
  batch_size: number;
  /** Fraction of the labeled rows held out (stratified, seeded) for early stopping, calibration and threshold. */
  validation_fraction: number;
  /** Epochs without validation-loss improvement before stopping; the best epoch's weights are kept. */
  patience: number;
  /** Weight classes inversely to their frequency. */
  class_weights: boolean;
  seed: number;
  /**
   * What validation holds out (ADR 0018): `none` (default) a random stratified split; `auto` whole input files
   * when there are several, else blocks of time, else `none`; `file` and `time` ask for one (falling back the
   * same way). Absent in models trained before grouped validation: they used `none`.
   */
  group_by?: "auto" | "file" | "time" | "none";
  /** What the threshold is chosen for on the validation split; absent in older models: `f1`. */
  threshold_goal?: "balanced_accuracy" | "f1" | "false_positive_rate";
  /** With `threshold_goal: false_positive_rate`: the share of benign traffic allowed above the threshold. */
  max_false_positive_rate?: number;
}

/** Platt scaling: calibrated = sigmoid(a · logit(raw) + b), fitted on the validation split. */
export interface Calibration {
  method: "platt";
  a: number;
  b: number;
  /**
   * Attack share of the rows the Platt fit saw (the validation split). With `base_rate`, `b` already holds the
   * prior-shift correction logit(base_rate) − logit(prior), so that the probability assumes the site's
   * attack share instead of the training data's (ADR 0018). Both absent in older models: no correction.
   */
  prior?: number;
  /** The attack share the calibrated probability assumes (`model.base_rate` at training). */
  base_rate?: number;
}

/** One validation group's figures (an input file or a block of time). */
export interface GroupMetrics {
  name: string;
  rows: number;
  positives: number;
  /** At the model's threshold. */
  accuracy: number;
  /** NaN (null in JSON) when the group has one class only (`one_class`). */
  roc_auc: number;
  pr_auc: number;
  /** Share of the group's benign rows scored high or critical. NaN without benign rows. */
  benign_high_or_critical: number;
  /** The group has rows of one class only: reported, not merged into another. */
  one_class: boolean;
}

/** How validation was split off (`metadata.validation`). */
export interface ValidationGrouping {
  /** `model.training.group_by` as asked. */
  group_by: "auto" | "file" | "time" | "none";
  /** The grouping used. */
  used: "file" | "time" | "none";
  /** Why `used` differs from what was asked, when it does. */
  note?: string;
  /** Cross-validation folds by group (0 with `none`: one random stratified validation split). */
  folds: number;
  /** Per group, on its out-of-fold predictions (none with `none`). */
  groups: GroupMetrics[];
}

export interface Metrics {
  rows: number;
  positives: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  roc_auc: number;
  pr_auc: number;
  threshold: number;
  /** Counts at `threshold`. */
  confusion: { tp: number; fp: number; tn: number; fn: number };
}

export interface ModelMetadata {
  name: string;
  /** `v0001`, `v0002`, ...: sortable, assigned by the registry. */
  version: string;
  created_at: string;
  feature_spec: FeatureSpec;
  /** Equal to `feature_spec.hash`; duplicated for readers that only want the identity. */
  feature_schema: string;
  architecture: ArchitectureConfig;
  training: TrainingConfig & { epochs_run: number; best_epoch: number; seconds: number; backend: string };
  calibration: Calibration;
  /** Decision threshold on the calibrated probability, chosen on the validation split for `threshold_goal`. */
  threshold: number;
  /** What the threshold was chosen for; absent in older models (max F1 on a random split). */
  threshold_goal?: { goal: "balanced_accuracy" | "f1" | "false_positive_rate"; max_false_positive_rate?: number };
  /** How the validation split was made; absent in older models (random stratified). */
  validation?: ValidationGrouping;
  /** Metrics on the validation split, or with groups on the out-of-fold predictions (calibrated, at `threshold`). */
  validation_metrics: Metrics;
  /** What the model was trained on: files, formats, row and label counts. */
  data: { files: string[]; rows: number; positives: number; negatives: number; excluded: number; rejected: number };
}
