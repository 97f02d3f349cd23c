/**
 * From labeled events to a trained, calibrated model with the metadata a registry version needs.
 *
 * Order matters for honest metrics: the split comes first, the feature statistics are fitted on the training
 * side only, and calibration, threshold and metrics all come from rows the weights never trained on (they do
 * pick the early-stopping epoch, so the metrics lean slightly optimistic; the champion/challenger comparison
 * on fresh data is the unbiased check).
 *
 * Two ways to get those rows (`groups.ts`, ADR 0018): with groups (several input files, or blocks of time),
 * cross-validation by group gives every row an out-of-fold prediction, on which calibration and threshold are
 * chosen, and the shipped model is refitted on every row for the folds' median best epoch; without groups, one
 * seeded stratified validation split, and the model trained on the rest ships.
 */
import * as tf from "../tf/index.ts";
import type { Fields } from "../sources/event.ts";
import type { FeatureConfig, FeatureSpec } from "../features/spec.ts";
import { fitFeatureSpec } from "../features/fit.ts";
import { featurizeRows } from "../features/featurize.ts";
import type { ArchitectureConfig, ModelMetadata, TrainingConfig } from "../registry/metadata.ts";
import type { NewModelMetadata } from "../registry/registry.ts";
import type { Calibration, GroupMetrics } from "../registry/metadata.ts";
import { calibrateAll, chooseThreshold, computeMetrics, fitPlatt, groupFigures, type ThresholdChoice } from "./evaluate.ts";
import { describeGrouping, foldRows, groupFolds, groupRows, type Grouping } from "./groups.ts";
import { stratifiedSplit } from "./split.ts";
import { predictRaw } from "./model.ts";
import { rebaseCalibration } from "../scoring/base-rate.ts";
import { trainModel, type EpochProgress, type TrainResult } from "./train.ts";


export interface LabeledEvent {
  fields: Fields;
  label: 0 | 1;
  /** The input the event came from (file path, Splunk source): the `file` grouping of validation. */
  source?: string;
  /** Epoch seconds: the `time` grouping. */
  time?: number;
}

export interface TrainFromEventsInput {
  /** Labeled rows only: the caller drops unlabeled and excluded events (and counts them in `data`). */
  events: LabeledEvent[];
  featureConfig: FeatureConfig;
  arch: ArchitectureConfig;
  training: TrainingConfig;
  /** What the events came from, recorded as-is in the metadata. */
  data: ModelMetadata["data"];
  /**
   * `model.base_rate`: the attack share the calibrated probability assumes (a prior-shift correction of the
   * Platt fit, ADR 0018). Absent: the validation split's own share (no correction).
   */
  baseRate?: number;
  onEpoch?: (progress: EpochProgress) => void;
  signal?: AbortSignal;
}

export interface TrainFromEventsResult {
  model: tf.LayersModel;
  /** Ready for `ModelRegistry.save`, which adds name, version and created_at. */
  metadata: NewModelMetadata;
  history: TrainResult["history"];
  /** Rows on each side of the split. */
  split: { train: number; validation: number };
}

/** Default `model.training.threshold_goal`. */
export const DEFAULT_THRESHOLD_GOAL = "balanced_accuracy";

/** Rows per inference batch for the validation predictions. */
const PREDICT_BATCH = 4096;

export async function trainFromEvents(input: TrainFromEventsInput): Promise<TrainFromEventsResult> {
  const { events, featureConfig, arch, training, data, onEpoch, signal } = input;
  const labels = new Uint8Array(events.length);
  events.forEach((e, i) => {
    if (e.label !== 0 && e.label !== 1) throw new Error(`event ${i} has label ${String(e.label)}; only 0 and 1 can train`);
    labels[i] = e.label;
  });
  const positives = labels.reduce((n, y) => n + y, 0);
  if (positives === 0 || positives === events.length) {
    throw new Error(`training needs both classes; got ${positives} positive and ${events.length - positives} negative rows`);
  }

  const groupBy = training.group_by ?? "none";
  const grouping = groupRows(events, groupBy);
  const goal: ThresholdChoice = {
    goal: training.threshold_goal ?? DEFAULT_THRESHOLD_GOAL,
    ...(training.threshold_goal === "false_positive_rate" ? { max_false_positive_rate: training.max_false_positive_rate ?? 0.01 } : {}),
  };
  const started = performance.now();

  // Without groups: one seeded stratified validation split picks the epoch, calibration and threshold, and
  // the model trained on the rest ships. With groups: cross-validation by group, then a refit on every row.
  let final: { model: tf.LayersModel; spec: FeatureSpec; epochsRun: number; bestEpoch: number; history: TrainResult["history"] };
  let raw: Float32Array;
  let yVal: Uint8Array;
  let valIndex: Uint32Array;
  let splitSizes: { train: number; validation: number };
  let folds = 0;
  if (grouping.by === "none") {
    const split = stratifiedSplit(labels, training.validation_fraction, training.seed);
    const trainRows = Array.from(split.train, (i) => events[i].fields);
    const valRows = Array.from(split.validation, (i) => events[i].fields);
    const yTrain = Uint8Array.from(split.train, (i) => labels[i]);
    yVal = Uint8Array.from(split.validation, (i) => labels[i]);
    valIndex = split.validation;
    const spec = fitFeatureSpec(trainRows, featureConfig);
    const width = spec.columns.length;
    const xVal = featurizeRows(spec, valRows);
    const trained = await trainModel({ xTrain: featurizeRows(spec, trainRows), yTrain, xVal, yVal, width, arch, training, onEpoch, signal });
    final = { ...trained, spec };
    raw = predictRaw(trained.model, xVal, yVal.length, width, PREDICT_BATCH);
    splitSizes = { train: yTrain.length, validation: yVal.length };
  } else {
    const assignment = groupFolds(grouping, training.seed);
    folds = assignment.folds;
    const rowsOf = foldRows(grouping, assignment.fold, folds);
    raw = new Float32Array(events.length);
    const bestEpochs: number[] = [];
    for (let f = 0; f < folds; f++) {
      const inFold = new Uint8Array(events.length);
      for (const i of rowsOf[f]!) inFold[i] = 1;
      const trainIdx: number[] = [];
      for (let i = 0; i < events.length; i++) if (!inFold[i]) trainIdx.push(i);
      const trainRows = trainIdx.map((i) => events[i].fields);
      const valRows = Array.from(rowsOf[f]!, (i) => events[i].fields);
      const yTrain = Uint8Array.from(trainIdx, (i) => labels[i]);
      const yFold = Uint8Array.from(rowsOf[f]!, (i) => labels[i]);
      const spec = fitFeatureSpec(trainRows, featureConfig);
      const width = spec.columns.length;
      const xFold = featurizeRows(spec, valRows);
      const trained = await trainModel({
        xTrain: featurizeRows(spec, trainRows), yTrain, xVal: xFold, yVal: yFold, width, arch,
        training: { ...training, seed: training.seed + f + 1 }, signal,
        onEpoch: onEpoch && ((p) => onEpoch({ ...p, fold: f + 1, folds })),
      });
      try {
        const p = predictRaw(trained.model, xFold, yFold.length, width, PREDICT_BATCH);
        rowsOf[f]!.forEach((i, k) => (raw[i] = p[k]!));
        bestEpochs.push(trained.bestEpoch);
      } finally {
        trained.model.dispose();
      }
    }
    // The refit trains for the folds' median best epoch (more rows than any fold, so not fewer).
    const epochs = Math.max(1, median(bestEpochs));
    const allRows = events.map((e) => e.fields);
    const spec = fitFeatureSpec(allRows, featureConfig);
    const trained = await trainModel({
      xTrain: featurizeRows(spec, allRows), yTrain: labels, xVal: new Float32Array(0), yVal: new Uint8Array(0),
      width: spec.columns.length, arch, training: { ...training, epochs }, withoutValidation: true, onEpoch, signal,
    });
    final = { ...trained, spec };
    yVal = labels;
    valIndex = Uint32Array.from(events.keys());
    splitSizes = { train: events.length, validation: events.length };
  }
  try {
    const calibration = atBaseRate(fitPlatt(raw, yVal), yVal, input.baseRate);
    const prob = calibrateAll(calibration, raw);
    const threshold = chooseThreshold(prob, yVal, goal);
    const metrics = computeMetrics(prob, yVal, threshold);
    const groups = groupMetrics(grouping, valIndex, prob, yVal, threshold);
    const spec = final.spec;
    const metadata: NewModelMetadata = {
      feature_spec: spec,
      feature_schema: spec.hash,
      architecture: arch,
      training: {
        ...training,
        epochs_run: final.epochsRun,
        best_epoch: final.bestEpoch,
        seconds: (performance.now() - started) / 1000,
        backend: tf.getBackend(),
      },
      calibration,
      threshold,
      threshold_goal: goal,
      validation: { ...describeGrouping(grouping, groupBy, folds), groups },
      validation_metrics: metrics,
      data,
    };
    return { model: final.model, metadata, history: final.history, split: splitSizes };
  } catch (e) {
    final.model.dispose();
    throw e;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
}

/**
 * The Platt fit shifted to assume `baseRate` attacks instead of the share of its own rows (`prior`): Bayes'
 * rule on the odds, which for a logistic calibration is an offset of `b` by logit(baseRate) − logit(prior).
 * Without `baseRate` (or with one equal to the prior) only `prior` is recorded.
 */
export function atBaseRate(c: Calibration, y: Uint8Array, baseRate: number | undefined): Calibration {
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i] ? 1 : 0;
  // Platt's smoothed targets: the share the fit actually saw, never exactly 0 or 1.
  const prior = (pos + 1) / (y.length + 2);
  return baseRate === undefined ? { ...c, prior } : rebaseCalibration({ ...c, prior }, baseRate);
}

/** Figures of each validation group at `threshold`; one-class groups are flagged, not merged. */
function groupMetrics(grouping: Grouping, validation: Uint32Array, prob: Float32Array, y: Uint8Array, threshold: number): GroupMetrics[] {
  if (grouping.by === "none") return [];
  const members = new Map<number, number[]>();
  validation.forEach((row, k) => {
    const g = grouping.group[row]!;
    const list = members.get(g);
    if (list) list.push(k);
    else members.set(g, [k]);
  });
  return [...members.keys()].sort((a, b) => a - b).map((g) => {
    const ks = members.get(g)!;
    return groupFigures(grouping.names[g]!, Float32Array.from(ks, (k) => prob[k]!), Uint8Array.from(ks, (k) => y[k]!), threshold);
  });
}
