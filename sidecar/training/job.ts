/**
 * A training job: read labeled data, choose features, train, evaluate on the validation split, and register
 * the result as a new registry version. The one code path behind `soc-assistant train`, the accuracy bench,
 * `train:default`, and later `POST /api/v1/retrain` and the retraining schedule.
 *
 * Contract:
 * - Needs an initialized TensorFlow.js backend (the caller starts it, once per process).
 * - Rejects with a `TrainingDataError` when the data cannot train (unreadable, no labels, one class only);
 *   with the signal's reason when aborted (before reading, between epochs, or before registering: an aborted
 *   job registers nothing); with any other error for a bug.
 * - Holds nothing after it settles: with `register: false` the returned model is the caller's to dispose;
 *   otherwise the model is saved and disposed.
 * - Does not serialize jobs: callers that can start two (API, schedule) keep one in flight themselves.
 */
import type * as tf from "../tf/index.ts";
import { chooseFeatures } from "../features/choose.ts";
import type { FeatureConfig } from "../features/spec.ts";
import type { ArchitectureConfig, Metrics, ModelMetadata, TrainingConfig } from "../registry/metadata.ts";
import { ModelRegistry, type MakeCurrent, type NewModelMetadata } from "../registry/registry.ts";
import type { Fields } from "../sources/event.ts";
import { logEvent } from "../telemetry/log.ts";
import { TrainingDataError, type DataDescription, type TrainingDataProvider } from "./data.ts";
import { trainFromEvents } from "./pipeline.ts";
import type { EpochProgress } from "./train.ts";

export type { EpochProgress } from "./train.ts";
/** Fewer rows of a class than this leave the validation split without that class: calibration cannot fit. */
export const MIN_ROWS_PER_CLASS = 2;

export { TrainingDataError, eventsTrainingData, fileTrainingData, type DataDescription, type TrainingData, type TrainingDataProvider } from "./data.ts";

/** Picks the features from the fields the data provides and a sample of its rows (`chooseFeatures` by default). */
export type FeatureChooser = (fields: string[], sample: Fields[]) => FeatureConfig;

/** Rows the feature chooser sees (the first ones, in data order). */
export const FEATURE_SAMPLE_ROWS = 2000;

interface JobOptionsBase {
  data: TrainingDataProvider;
  /** A fixed feature config, or a chooser called with the data's fields; default `chooseFeatures`. */
  features?: FeatureConfig | FeatureChooser;
  /** `model.architecture` of the config. */
  architecture: ArchitectureConfig;
  /** `model.training` of the config (with any per-run override, e.g. `--epochs`, applied by the caller). */
  training: TrainingConfig;
  /** `model.base_rate`: the attack share the risk score assumes (ADR 0018); absent: the validation split's. */
  baseRate?: number;
  /** Called after each epoch, on the job's own thread: keep it cheap. */
  onEpoch?: (progress: EpochProgress) => void;
  signal?: AbortSignal;
}

/** Train and save as a new version of `name` in `registryDir`. */
export interface RegisteringJobOptions extends JobOptionsBase {
  register?: true;
  registryDir: string;
  /** Model name, `[A-Za-z0-9_.-]+`. */
  name: string;
  /** Whether the new version becomes current: `if-none` (default: only a model's first version), `always`, `never`. */
  makeCurrent?: MakeCurrent;
}

/** Train and hand back the model in memory, saving nothing (the bench evaluates on its own held-out rows). */
export interface InMemoryJobOptions extends JobOptionsBase {
  register: false;
}

export type TrainingJobOptions = RegisteringJobOptions | InMemoryJobOptions;

/** Seconds spent in each phase of the job, wall time unless named otherwise. */
export interface TrainingJobTimings {
  read_seconds: number;
  /** Feature fitting, training, calibration and validation metrics. */
  train_seconds: number;
  /** User + system CPU of the whole process during `train_seconds` (other work of the process included). */
  train_cpu_seconds: number;
  /** 0 with `register: false`. */
  register_seconds: number;
  total_seconds: number;
}

interface JobResultBase {
  /** Metrics on the validation split, at the chosen threshold (also `metadata.validation_metrics`). */
  metrics: Metrics;
  /** Rows on each side of the seeded stratified split. */
  split: { train: number; validation: number };
  /** Per epoch run: mean training loss and validation loss. */
  history: { loss: number; valLoss: number }[];
  /** What the provider read (also `metadata.data`). */
  data: DataDescription;
  /** The features chosen (their fitted statistics are in `metadata.feature_spec`). */
  featureConfig: FeatureConfig;
  timings: TrainingJobTimings;
  /** ISO 8601. */
  started_at: string;
  finished_at: string;
}

export interface RegisteredTrainingResult extends JobResultBase {
  registered: true;
  name: string;
  version: string;
  /** Whether the new version is the current one after the job. */
  current: boolean;
  /** As saved in the registry (`metadata.json`). */
  metadata: ModelMetadata;
}

export interface InMemoryTrainingResult extends JobResultBase {
  registered: false;
  /** The trained model; the caller disposes it. */
  model: tf.LayersModel;
  metadata: NewModelMetadata;
}

export type TrainingJobResult = RegisteredTrainingResult | InMemoryTrainingResult;

export function runTrainingJob(options: InMemoryJobOptions): Promise<InMemoryTrainingResult>;
export function runTrainingJob(options: RegisteringJobOptions): Promise<RegisteredTrainingResult>;
export function runTrainingJob(options: TrainingJobOptions): Promise<TrainingJobResult>;
export async function runTrainingJob(options: TrainingJobOptions): Promise<TrainingJobResult> {
  const { signal } = options;
  const startedAt = new Date();
  const t0 = performance.now();
  if (options.register !== false && !/^[A-Za-z0-9_.-]+$/.test(options.name)) {
    throw new Error(`model name must match [A-Za-z0-9_.-]+, got ${JSON.stringify(options.name)}`);
  }
  signal?.throwIfAborted();

  const read = await options.data.read(signal);
  signal?.throwIfAborted();
  const { events, description } = read;
  if (description.rejected > 0) {
    const first = (read.rejectedSamples ?? []).slice(0, 5).map((r) => `${r.file}:${r.line}: ${r.reason}`);
    logEvent("rows_rejected", { rejected: description.rejected, first });
  }
  let positives = 0;
  for (const e of events) positives += e.label === 1 ? 1 : 0;
  const negatives = events.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new TrainingDataError(`training needs both classes; the data has ${negatives} benign and ${positives} attack rows`);
  }
  if (Math.min(positives, negatives) < MIN_ROWS_PER_CLASS) {
    throw new TrainingDataError(
      `training needs at least ${MIN_ROWS_PER_CLASS} rows of each class (some to train on, some to validate and calibrate on); ` +
        `the data has ${negatives} benign and ${positives} attack rows: add labeled rows`,
    );
  }
  const t1 = performance.now();

  const sample = events.slice(0, FEATURE_SAMPLE_ROWS).map((e) => e.fields);
  const featureConfig = typeof options.features === "function" || options.features === undefined
    ? (options.features ?? chooseFeatures)(read.fields ?? fieldsOf(sample), sample)
    : options.features;
  const cpu0 = process.cpuUsage();
  const trained = await trainFromEvents({
    events: events.map((e) => ({
      fields: e.fields,
      label: e.label as 0 | 1,
      source: e.origin.kind === "file" ? e.origin.file : e.origin.source,
      ...(e.time !== undefined ? { time: e.time } : {}),
    })),
    baseRate: options.baseRate,
    featureConfig,
    arch: options.architecture,
    training: options.training,
    data: description,
    onEpoch: options.onEpoch,
    signal,
  });
  const cpu = process.cpuUsage(cpu0);
  const t2 = performance.now();

  const base = {
    metrics: trained.metadata.validation_metrics,
    split: trained.split,
    history: trained.history,
    data: description,
    featureConfig,
    started_at: startedAt.toISOString(),
  };
  const timings = (t3: number): TrainingJobTimings => ({
    read_seconds: (t1 - t0) / 1000,
    train_seconds: (t2 - t1) / 1000,
    train_cpu_seconds: (cpu.user + cpu.system) / 1e6,
    register_seconds: (t3 - t2) / 1000,
    total_seconds: (t3 - t0) / 1000,
  });

  if (options.register === false) {
    return { ...base, registered: false, model: trained.model, metadata: trained.metadata, timings: timings(t2), finished_at: new Date().toISOString() };
  }
  try {
    signal?.throwIfAborted();
    const registry = new ModelRegistry(options.registryDir);
    const version = await registry.save(options.name, trained.model, trained.metadata, { makeCurrent: options.makeCurrent ?? "if-none" });
    const metadata = registry.readMetadata(options.name, version);
    const current = registry.current(options.name) === version;
    const t3 = performance.now();
    return { ...base, registered: true, name: options.name, version, current, metadata, timings: timings(t3), finished_at: new Date().toISOString() };
  } finally {
    trained.model.dispose();
  }
}

/** The field names present in any of `rows`, in first-seen order. */
function fieldsOf(rows: Fields[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const [k, v] of Object.entries(r)) if (v !== undefined) seen.add(k);
  return [...seen];
}
