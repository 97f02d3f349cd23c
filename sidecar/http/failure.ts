/**
 * The one classification of HTTP failures, shared by every client (HEC and the splunk-sdk adapter):
 *
 * - `retryable`: 408, 429, 502, 503, 504, and connection errors (refused, reset, DNS busy, unreachable).
 *   500 is retryable only on endpoints whose policy says so (`policy.ts`: HEC yes, splunkd no).
 * - `timeout`: no (complete) reply in time. Retryable too; kept apart because a timed-out request may have
 *   been carried out (a search job created), which a reader of the logs should know.
 * - `tls`: the server's certificate was refused. Permanent: only a config change (CA file, host name) or a
 *   renewed certificate helps, and the message says which.
 * - `permanent`: everything else (other 4xx, 3xx, 501, 505, other 5xx, programming errors). Stop and report
 *   with at most `MAX_BODY_IN_REASON` characters of the reply.
 *
 * Also here: the one `Retry-After` parser and the one table of TLS error codes with the fix for each.
 */

export type FailureKind = "retryable" | "timeout" | "tls" | "permanent";

/** Longest reply body quoted in a reason, characters. */
export const MAX_BODY_IN_REASON = 256;

/** What one failed exchange means. `reason` is a short sentence fragment for logs and results. */
export interface Failure {
  kind: FailureKind;
  reason: string;
  /** HTTP status, when a reply arrived. */
  status?: number;
  /** Node's error code (ECONNREFUSED, ETIMEDOUT, a TLS code...), when no reply arrived. */
  code?: string;
  /** From `Retry-After`, ms. */
  retryAfterMs?: number;
}

/** True for the kinds worth another attempt. */
export function isRetryable(kind: FailureKind): boolean {
  return kind === "retryable" || kind === "timeout";
}

/** Statuses that ask to come back later on every endpoint: timeout, rate limit, bad gateway, busy, gateway timeout. */
const RETRYABLE_STATUS = new Set([408, 429, 502, 503, 504]);

/**
 * What a status means: "ok" for 2xx. `retry500`: the endpoint's policy treats 500 as transient (HEC's code 8
 * "internal server error" is an indexer-side hiccup; splunkd's 500 on a REST call is about the request).
 */
export function classifyStatus(status: number, opts: { retry500?: boolean } = {}): "ok" | "retryable" | "permanent" {
  if (status >= 200 && status < 300) return "ok";
  if (RETRYABLE_STATUS.has(status) || (status === 500 && opts.retry500 === true)) return "retryable";
  return "permanent";
}

/** Error codes of a connection that failed or broke: the next attempt may work. */
const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ERR_STREAM_PREMATURE_CLOSE",
]);
const TIMEOUT_CODES = new Set(["ETIMEDOUT", "ESOCKETTIMEDOUT"]);

/** What the fix is for a refused certificate. */
export type TlsProblem = "untrusted" | "validity" | "hostname";

/** Node's codes for a server certificate that failed verification, by what fixes them. */
export const TLS_ERRORS: Readonly<Record<string, TlsProblem>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "untrusted",
  UNABLE_TO_GET_ISSUER_CERT: "untrusted",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "untrusted",
  SELF_SIGNED_CERT_IN_CHAIN: "untrusted",
  DEPTH_ZERO_SELF_SIGNED_CERT: "untrusted",
  CERT_SIGNATURE_FAILURE: "untrusted",
  CERT_UNTRUSTED: "untrusted",
  CERT_REJECTED: "untrusted",
  CERT_HAS_EXPIRED: "validity",
  CERT_NOT_YET_VALID: "validity",
  ERR_TLS_CERT_ALTNAME_INVALID: "hostname",
  HOSTNAME_MISMATCH: "hostname",
};

export function tlsProblem(code: string | undefined): TlsProblem | undefined {
  return code !== undefined && Object.hasOwn(TLS_ERRORS, code) ? TLS_ERRORS[code] : undefined;
}

/** Who was refused, for the TLS message: e.g. `{ service: "Splunk", url, caFile, configPrefix: "splunk" }`. */
export interface TlsContext {
  /** "Splunk", "HEC". */
  service: string;
  /** scheme://host:port. */
  url: string;
  /** The configured CA file; undefined: Node's public roots. */
  caFile?: string;
  /** Config section whose `url` and `ca_file` keys the fix names ("splunk", "hec"). */
  configPrefix: string;
}

/** The message for a refused certificate: names the server, the CA and the fix. */
export function tlsMessage(code: string, reason: string, ctx: TlsContext): string {
  const at = `${ctx.service} at ${ctx.url}`;
  switch (tlsProblem(code)) {
    case "hostname":
      return `${at} presented a certificate that is not valid for this host name: ${reason}; use the host name the certificate names in ${ctx.configPrefix}.url`;
    case "validity":
      return `${at} presented a certificate outside its validity period: ${reason}; renew ${ctx.service}'s certificate`;
    default: {
      const ca = ctx.caFile ?? "none set: Node's public root CAs";
      return `${at} presented a certificate not signed by the configured CA (${ca}): ${reason}; set ${ctx.configPrefix}.ca_file to the CA that signs it`;
    }
  }
}

/** One line, at most `max` characters (then the full length). */
export function truncate(text: string, max = MAX_BODY_IN_REASON): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length <= max ? t : `${t.slice(0, max)}… (${t.length} chars)`;
}

/**
 * `Retry-After` as a delay in ms: delta-seconds (`"120"`) or an HTTP date. Undefined when absent or
 * unparsable; never negative.
 */
export function parseRetryAfter(value: unknown, nowMs = Date.now()): number | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  const v = typeof first === "string" ? first.trim() : undefined;
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date names its month ("Wed, 21 Oct 2015 07:28:00 GMT"); V8's Date.parse takes "-5" as a year.
  if (!/[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** A reply that is not 2xx (undefined for 2xx). `body` is quoted, truncated. */
export function classifyReply(
  reply: { status: number; body?: string | Buffer; retryAfter?: unknown },
  opts: { retry500?: boolean; nowMs?: number } = {},
): Failure | undefined {
  const kind = classifyStatus(reply.status, opts);
  if (kind === "ok") return undefined;
  const body = reply.body === undefined ? "" : truncate(reply.body.toString());
  const reason = `HTTP ${reply.status}${body ? `: ${body}` : ""}`;
  const retryAfterMs = kind === "retryable" ? parseRetryAfter(reply.retryAfter, opts.nowMs) : undefined;
  return retryAfterMs === undefined ? { kind, reason, status: reply.status } : { kind, reason, status: reply.status, retryAfterMs };
}

/**
 * An error that stopped an exchange before a reply (network, TLS, timeout, or a bug). `tls` gives the TLS
 * failure its full message with the fix; without it the reason is `CODE: message`.
 */
export function classifyError(err: unknown, tls?: TlsContext): Failure {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : undefined;
  const message = typeof e?.message === "string" ? e.message : String(err);
  if (tlsProblem(code) !== undefined) {
    return { kind: "tls", code, reason: tls ? tlsMessage(code!, message, tls) : `the server's TLS certificate was refused (${code}: ${message})` };
  }
  if ((code !== undefined && TIMEOUT_CODES.has(code)) || (code === undefined && /timed? ?out/i.test(message))) {
    return { kind: "timeout", code: code ?? "ETIMEDOUT", reason: `${code ?? "ETIMEDOUT"}: ${message}` };
  }
  if ((code !== undefined && RETRYABLE_CODES.has(code)) || /socket hang up/i.test(message)) {
    return { kind: "retryable", code: code ?? "ECONNRESET", reason: `${code ?? "network error"}: ${message}` };
  }
  return code === undefined ? { kind: "permanent", reason: `error: ${message}` } : { kind: "permanent", code, reason: `${code}: ${message}` };
}
