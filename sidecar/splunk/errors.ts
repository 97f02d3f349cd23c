/**
 * Errors from Splunk's management API, in one shape: Splunk's own message text (`messages[0].text`), the
 * status code, and what the caller should do about it. The kind comes from the one classification
 * (`http/failure.ts`), with 401 set apart because the fix is the credentials:
 * - `auth`: 401. The credentials or token are wrong or expired (the SDK already logged in again once).
 * - `retryable`: 408, 429, 502, 503 (busy, too many concurrent searches), 504, network errors and timeouts
 *   (the SDK's status 600 and "abort").
 * - `permanent`: everything else (other 4xx, 500, a refused TLS certificate, a reply the SDK cannot use):
 *   retrying the same request cannot help.
 * `withRetry` runs a splunkd call under its endpoint's policy (`http/policy.ts`).
 */
import { classifyError, classifyStatus, isRetryable, parseRetryAfter, type TlsContext } from "../http/failure.ts";
import { policyFor, type Endpoint, type EndpointPolicy } from "../http/policy.ts";
import { retry } from "../http/retry.ts";

export type SplunkErrorKind = "auth" | "retryable" | "permanent";

/** What a status means; 600 is the SDK's code for "no HTTP reply" (network error), "abort" its timeout. */
export function splunkErrorKind(status: number | "abort"): SplunkErrorKind {
  if (status === "abort" || status === 600) return "retryable";
  if (status === 401) return "auth";
  return classifyStatus(status) === "retryable" ? "retryable" : "permanent";
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

export interface ErrorContext {
  /** Splunk's base URL (scheme://host:port), for messages. */
  url: string;
  /** The configured CA file; undefined means Node's public roots. */
  caFile?: string;
  /** What was being done ("log in", "create the search job"), for messages. */
  action: string;
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
  const kind = status === 0 ? "permanent" : splunkErrorKind(status);
  const shown = text ?? (typeof o.data === "string" && o.data.length > 0 && !o.data.startsWith("{") ? o.data.slice(0, 200) : "no message");
  return new SplunkError(
    `Splunk at ${ctx.url} answered ${status} to ${ctx.action}: ${shown}`,
    kind,
    status,
    text,
    undefined,
    false,
    parseRetryAfter(o.response?.headers?.["retry-after"]),
  );
}

function networkError(err: Error, code: string | undefined, ctx: ErrorContext): SplunkError {
  const tls: TlsContext = { service: "Splunk", url: ctx.url, caFile: ctx.caFile, configPrefix: "splunk" };
  const f = classifyError(err, tls);
  if (f.kind === "tls") return new SplunkError(f.reason, "permanent", 600, undefined, code, true);
  return new SplunkError(
    `Splunk at ${ctx.url} could not be reached to ${ctx.action}: ${code ? `${code} ` : ""}${err.message}`,
    isRetryable(f.kind) ? "retryable" : "permanent",
    600,
    undefined,
    code,
  );
}

/** Test timings and hooks for `withRetry`; the counts and budget come from the endpoint's policy. */
export interface RetryPolicy extends Partial<EndpointPolicy> {
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each sleep, `attempt` counting from 1. */
  onRetry?: (err: SplunkError, attempt: number, delayMs: number) => void;
}

/**
 * Runs the splunkd call `fn` again while it fails with a retryable SplunkError (or a 500 where the
 * endpoint's policy retries it), with the policy's backoff; rejects with the last error.
 */
export function withRetry<T>(endpoint: Endpoint, fn: () => Promise<T>, tuning: RetryPolicy = {}): Promise<T> {
  const { random, sleep, onRetry, ...overrides } = tuning;
  const policy = policyFor(endpoint, overrides);
  return retry(() => fn(), {
    ...policy,
    random,
    sleep,
    retryable: (o) => {
      if (!("error" in o) || !(o.error instanceof SplunkError)) return false;
      const e = o.error;
      if (e.kind !== "retryable" && !(policy.retry500 && e.status === 500)) return false;
      return { retryAfterMs: e.retryAfterMs };
    },
    onRetry: onRetry && ((o, attempt, delay) => onRetry((o as { error: SplunkError }).error, attempt + 1, delay)),
  });
}
