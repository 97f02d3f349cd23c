/**
 * Builds the risk event (`soc_assistant:risk`, schema in `sidecar/contract/risk-event.ts`) of one scored
 * event: identity, score, RBA fields, explanation, pivot fields and the CIM copies.
 */
import {
  CIM_COPY_FIELDS,
  CIM_NUMERIC_FIELDS,
  SEARCH_NAME,
  type ModelKind,
  type RiskBand,
  type RiskEvent,
  type TopFeature,
} from "../contract/index.ts";
import { toNumber, type NetEvent } from "../sources/event.ts";
import { eventId } from "../sources/event-id.ts";

const NUMERIC_CIM: ReadonlySet<string> = new Set(CIM_NUMERIC_FIELDS);

/** The idempotency key; defined with the event (`sources/event-id.ts`), which training's feedback join also reads. */
export { eventId };

export interface RiskContext {
  runId: string;
  scoredAt: string;
  model: { name: string; kind: ModelKind; version: string; featureSchema: string; threshold: number };
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
    model_kind: ctx.model.kind,
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
      // A value that is not a number (blank, "-", garbage) is left out, never written as 0.
      const n = toNumber(v);
      if (n !== undefined) out[name] = n;
    } else {
      out[name] = String(v);
    }
  }
  return e;
}
