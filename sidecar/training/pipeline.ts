/**
 * From labeled events to a trained, calibrated model with the metadata a registry version needs.
 *
 * Order matters for honest metrics: the split comes first, the feature statistics are fitted on the training
 * split only, and calibration, threshold and metrics all come from the validation split, which the weights
 * never trained on (it does pick the early-stopping epoch, so the metrics lean slightly optimistic; the
 * champion/challenger comparison on fresh data is the unbiased check).
 */
import * as tf from "../tf/index.ts";
import type { Fields } from "../sources/event.ts";
import type { FeatureConfig } from "../features/spec.ts";
import { fitFeatureSpec } from "../features/fit.ts";
import { featurizeRows } from "../features/featurize.ts";
import type { ArchitectureConfig, ModelMetadata, TrainingConfig } from "../registry/metadata.ts";
import type { NewModelMetadata } from "../registry/registry.ts";
import { calibrateAll, chooseThreshold, computeMetrics, fitPlatt } from "./evaluate.ts";
import { predictRaw } from "./model.ts";
import { stratifiedSplit } from "./split.ts";
import { trainModel, type EpochProgress, type TrainResult } from "./train.ts";


export interface LabeledEvent {
  fields: Fields;
  label: 0 | 1;
}

export interface TrainFromEventsInput {
  /** Labeled rows only: the caller drops unlabeled and excluded events (and counts them in `data`). */
  events: LabeledEvent[];
  featureConfig: FeatureConfig;
  arch: ArchitectureConfig;
  training: TrainingConfig;
  /** What the events came from, recorded as-is in the metadata. */
  data: ModelMetadata["data"];
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

  const split = stratifiedSplit(labels, training.validation_fraction, training.seed);
  const trainRows = Array.from(split.train, (i) => events[i].fields);
  const valRows = Array.from(split.validation, (i) => events[i].fields);
  const yTrain = Uint8Array.from(split.train, (i) => labels[i]);
  const yVal = Uint8Array.from(split.validation, (i) => labels[i]);

  const spec = fitFeatureSpec(trainRows, featureConfig);
  const width = spec.columns.length;
  const xTrain = featurizeRows(spec, trainRows);
  const xVal = featurizeRows(spec, valRows);

  const trained = await trainModel({ xTrain, yTrain, xVal, yVal, width, arch, training, onEpoch, signal });
  try {
    const raw = predictRaw(trained.model, xVal, yVal.length, width, PREDICT_BATCH);
    const calibration = fitPlatt(raw, yVal);
    const prob = calibrateAll(calibration, raw);
    const threshold = chooseThreshold(prob, yVal);
    const metrics = computeMetrics(prob, yVal, threshold);
    const metadata: NewModelMetadata = {
      feature_spec: spec,
      feature_schema: spec.hash,
      architecture: arch,
      training: {
        ...training,
        epochs_run: trained.epochsRun,
        best_epoch: trained.bestEpoch,
        seconds: trained.seconds,
        backend: tf.getBackend(),
      },
      calibration,
      threshold,
      validation_metrics: metrics,
      data,
    };
    return { model: trained.model, metadata, history: trained.history, split: { train: yTrain.length, validation: yVal.length } };
  } catch (e) {
    trained.model.dispose();
    throw e;
  }
}
