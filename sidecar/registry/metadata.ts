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
}

/** Platt scaling: calibrated = sigmoid(a · logit(raw) + b), fitted on the validation split. */
export interface Calibration {
  method: "platt";
  a: number;
  b: number;
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
  /** Decision threshold on the calibrated probability, chosen on the validation split (max F1). */
  threshold: number;
  /** Metrics on the validation split (calibrated, at `threshold`). */
  validation_metrics: Metrics;
  /** What the model was trained on: files, formats, row and label counts. */
  data: { files: string[]; rows: number; positives: number; negatives: number; excluded: number; rejected: number };
}
