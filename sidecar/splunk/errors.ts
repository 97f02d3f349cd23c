/**
 * Errors from Splunk's management API, in one shape: Splunk's own message text (`messages[0].text`), the
 * status code, and what the caller should do about it:
 * - `auth`: 401. The credentials or token are wrong or expired (the SDK already logged in again once).
 * - `retryable`: 429, 502, 503 (busy, too many concurrent searches), 504, network errors and timeouts
 *   (the SDK's status 600 and "abort").
 * - `permanent`: everything else (other 4xx, 500, a refused TLS certificate, a reply the SDK cannot use):
 *   retrying the same request cannot help.
 */
import { setTimeout as sleepMs } from "node:timers/promises";

export type SplunkErrorKind = "auth" | "retryable" | "permanent";

/** Status codes Splunk (or a proxy in front of it) uses for "come back later". */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** What a status means; 600 is the SDK's code for "no HTTP reply" (network error), "abort" its timeout. */
export function classifyStatus(status: number | "abort"): SplunkErrorKind {
  if (status === "abort" || status === 600) return "retryable";
  if (status === 401) return "auth";
  return RETRYABLE_STATUS.has(status) ? "retryable" : "permanent";
}

export class SplunkError extends Error {
  override readonly name = "SplunkError";
  constructor(
    message: string,
    readonly kind: SplunkErrorKind,
    /** HTTP status; 600 when no reply arrived; "abort" on the SDK's per-call timeout. */
    readonly status: number | "abort",
    /** Splunk's own text (`messages[0].text`), when the reply carried one. */
    readonly splunkMessage?: string,
    /** Node's error code for network and TLS failures (ECONNREFUSED, SELF_SIGNED_CERT_IN_CHAIN...). */
    readonly code?: string,
    /** True when the server's certificate was refused. */
    readonly tls = false,
    /** `Retry-After` of the reply, ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Node's codes for a server certificate that failed verification. */
const TLS_UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
]);
const TLS_VALIDITY = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);
const TLS_HOSTNAME = new Set(["ERR_TLS_CERT_ALTNAME_INVALID", "HOSTNAME_MISMATCH"]);

export function isTlsCertificateError(code: string | undefined): boolean {
  return code !== undefined && (TLS_UNTRUSTED.has(code) || TLS_VALIDITY.has(code) || TLS_HOSTNAME.has(code));
}

export interface ErrorContext {
  /** Splunk's base URL (scheme://host:port), for messages. */
  url: string;
  /** The configured CA file; undefined means Node's public roots. */
  caFile?: string;
  /** What was being done ("log in", "create the search job"), for messages. */
  action: string;
}

/** The message for a refused certificate: names the URL, the CA and the fix. */
export function tlsMessage(code: string, reason: string, ctx: ErrorContext): string {
  const ca = ctx.caFile ?? "none set: Node's public root CAs";
  if (TLS_HOSTNAME.has(code)) {
    return `Splunk at ${ctx.url} presented a certificate that is not valid for this host name: ${reason}; use the host name the certificate names in splunk.url`;
  }
  if (TLS_VALIDITY.has(code)) {
    return `Splunk at ${ctx.url} presented a certificate outside its validity period: ${reason}; renew Splunk's certificate`;
  }
  return `Splunk at ${ctx.url} presented a certificate not signed by the configured CA (${ca}): ${reason}; set splunk.ca_file to the CA that signs it`;
}

interface Rejection {
  status?: unknown;
  data?: unknown;
  error?: unknown;
  response?: { headers?: Record<string, unknown> };
}

function messagesOf(data: unknown): { type?: string; text?: string }[] {
  let d = data;
  if (typeof d === "string") {
    try {
      d = JSON.parse(d);
    } catch {
      return [];
    }
  }
  const m = (d as { messages?: unknown } | null)?.messages;
  return Array.isArray(m) ? (m as { type?: string; text?: string }[]) : [];
}

function retryAfter(headers: Record<string, unknown> | undefined): number | undefined {
  const v = headers?.["retry-after"];
  const s = Array.isArray(v) ? String(v[0]) : typeof v === "string" ? v : undefined;
  if (s === undefined || !/^\d+$/.test(s.trim())) return undefined;
  return Number(s.trim()) * 1000;
}

/**
 * Turns whatever the SDK rejected with (a response object, `[err, entity]`, a string, an Error) into a
 * SplunkError. A SplunkError passes through unchanged.
 */
export function toSplunkError(rejection: unknown, ctx: ErrorContext): SplunkError {
  let r = rejection;
  if (Array.isArray(r)) r = r[0];
  if (r instanceof SplunkError) return r;
  if (typeof r === "string") return new SplunkError(`Splunk at ${ctx.url}: could not ${ctx.action}: ${r}`, "permanent", 0);
  if (r instanceof Error && !("status" in r)) {
    const code = (r as { code?: unknown }).code;
    return networkError(r, typeof code === "string" ? code : undefined, ctx);
  }
  const o = (r ?? {}) as Rejection;
  const status = typeof o.status === "number" || o.status === "abort" ? o.status : 0;
  if (status === 600 || (status === 0 && o.error instanceof Error)) {
    const err = o.error instanceof Error ? o.error : new Error(String(o.error ?? "no reply"));
    const code = (err as { code?: unknown }).code;
    return networkError(err, typeof code === "string" ? code : undefined, ctx);
  }
  if (status === "abort") {
    return new SplunkError(`Splunk at ${ctx.url} did not answer in time to ${ctx.action}`, "retryable", "abort", undefined, "ETIMEDOUT");
  }
  const text = messagesOf(o.data).find((m) => typeof m.text === "string")?.text;
  const kind = status === 0 ? "permanent" : classifyStatus(status);
  const shown = text ?? (typeof o.data === "string" && o.data.length > 0 && !o.data.startsWith("{") ? o.data.slice(0, 200) : "no message");
  return new SplunkError(
    `Splunk at ${ctx.url} answered ${status} to ${ctx.action}: ${shown}`,
    kind,
    status,
    text,
    undefined,
    false,
    retryAfter(o.response?.headers),
  );
}

function networkError(err: Error, code: string | undefined, ctx: ErrorContext): SplunkError {
  if (isTlsCertificateError(code)) {
    return new SplunkError(tlsMessage(code!, err.message, ctx), "permanent", 600, undefined, code, true);
  }
  return new SplunkError(
    `Splunk at ${ctx.url} could not be reached to ${ctx.action}: ${code ? `${code} ` : ""}${err.message}`,
    "retryable",
    600,
    undefined,
    code,
  );
}

export interface RetryPolicy {
  /** Attempts in all, the first included (default 6). */
  attempts?: number;
  /** First backoff ceiling, ms (default 500); doubles per retry, full jitter. */
  baseMs?: number;
  /** Largest backoff ceiling, ms (default 15 000). A `Retry-After` may ask for longer. */
  maxMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each sleep. */
  onRetry?: (err: SplunkError, attempt: number, delayMs: number) => void;
}

/** Runs `fn` again while it fails with a retryable SplunkError, with exponential backoff and full jitter. */
export async function withRetry<T>(fn: () => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const attempts = Math.max(1, policy.attempts ?? 6);
  const baseMs = policy.baseMs ?? 500;
  const maxMs = policy.maxMs ?? 15_000;
  const random = policy.random ?? Math.random;
  const sleep = policy.sleep ?? ((ms: number) => sleepMs(ms));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof SplunkError) || e.kind !== "retryable" || attempt >= attempts) throw e;
      const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
      const delay = Math.max(Math.floor(random() * ceiling), e.retryAfterMs ?? 0);
      policy.onRetry?.(e, attempt, delay);
      await sleep(delay);
    }
  }
}
