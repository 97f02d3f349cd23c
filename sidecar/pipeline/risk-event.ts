/**
 * Builds the risk event (`soc_assistant:risk`, schema in `sidecar/contract/risk-event.ts`) of one scored
 * event: identity, score, RBA fields, explanation, pivot fields and the CIM copies. Two forms of the same
 * event: `buildRiskEvent` (an object, for sinks that take objects and for the run's top list) and
 * `RiskEventWriter.json` (its JSON text, for sinks that take serialized records: the HEC sink), whose text is
 * byte for byte `JSON.stringify` of the object without its `_time` member (docs/adr/0020-write-path.md).
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

/** Characters `JSON.stringify` escapes in a string: quote, backslash, controls, and (lone) surrogates. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(s)` for a string; the common case (nothing to escape) without the runtime's serializer. */
function q(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** `JSON.stringify(n)` for a number: non-finite numbers are `null`. */
function num(n: number): string {
  return n - n === 0 ? String(n) : "null";
}

/**
 * Numeric strings that are already what `String(toNumber(v))` gives (an integer of at most 15 digits, or a
 * decimal of at most 15 digits, at least 1e-6, without trailing zeros): copied as they are.
 */
const CANONICAL_NUMBER = /^-?(?:0|[1-9]\d{0,14}|0\.0{0,5}[1-9](?:\d*[1-9])?|[1-9]\d*\.\d*[1-9])$/;

/** `num(toNumber(v))` for a CIM value, or undefined when it is not a number. */
function cimNumber(v: string | number): string | undefined {
  if (typeof v === "string" && v.length <= 16 && CANONICAL_NUMBER.test(v) && v !== "-0") return v;
  const n = toNumber(v);
  return n === undefined ? undefined : num(n);
}

/** `num(Number(p.toFixed(6)))` for a probability (0 to 1): `toFixed`'s digits without trailing zeros. */
function probabilityJson(p: number): string {
  if (!(p >= 0 && p <= 1)) return num(Number(p.toFixed(6)));
  let t = p.toFixed(6);
  let end = t.length;
  while (t.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (t.charCodeAt(end - 1) === 46 /* . */) end--;
  if (end !== t.length) t = t.slice(0, end);
  return t;
}

function qOrNull(s: string | null): string {
  return s === null ? "null" : q(s);
}

/** The JSON of one field value of `top_features` (a string, a number or null). */
function jsonValue(v: string | number | null): string {
  return v === null ? "null" : typeof v === "number" ? num(v) : q(v);
}

/** Serialized risk events of one run: the members that are the same for every event of the run are built once. */
export class RiskEventWriter {
  /** `"run_id":…,"scored_at":…,"risk_score":` */
  private readonly head: string;
  /** `,"threshold":…,"risk_object":` */
  private readonly threshold: string;
  /** `,"model_name":…,"model_kind":…,"model_version":…,"feature_schema":…,` */
  private readonly modelPart: string;
  private readonly scoredAtSeconds: number;

  constructor(private readonly ctx: RiskContext) {
    this.head = `,"run_id":${q(ctx.runId)},"scored_at":${q(ctx.scoredAt)},"risk_score":`;
    this.threshold = `,"threshold":${num(ctx.model.threshold)},"risk_object":`;
    const m = ctx.model;
    this.modelPart = `,"model_name":${q(m.name)},"model_kind":${q(m.kind)},"model_version":${q(m.version)},"feature_schema":${q(m.featureSchema)},`;
    this.scoredAtSeconds = Date.parse(ctx.scoredAt) / 1000;
  }

  /** The risk event's `_time` (what `buildRiskEvent(...)._time` is). */
  time(event: NetEvent): number {
    const o = event.origin;
    return event.time ?? (o.kind === "splunk" ? o.time : this.scoredAtSeconds);
  }

  /**
   * `JSON.stringify(buildRiskEvent(event, …))` without the leading `_time` member: `{"event_id":…}`. The
   * arguments are `buildRiskEvent`'s, and the event's `eventId` when the caller has it already.
   */
  json(event: NetEvent, probability: number, riskScore: number, band: RiskBand, top: TopFeature[], id: string = eventId(event)): string {
    const ctx = this.ctx;
    const f = event.fields;
    const o = event.origin;
    const splunk = o.kind === "splunk";
    const riskObject = str(f[ctx.riskObjectField]);
    const target = str(f[ctx.threatObjectField]);
    let explanation = "";
    let reasons = "";
    let topJson = "";
    for (let j = 0; j < top.length; j++) {
      const t = top[j]!;
      const shown = `${t.feature}=${formatValue(t.value)}`;
      explanation += `${j === 0 ? "" : ", "}${shown} (+${t.contribution.toFixed(2)})`;
      if (j < 3) reasons += j === 0 ? shown : `, ${shown}`;
      topJson += `${j === 0 ? "" : ","}{"feature":${q(t.feature)},"value":${jsonValue(t.value)},"contribution":${num(t.contribution)}}`;
    }
    if (top.length === 0) explanation = "no single field raised the score above the training average";
    const message = `${riskObject ?? "unknown source"}${target ? ` -> ${target}` : ""} scored ${riskScore} (${band})` + (reasons ? `: ${reasons}` : "");
    const origTime = event.time ?? (splunk ? o.time : null);
    let s =
      `{"event_id":"${id}"${this.head}${num(riskScore)},"risk_band":"${band}","probability":${probabilityJson(probability)}` +
      `${this.threshold}${qOrNull(riskObject)},"risk_object_type":"system","threat_object":${qOrNull(target)},"threat_object_type":"ip_address",` +
      `"risk_message":${q(message)},"search_name":${q(SEARCH_NAME)},"explanation":${q(explanation)},` +
      `"top_feature":${top.length > 0 ? q(top[0]!.feature) : "null"},"top_features":[${topJson}]${this.modelPart}` +
      (splunk
        ? `"orig_index":${q(o.index)},"orig_sourcetype":${q(o.sourcetype)},"orig_host":${q(o.host)},"orig_source":${q(o.source)},"orig_cd":${q(o.cd)},`
        : `"orig_index":null,"orig_sourcetype":null,"orig_host":null,"orig_source":${q(o.file)},"orig_cd":null,`) +
      `"orig_time":${origTime === null ? "null" : num(origTime)},"orig_line":${splunk ? "null" : num(o.line)}`;
    for (let i = 0; i < CIM_COPY_FIELDS.length; i++) {
      const name = CIM_COPY_FIELDS[i]!;
      const v = f[name];
      if (v === undefined) continue;
      if (NUMERIC_CIM.has(name)) {
        const n = cimNumber(v);
        if (n !== undefined) s += `,"${name}":${n}`;
      } else {
        s += `,"${name}":${q(String(v))}`;
      }
    }
    return s + "}";
  }
}
