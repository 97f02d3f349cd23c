/**
 * One HEC channel over the shared transport: the base URL, the token (revealed only while building a
 * request's headers), the channel id sent on every request, the cookies a load balancer set (cookie-based
 * sticky sessions keep a channel on one HEC receiver), and what HEC's replies and errors mean for a sink.
 * HEC's own meanings come first (token codes 1-4, index code 7); the rest is `http/failure.ts`.
 */
import { classifyError, classifyReply, truncate, type TlsContext } from "../../http/failure.ts";
import { ENDPOINT_POLICIES } from "../../http/policy.ts";
import type { HttpResponse, Transport } from "../../http/transport.ts";
import type { SinkResult } from "../sink.ts";

/** The token: anything that reveals the string when a request is built (the config's `Secret` does). */
export interface HecToken {
  reveal(): string;
}

/** Splunk HEC reply body: `{"text","code"[,"ackId"][,"invalid-event-number"]}`, or `{"acks"}` from /ack. */
export interface HecReply {
  text?: string;
  code?: number;
  ackId?: number;
  "invalid-event-number"?: number;
  acks?: Record<string, boolean>;
}

/**
 * Token codes (Splunk docs, "Troubleshoot HTTP Event Collector", status and error codes): 1 disabled,
 * 2 required, 3 invalid authorization, 4 invalid token.
 */
const TOKEN_CODES = new Set([1, 2, 3, 4]);

export type Failed = Exclude<SinkResult, { kind: "success" }>;

export function parseReply(body: Buffer): HecReply | undefined {
  try {
    const o: unknown = JSON.parse(body.toString("utf8"));
    return o !== null && typeof o === "object" ? (o as HecReply) : undefined;
  } catch {
    return undefined;
  }
}

export function codeText(r: HecReply | undefined): string {
  return `code ${r?.code ?? "?"}: ${r?.text ?? "no HEC reply text"}`;
}

export interface HecConnectionOptions {
  /** scheme://host:port (no path). */
  base: string;
  token: HecToken;
  channel: string;
  index: string;
  caFile?: string;
  transport: Transport;
}

export class HecConnection {
  readonly base: string;
  readonly channel: string;
  private readonly cookies = new Map<string, string>();
  private readonly tls: TlsContext;

  constructor(private readonly o: HecConnectionOptions) {
    this.base = o.base;
    this.channel = o.channel;
    this.tls = { service: "HEC", url: o.base, caFile: o.caFile, configPrefix: "hec" };
  }

  /** One request to `path` (with the query), with the token, channel and cookies; keeps the reply's cookies. */
  async request(path: string, req: { method: "GET" | "POST"; body?: Buffer | string; gzip?: boolean; timeoutMs?: number }): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      Authorization: `Splunk ${this.o.token.reveal()}`,
      "X-Splunk-Request-Channel": this.channel,
    };
    if (req.body !== undefined) headers["Content-Type"] = "application/json; charset=UTF-8";
    if (req.gzip) headers["Content-Encoding"] = "gzip";
    if (this.cookies.size > 0) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await this.o.transport.request(`${this.base}${path}`, { method: req.method, headers, body: req.body, timeoutMs: req.timeoutMs });
    this.keepCookies(res);
    return res;
  }

  /** Keeps `Set-Cookie` name=value pairs (attributes ignored; an empty value deletes). */
  private keepCookies(res: HttpResponse): void {
    for (const c of res.headers["set-cookie"] ?? []) {
      const pair = c.split(";", 1)[0]!;
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** A non-200 HEC reply to an event post or ack poll, with the config key to check when retrying cannot help. */
  replyResult(res: HttpResponse, reply: HecReply | undefined): Failed {
    if (res.status === 401 || res.status === 403 || (reply?.code !== undefined && TOKEN_CODES.has(reply.code))) {
      const what = reply?.code !== undefined ? codeText(reply) : `HTTP ${res.status}: ${truncate(res.body.toString())}`;
      return { kind: "failure", reason: `HEC rejected the token (${what}); check hec.token` };
    }
    if (reply?.code === 7) {
      return { kind: "failure", reason: `HEC refused index ${JSON.stringify(this.o.index)} (${codeText(reply)}); check that hec.index exists and the token may write to it` };
    }
    // hec.event and hec.ack share the 500 rule (ENDPOINT_POLICIES).
    const f = classifyReply({ status: res.status, body: res.body, retryAfter: res.headers["retry-after"] }, { retry500: ENDPOINT_POLICIES["hec.event"].retry500 });
    if (f === undefined) return { kind: "failure", reason: `unexpected HEC reply HTTP ${res.status}: ${truncate(res.body.toString())}` };
    if (f.kind === "retryable") return f.retryAfterMs === undefined ? { kind: "retryable", reason: f.reason } : { kind: "retryable", reason: f.reason, retryAfterMs: f.retryAfterMs };
    return { kind: "failure", reason: `HEC refused the request (${f.reason})` };
  }

  /** An error before any reply: retryable for network errors and timeouts; a refused certificate names the fix. */
  errorResult(e: unknown): Failed {
    const f = classifyError(e, this.tls);
    return f.kind === "retryable" || f.kind === "timeout" ? { kind: "retryable", reason: f.reason } : { kind: "failure", reason: f.reason };
  }
}

/** Counters since the sink was created. */
export interface HecCounters {
  /** Event posts made, retries included. */
  posts: number;
  /** Gzipped body bytes of those posts. */
  bytes_sent: number;
  /** Events HEC accepted with a 200 (the good events of a partial reply count when their resend is accepted). */
  events_sent: number;
  /** Events whose post was acknowledged by the indexers (ack on). */
  events_acknowledged: number;
  /** Events accepted with a 200 that carried no ackId while ack is on: received, never acknowledged. */
  events_accepted_unacked: number;
  /** Events HEC refused as malformed (or that could not be serialized), not resent. */
  events_dropped: number;
  /** `events_dropped` by reason, e.g. `"code 6: Invalid data format"`. */
  dropped_by_reason: Record<string, number>;
  /** Post attempts after the first one (backoff sleeps taken). */
  retries: number;
  /** Posts whose ackId has not read true yet. */
  acks_pending: number;
  /** Ack polling requests. */
  ack_polls: number;
  /** ackIds given up on when a flush ran out of time (those events must be resent). */
  acks_abandoned: number;
}
