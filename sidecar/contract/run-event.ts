/**
 * The run event (`soc_assistant:run`): one scoring run over one window of one source, written once the run
 * ends (failed runs too). FROZEN (see `index.ts`). The app's run-health dashboard and its tests use
 * `RUN_EVENT_FIELDS`. Schema only: no Node imports.
 */
import type { ModelKind, RiskBand } from "./risk-event.ts";

export const RUN_SOURCETYPE = "soc_assistant:run";

/** A row a reader could not turn into an event. */
export interface RejectedSample {
  file: string;
  /** 1-based line in `file`. */
  line: number;
  reason: string;
}

/**
 * Main-thread seconds per stage: waiting for the source's batches (`pull`), featurizing, waiting for a batch's
 * scores and explanations (`score`; the workers compute both), building the risk events and writing
 * (`explain_write`).
 */
export interface StageSeconds {
  pull: number;
  featurize: number;
  score: number;
  explain_write: number;
}

export interface RunEvent {
  /** When the run started, epoch seconds (HEC `time`). */
  _time: number;
  /** The sourcetype, repeated in the body so file-sink output tells run lines from risk lines. */
  sourcetype?: typeof RUN_SOURCETYPE;
  /** The `run_id` of every risk event the run wrote. */
  run_id: string;
  /** The source's name (a configured search, or a file). */
  source: string;
  /** ISO 8601. */
  started_at: string;
  duration_seconds: number;
  /**
   * The window, as the source plans it: for Splunk searches `{ start, end }` in epoch seconds of `_indextime`
   * (start inclusive, end exclusive); for files the chunk of lines read.
   */
  window: unknown;
  events_pulled: number;
  events_scored: number;
  events_written: number;
  /** Input rows that could not be parsed (files); never scored. */
  events_rejected: number;
  /** Events the sink refused as malformed and did not resend (reported by the HEC sink's flush; 0 for files). */
  events_dropped?: number;
  /** First few rejected rows, with line numbers and reasons. */
  rejected_samples: RejectedSample[];
  /** Every scored event counted by band, written or not. */
  by_band: Record<RiskBand, number>;
  /** How far behind the run's start the window ended, seconds (Splunk sources); null for files. */
  lag_seconds: number | null;
  seconds: StageSeconds;
  model_name: string;
  model_kind: ModelKind;
  model_version: string;
  /** Whether the checkpoint advanced: false on failure, and for one-shot scoring that keeps no position. */
  committed: boolean;
  /** Why the run failed, or null. */
  error: string | null;
  /** Per field, how many values were present but not a number (read as missing). Filled by a later issue. */
  invalid_values?: Record<string, number>;
  /** Per feature, its drift score against the training distribution. Filled by a later issue. */
  drift?: Record<string, number>;
  /** The largest value in `drift`. */
  drift_max?: number;
  /** Whether this run's data suggests retraining (drift, invalid values). Filled by a later issue. */
  retrain_suggested?: boolean;
  /** Why retraining is suggested, one sentence; null when it is not. */
  retrain_reason?: string | null;
}

/** Every field name of the run event, in a stable order. */
export const RUN_EVENT_FIELDS = [
  "_time",
  "sourcetype",
  "run_id",
  "source",
  "started_at",
  "duration_seconds",
  "window",
  "events_pulled",
  "events_scored",
  "events_written",
  "events_rejected",
  "events_dropped",
  "rejected_samples",
  "by_band",
  "lag_seconds",
  "seconds",
  "model_name",
  "model_kind",
  "model_version",
  "committed",
  "error",
  "invalid_values",
  "drift",
  "drift_max",
  "retrain_suggested",
  "retrain_reason",
] as const satisfies readonly (keyof RunEvent)[];
