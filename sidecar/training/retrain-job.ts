/**
 * One retraining, as a library call: read the rows (files, a Splunk search, or events in memory), let analyst
 * labels override the source's, hold out the newest slice, train a challenger on the rest and register it
 * (never current), and score the champion and the challenger on the held-out slice. Deciding and promoting are
 * the caller's (`Retrainer`), on the main thread, through the model holder's verification.
 *
 * The spec is plain data (no functions, no secrets wrapped in classes), so the same call runs in a worker
 * thread (`retrain-worker.ts`) or in the calling thread (the CLI, tests).
 *
 * Contract: rejects with a `TrainingDataError` (and registers nothing) when the data cannot make a fair
 * comparison: too few rows, one class only (overall, in the training part or in the held-out slice), no
 * label field; with another error for a bug or an unreachable Splunk.
 */
import type { TrainingSearchConfig } from "../config/schema.ts";
import type { ModelDataSlice } from "../contract/index.ts";
import type { FeatureConfig } from "../features/spec.ts";
import type { ArchitectureConfig, TrainingConfig } from "../registry/metadata.ts";
import { ModelRegistry } from "../registry/registry.ts";
import { eventId } from "../sources/event-id.ts";
import type { NetEvent } from "../sources/event.ts";
import { SplunkClient, type SplunkConnectionOptions } from "../splunk/sdk.ts";
import { holdoutMetrics, newestSlice, type HoldoutMetrics } from "./champion.ts";
import { fileTrainingData, TrainingDataError, type TrainingData, type TrainingDataProvider } from "./data.ts";
import { readFeedback, withFeedback, type FeedbackStats } from "./feedback.ts";
import { runTrainingJob } from "./job.ts";
import { splunkTrainingData } from "./splunk-data.ts";

export type RetrainDataSpec =
  | { kind: "file"; files: string[]; format?: string; labelColumn?: string }
  | { kind: "splunk"; connection: SplunkConnectionOptions; search: TrainingSearchConfig }
  | { kind: "events"; events: NetEvent[]; source: string };

export interface RetrainSpec {
  data: RetrainDataSpec;
  /** The analyst-label collection, or null when off. */
  feedback: { connection: SplunkConnectionOptions; collection: string } | null;
  registryDir: string;
  name: string;
  architecture: ArchitectureConfig;
  training: TrainingConfig;
  /** `model.base_rate` (ADR 0018); absent: no prior-shift correction. */
  baseRate?: number;
  /** Fixed features; default: chosen from the data. */
  features?: FeatureConfig;
  holdoutFraction: number;
  minRows: number;
}

export interface RetrainJobResult {
  /** The version the challenger was registered as (not current). */
  challenger: string;
  /** The version current when the job started; null when there was none. */
  champion: string | null;
  championMetrics: HoldoutMetrics | null;
  challengerMetrics: HoldoutMetrics;
  /** Rows the challenger trained on. */
  trained: ModelDataSlice;
  /** The held-out slice both were scored on. */
  holdout: ModelDataSlice;
  feedback: FeedbackStats | null;
  /** Why the champion could not be scored (its version is gone or broken): the challenger is then compared with nothing. */
  championProblem: string | null;
  seconds: number;
}

function provider(spec: RetrainSpec, clients: SplunkClient[], onFeedback: (s: FeedbackStats, overridden: ReadonlySet<NetEvent>) => void): TrainingDataProvider {
  const d = spec.data;
  let inner: TrainingDataProvider;
  if (d.kind === "file") inner = fileTrainingData({ files: d.files, format: d.format, labelColumn: d.labelColumn });
  else if (d.kind === "events") {
    inner = {
      read: () =>
        Promise.resolve({
          events: d.events.map((e) => ({ ...e })),
          description: { files: [d.source], rows: d.events.length, positives: 0, negatives: 0, excluded: 0, rejected: 0 },
        } satisfies TrainingData),
    };
  } else {
    const client = new SplunkClient(d.connection);
    clients.push(client);
    inner = splunkTrainingData({ client, search: d.search, seed: spec.training.seed, includeUnlabeled: spec.feedback !== null });
  }
  const fb = spec.feedback;
  if (!fb) return inner;
  let client: SplunkClient | undefined;
  return withFeedback(
    inner,
    (signal) => {
      client ??= new SplunkClient(fb.connection);
      clients.push(client);
      return readFeedback(client, fb.collection, signal);
    },
    eventId,
    onFeedback,
  );
}

function slice(events: readonly NetEvent[], source: string, feedbackLabels: number): ModelDataSlice {
  let earliest: number | null = null;
  let latest: number | null = null;
  let positives = 0;
  for (const e of events) {
    if (e.label === 1) positives++;
    if (typeof e.time === "number") {
      earliest = earliest === null ? e.time : Math.min(earliest, e.time);
      latest = latest === null ? e.time : Math.max(latest, e.time);
    }
  }
  return { source, rows: events.length, positives, earliest, latest, feedback_labels: feedbackLabels };
}

function classes(events: readonly NetEvent[]): { positives: number; negatives: number } {
  let positives = 0;
  for (const e of events) positives += e.label === 1 ? 1 : 0;
  return { positives, negatives: events.length - positives };
}

export async function runRetrainJob(spec: RetrainSpec, signal?: AbortSignal): Promise<RetrainJobResult> {
  const t0 = performance.now();
  const clients: SplunkClient[] = [];
  let feedback: FeedbackStats | null = null;
  let overridden: ReadonlySet<NetEvent> = new Set();
  try {
    const read = await provider(spec, clients, (s, o) => {
      feedback = s;
      overridden = o;
    }).read(signal);
    const events = read.events.filter((e) => e.label === 0 || e.label === 1);
    const source = read.description.files.join(", ");
    const all = classes(events);
    if (events.length < spec.minRows) {
      throw new TrainingDataError(`too few labeled rows: ${events.length} (${all.negatives} benign, ${all.positives} attack) from ${source}; retraining needs at least ${spec.minRows} (retrain.min_rows)`);
    }
    if (all.positives === 0 || all.negatives === 0) {
      throw new TrainingDataError(`the data has one class only: ${all.negatives} benign and ${all.positives} attack rows from ${source}; training needs both`);
    }
    const { train, holdout } = newestSlice(events, spec.holdoutFraction);
    const h = classes(holdout);
    if (h.positives === 0 || h.negatives === 0) {
      throw new TrainingDataError(
        `the held-out slice (the newest ${holdout.length} rows by event time) has one class only (${h.negatives} benign, ${h.positives} attack): the versions cannot be compared; ` +
          `widen the data's time range or raise retrain.holdout_fraction`,
      );
    }
    const t = classes(train);
    if (t.positives === 0 || t.negatives === 0) {
      throw new TrainingDataError(`the training part (all but the newest ${holdout.length} rows) has one class only (${t.negatives} benign, ${t.positives} attack)`);
    }
    const feedbackIn = (rows: readonly NetEvent[]): number => rows.reduce((n, e) => n + (overridden.has(e) ? 1 : 0), 0);

    const registry = new ModelRegistry(spec.registryDir);
    const champion = registry.current(spec.name) ?? null;
    const result = await runTrainingJob({
      data: {
        read: () =>
          Promise.resolve({
            events: train,
            fields: read.fields,
            description: { ...read.description, rows: train.length, positives: t.positives, negatives: t.negatives },
          }),
      },
      features: spec.features,
      architecture: spec.architecture,
      training: spec.training,
      baseRate: spec.baseRate,
      registryDir: spec.registryDir,
      name: spec.name,
      makeCurrent: "never",
      signal,
    });

    const challenger = await registry.load(`${spec.name}@${result.version}`);
    let challengerMetrics: HoldoutMetrics;
    try {
      challengerMetrics = holdoutMetrics(challenger.model, challenger.metadata, holdout);
    } finally {
      challenger.model.dispose();
    }
    let championMetrics: HoldoutMetrics | null = null;
    let championProblem: string | null = null;
    if (champion !== null) {
      try {
        const c = await registry.load(`${spec.name}@${champion}`);
        try {
          championMetrics = holdoutMetrics(c.model, c.metadata, holdout);
        } finally {
          c.model.dispose();
        }
      } catch (e) {
        championProblem = `the champion ${spec.name}@${champion} could not be scored: ${(e as Error).message}`;
      }
    }
    const h0 = holdout[0];
    const heldOutName = `${source}: the newest ${holdout.length} rows${typeof h0?.time === "number" ? " by event time" : " in data order"}, held out from training`;
    return {
      challenger: result.version,
      champion,
      championMetrics,
      challengerMetrics,
      trained: slice(train, source, feedbackIn(train)),
      holdout: slice(holdout, heldOutName, feedbackIn(holdout)),
      feedback,
      championProblem,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    for (const c of clients) c.close();
  }
}
