/**
 * The risk event (`soc_assistant:risk`): the contract between the sidecar and the Splunk app. The app's
 * dashboards, saved searches and their tests use `RISK_EVENT_FIELDS`, so renaming a field here breaks a test,
 * not an analyst's dashboard. Flat JSON so Splunk extracts every field; `top_features` becomes the multivalue
 * fields `top_features{}.feature`, `top_features{}.value`, `top_features{}.contribution`.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import type { NetEvent } from "../sources/event.ts";

export const RISK_SOURCETYPE = "soc_assistant:risk";
export const RUN_SOURCETYPE = "soc_assistant:run";
export const MODEL_SOURCETYPE = "soc_assistant:model";
export const SEARCH_NAME = "SOC Assistant - Network Threat Model";

export type RiskBand = "informational" | "low" | "medium" | "high" | "critical";

export interface TopFeature {
  /** A source field (never a derived or one-hot column: those are summed back to their field). */
  feature: string;
  /** The event's value of that field in original units; null when the event lacked it. */
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
const NUMERIC_CIM = new Set(["src_port", "dest_port", "bytes_in", "bytes_out", "packets_in", "packets_out", "duration"]);

export interface RiskEvent {
  /** Original event time, epoch seconds (HEC `time`; Splunk's `_time`). */
  _time: number;
  event_id: string;
  run_id: string;
  scored_at: string;
  risk_score: number;
  risk_band: RiskBand;
  probability: number;
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
  model_version: string;
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

/**
 * The idempotency key. Splunk events: hex SHA-256 of `index + "|" + _raw` (what SPL's `sha256(index."|"._raw)`
 * gives). File events: hex SHA-256 of `basename(file) + "|" + line number + "|" + line`; the base name, so the
 * same file scored from another directory keeps its ids.
 */
export function eventId(event: NetEvent): string {
  const o = event.origin;
  const key = o.kind === "splunk" ? `${o.index}|${o.raw}` : `${basename(o.file)}|${o.line}|${o.raw}`;
  return createHash("sha256").update(key).digest("hex");
}

export interface RiskContext {
  runId: string;
  scoredAt: string;
  model: { name: string; version: string; featureSchema: string; threshold: number };
  riskObjectField: string;
  threatObjectField: string;
}

function str(v: unknown): string | null {
  return v === undefined || v === null || v === "" ? null : String(v);
}

function formatValue(v: string | number | null): string {
  if (v === null) return "missing";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return v;
}

/** One readable line: `conn_state=S0 (+0.31), duration=missing (+0.12)`. */
export function explanationText(top: TopFeature[]): string {
  if (top.length === 0) return "no single field raised the score above the training average";
  return top.map((t) => `${t.feature}=${formatValue(t.value)} (+${t.contribution.toFixed(2)})`).join(", ");
}

export function buildRiskEvent(
  event: NetEvent,
  probability: number,
  riskScore: number,
  band: RiskBand,
  top: TopFeature[],
  ctx: RiskContext,
): RiskEvent {
  const f = event.fields;
  const o = event.origin;
  const riskObject = str(f[ctx.riskObjectField]);
  const explanation = explanationText(top);
  const reasons = top.slice(0, 3).map((t) => `${t.feature}=${formatValue(t.value)}`).join(", ");
  const subject = riskObject ?? "unknown source";
  const target = str(f[ctx.threatObjectField]);
  const risk_message =
    `${subject}${target ? ` -> ${target}` : ""} scored ${riskScore} (${band})` + (reasons ? `: ${reasons}` : "");
  const e: RiskEvent = {
    _time: event.time ?? (o.kind === "splunk" ? o.time : Date.parse(ctx.scoredAt) / 1000),
    event_id: eventId(event),
    run_id: ctx.runId,
    scored_at: ctx.scoredAt,
    risk_score: riskScore,
    risk_band: band,
    probability: Number(probability.toFixed(6)),
    threshold: ctx.model.threshold,
    risk_object: riskObject,
    risk_object_type: "system",
    threat_object: target,
    threat_object_type: "ip_address",
    risk_message,
    search_name: SEARCH_NAME,
    explanation,
    top_feature: top[0]?.feature ?? null,
    top_features: top,
    model_name: ctx.model.name,
    model_version: ctx.model.version,
    feature_schema: ctx.model.featureSchema,
    orig_index: o.kind === "splunk" ? o.index : null,
    orig_sourcetype: o.kind === "splunk" ? o.sourcetype : null,
    orig_host: o.kind === "splunk" ? o.host : null,
    orig_source: o.kind === "splunk" ? o.source : o.file,
    orig_cd: o.kind === "splunk" ? o.cd : null,
    orig_time: event.time ?? (o.kind === "splunk" ? o.time : null),
    orig_line: o.kind === "file" ? o.line : null,
  };
  const out = e as unknown as Record<string, unknown>;
  for (const name of CIM_COPY_FIELDS) {
    const v = f[name];
    if (v === undefined) continue;
    if (NUMERIC_CIM.has(name)) {
      const n = typeof v === "number" ? v : Number(v);
      if (v !== "" && Number.isFinite(n)) out[name] = n;
    } else {
      out[name] = String(v);
    }
  }
  return e;
}
