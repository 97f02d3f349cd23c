/**
 * The model event (`soc_assistant:model`): one training, promotion, rollback or refusal in the model registry.
 * FROZEN (see `index.ts`). The app's model-history dashboard and its tests use `MODEL_EVENT_FIELDS`.
 * Schema only: no Node imports.
 */
import type { ModelKind } from "./risk-event.ts";

export const MODEL_SOURCETYPE = "soc_assistant:model";

export type ModelAction = "trained" | "promoted" | "rolled_back" | "rejected" | "retrain_failed";
export const MODEL_ACTIONS = ["trained", "promoted", "rolled_back", "rejected", "retrain_failed"] as const satisfies readonly ModelAction[];

/** The outcome of a champion/challenger comparison (or of a manual promotion). */
export type ModelDecision = "promoted" | "kept_champion" | "refused";
export const MODEL_DECISIONS = ["promoted", "kept_champion", "refused"] as const satisfies readonly ModelDecision[];

/** Who asked: the CLI, the HTTP API, the retraining schedule, or Splunk's webhook alert action. */
export type ModelActorKind = "cli" | "api" | "schedule" | "webhook";
export const MODEL_ACTOR_KINDS = ["cli", "api", "schedule", "webhook"] as const satisfies readonly ModelActorKind[];

export interface ModelActor {
  kind: ModelActorKind;
  /** The user, when known (an API caller's name, the OS user of the CLI). */
  user?: string;
}

/** The data a model was trained or compared on. */
export interface ModelDataSlice {
  /** Where the rows came from: a file path or a Splunk search. */
  source: string;
  rows: number;
  /** Rows labeled as attacks. */
  positives: number;
  /** Event-time range of the rows, epoch seconds; null when the source has no times. */
  earliest: number | null;
  latest: number | null;
  /** Analyst labels from `soc_assistant_feedback` that overrode the source's labels. */
  feedback_labels: number;
}

export interface ModelEvent {
  /** When it happened, epoch seconds (HEC `time`). */
  _time: number;
  action: ModelAction;
  model_name: string;
  model_kind: ModelKind;
  /** The version this event is about (the trained, promoted or rolled-back-to one); null when training failed. */
  version: string | null;
  /** The `current` version before this event; null when there was none. */
  previous_version: string | null;
  /** The version that scored when the comparison ran. */
  champion_version: string | null;
  /** The newly trained version it was compared with. */
  challenger_version: string | null;
  /** Name of the metric that decided (default `pr_auc`). */
  metric: string | null;
  /** Metrics of each, on the same held-out data (`{ pr_auc, roc_auc, ... }`). */
  champion_metrics: Record<string, number> | null;
  challenger_metrics: Record<string, number> | null;
  decision: ModelDecision | null;
  /** One sentence: why this decision (or why training failed). */
  reason: string;
  actor: ModelActor;
  /** What started it: a cron expression, an API request id, a saved search name, a CLI command. */
  trigger: string | null;
  data: ModelDataSlice | null;
  duration_seconds: number | null;
}

/** Every field name of the model event, in a stable order. */
export const MODEL_EVENT_FIELDS = [
  "_time",
  "action",
  "model_name",
  "model_kind",
  "version",
  "previous_version",
  "champion_version",
  "challenger_version",
  "metric",
  "champion_metrics",
  "challenger_metrics",
  "decision",
  "reason",
  "actor",
  "trigger",
  "data",
  "duration_seconds",
] as const satisfies readonly (keyof ModelEvent)[];
