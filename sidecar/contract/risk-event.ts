/**
 * The risk event (`soc_assistant:risk`): one scored network event, the contract between the sidecar and the
 * Splunk app. FROZEN (see `index.ts`). The app's dashboards, saved searches and their tests use
 * `RISK_EVENT_FIELDS`, so renaming a field here breaks a test, not an analyst's dashboard. Flat JSON so Splunk
 * extracts every field; `top_features` becomes the multivalue fields `top_features{}.feature`,
 * `top_features{}.value`, `top_features{}.contribution`.
 *
 * Schema only: no Node imports, no code beyond constants (the builder is `sidecar/pipeline/risk-event.ts`).
 */

export const RISK_SOURCETYPE = "soc_assistant:risk";
/** `search_name` of every risk event, as Splunk ES's risk-based alerting expects one. */
export const SEARCH_NAME = "SOC Assistant - Network Threat Model";

export type RiskBand = "informational" | "low" | "medium" | "high" | "critical";

/**
 * The bands of Splunk's risk-based alerting, lowest first: an integer `risk_score` from `min` to `max`
 * (both inclusive) is in `band`. 0–20 informational, 21–40 low, 41–60 medium, 61–80 high, 81–100 critical.
 */
export const RISK_BANDS = [
  { band: "informational", min: 0, max: 20 },
  { band: "low", min: 21, max: 40 },
  { band: "medium", min: 41, max: 60 },
  { band: "high", min: 61, max: 80 },
  { band: "critical", min: 81, max: 100 },
] as const satisfies readonly { band: RiskBand; min: number; max: number }[];

/**
 * What kind of model scored: `supervised` (trained on labels; every model today) or `unsupervised` (an anomaly
 * model, whose score means "unusual", not "attack").
 */
export type ModelKind = "supervised" | "unsupervised";
export const MODEL_KINDS = ["supervised", "unsupervised"] as const satisfies readonly ModelKind[];

export interface TopFeature {
  /** A source field (never a derived or one-hot column: those are summed back to their field). */
  feature: string;
  /**
   * The event's value of that field in original units: a number for a numeric field (as the model read it),
   * the source's string for a categorical one; null when the event lacked it or, for a numeric field, when its
   * value was not a number (the model read both as missing).
   */
  value: string | number | null;
  /**
   * How much this field raises the event's calibrated log-odds of being an attack, against the field at its
   * training average (occlusion). Log-odds, not probability, so the reasons of a 99.99% event still separate.
   */
  contribution: number;
}

/** CIM fields copied from the original event, for pivots and `stats by`. */
export const CIM_COPY_FIELDS = [
  "src_ip",
  "src_port",
  "dest_ip",
  "dest_port",
  "transport",
  "app",
  "bytes_in",
  "bytes_out",
  "packets_in",
  "packets_out",
  "duration",
  "action",
] as const;

/** The CIM copies that are numbers (a value that is not a number is left out of the event, never 0). */
export const CIM_NUMERIC_FIELDS = [
  "src_port",
  "dest_port",
  "bytes_in",
  "bytes_out",
  "packets_in",
  "packets_out",
  "duration",
] as const satisfies readonly (typeof CIM_COPY_FIELDS)[number][];

export interface RiskEvent {
  /** Original event time, epoch seconds (HEC `time`; Splunk's `_time`). */
  _time: number;
  /** The idempotency key (hex SHA-256; the rule is in `sidecar/pipeline/risk-event.ts`). */
  event_id: string;
  run_id: string;
  /** ISO 8601, when the run started. */
  scored_at: string;
  /** Integer 0–100: `round(100 × probability)`. */
  risk_score: number;
  risk_band: RiskBand;
  /** Calibrated model output, 0–1, 6 decimals. */
  probability: number;
  /** The model's decision threshold, in probability units. */
  threshold: number;
  risk_object: string | null;
  risk_object_type: "system";
  threat_object: string | null;
  threat_object_type: "ip_address";
  risk_message: string;
  search_name: string;
  explanation: string;
  top_feature: string | null;
  top_features: TopFeature[];
  model_name: string;
  model_kind: ModelKind;
  model_version: string;
  /** Hash of the model's feature spec. */
  feature_schema: string;
  orig_index: string | null;
  orig_sourcetype: string | null;
  orig_host: string | null;
  orig_source: string;
  orig_cd: string | null;
  orig_time: number | null;
  /** 1-based line of the original in `orig_source` (file sources only). */
  orig_line: number | null;
  src_ip?: string;
  src_port?: number;
  dest_ip?: string;
  dest_port?: number;
  transport?: string;
  app?: string;
  bytes_in?: number;
  bytes_out?: number;
  packets_in?: number;
  packets_out?: number;
  duration?: number;
  action?: string;
}

/** Every field name of the contract, in a stable order (the app's field lists come from this). */
export const RISK_EVENT_FIELDS = [
  "_time",
  "event_id",
  "run_id",
  "scored_at",
  "risk_score",
  "risk_band",
  "probability",
  "threshold",
  "risk_object",
  "risk_object_type",
  "threat_object",
  "threat_object_type",
  "risk_message",
  "search_name",
  "explanation",
  "top_feature",
  "top_features",
  "model_name",
  "model_kind",
  "model_version",
  "feature_schema",
  "orig_index",
  "orig_sourcetype",
  "orig_host",
  "orig_source",
  "orig_cd",
  "orig_time",
  "orig_line",
  ...CIM_COPY_FIELDS,
] as const satisfies readonly (keyof RiskEvent)[];

/** The fields every risk event carries (the CIM copies are present only when the original had them). */
export const RISK_EVENT_REQUIRED_FIELDS = RISK_EVENT_FIELDS.filter(
  (f): f is Exclude<(typeof RISK_EVENT_FIELDS)[number], (typeof CIM_COPY_FIELDS)[number]> =>
    !(CIM_COPY_FIELDS as readonly string[]).includes(f),
);
