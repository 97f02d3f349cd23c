/**
 * Retries wrap a sink call from outside. `classify` is the one place that decides what is worth retrying:
 * 408, 429, 5xx (but 501, 505), timeouts and connection errors are retryable; other 4xx, 3xx and refused TLS
 * certificates are permanent, reported with a truncated reply body. `withRetry` runs a call with exponential
 * backoff, full jitter, `Retry-After` honoured and an overall deadline, and never sleeps past that deadline.
 */
import { setTimeout as sleepMs } from "node:timers/promises";
import { isTlsVerificationError } from "./http.ts";
import type { SinkResult } from "./sink.ts";

/** Longest reply body quoted in a reason, characters. */
export const MAX_BODY_IN_REASON = 256;

/** The outcome of one HTTP exchange: a reply, or the error that stopped it. */
export type HttpOutcome =
  | { status: number; body?: string | Buffer; retryAfter?: string | string[] | null }
  | { error: unknown };

/** 408 and 429 ask to come back later; 5xx are the server's trouble, except "not implemented" and "HTTP version". */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** Error codes of a connection that failed or broke, and of timeouts: the next attempt may work. */
const RETRYABLE_ERRORS = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

export function truncate(text: string, max = MAX_BODY_IN_REASON): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length <= max ? t : `${t.slice(0, max)}… (${t.length} chars)`;
}

/**
 * `Retry-After` as a delay in ms: delta-seconds (`"120"`) or an HTTP date. Undefined when absent or
 * unparsable; never negative.
 */
export function parseRetryAfter(value: string | string[] | null | undefined, nowMs = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date names its month ("Wed, 21 Oct 2015 07:28:00 GMT"); V8's Date.parse takes "-5" as a year.
  if (!/[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

function errorText(err: unknown): { code: string | undefined; message: string } {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : undefined;
  const message = typeof e?.message === "string" ? e.message : String(err);
  return { code, message };
}

/** What one HTTP exchange means for a sink: success (2xx), retryable or permanent failure. */
export function classify(outcome: HttpOutcome, nowMs = Date.now()): SinkResult {
  if ("error" in outcome) {
    const { code, message } = errorText(outcome.error);
    if (isTlsVerificationError(outcome.error)) {
      return { kind: "failure", reason: `the server's TLS certificate was refused (${code}: ${message})` };
    }
    if ((code !== undefined && RETRYABLE_ERRORS.has(code)) || /socket hang up|timed? ?out/i.test(message)) {
      return { kind: "retryable", reason: `${code ?? "network error"}: ${message}` };
    }
    return { kind: "failure", reason: `${code ?? "error"}: ${message}` };
  }
  const { status } = outcome;
  if (status >= 200 && status < 300) return { kind: "success" };
  const body = outcome.body === undefined ? "" : truncate(outcome.body.toString());
  const reason = `HTTP ${status}${body ? `: ${body}` : ""}`;
  if (retryableStatus(status)) {
    const retryAfterMs = parseRetryAfter(outcome.retryAfter, nowMs);
    return retryAfterMs === undefined ? { kind: "retryable", reason } : { kind: "retryable", reason, retryAfterMs };
  }
  return { kind: "failure", reason };
}

export interface RetryOptions {
  /** Overall budget from the first attempt, ms. No attempt starts, and no sleep ends, after it. 0: one attempt. */
  deadlineMs: number;
  /** First backoff ceiling, ms (default 100). */
  baseMs?: number;
  /** Largest backoff ceiling, ms (default 10 000). `Retry-After` may ask for longer, within the deadline. */
  maxMs?: number;
  /** Full jitter (default true): sleep a uniform random time in [0, ceiling). False: sleep the ceiling. */
  jitter?: boolean;
  /** [0, 1) source for the jitter (tests pass a fixed one). */
  random?: () => number;
  /** Sleeps `ms`; resolves early (or rejects) when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Aborting stops retrying: the last result is returned after the current attempt. */
  signal?: AbortSignal;
  /** Called before each sleep with the result that caused it. */
  onRetry?: (result: SinkResult & { kind: "retryable" }, attempt: number, delayMs: number) => void;
}

export interface AttemptContext {
  /** 0 for the first call. */
  attempt: number;
  /** Time left before the deadline, ms (at least 1): an attempt should not take longer. */
  remainingMs: number;
}

const defaultSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  try {
    await sleepMs(ms, undefined, { signal });
  } catch {
    // aborted: the caller checks the signal
  }
};

/**
 * Calls `fn` until it returns success or a permanent failure, or until the deadline: then the last
 * (retryable) result is returned. Backoff ceiling for retry n (0-based) is min(maxMs, baseMs·2ⁿ); the
 * sleep is the larger of the jittered backoff and the server's `Retry-After`. A sleep that would end past the
 * deadline is not taken.
 */
export async function withRetry(fn: (ctx: AttemptContext) => Promise<SinkResult>, opts: RetryOptions): Promise<SinkResult> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  const baseMs = opts.baseMs ?? 100;
  const maxMs = opts.maxMs ?? 10_000;
  const deadline = now() + opts.deadlineMs;
  for (let attempt = 0; ; attempt++) {
    const result = await fn({ attempt, remainingMs: Math.max(1, deadline - now()) });
    if (result.kind !== "retryable" || opts.signal?.aborted) return result;
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
    const backoff = opts.jitter === false ? ceiling : Math.floor(random() * ceiling);
    const delay = Math.max(backoff, result.retryAfterMs ?? 0);
    if (now() + delay >= deadline) return result;
    opts.onRetry?.(result, attempt, delay);
    await sleep(delay, opts.signal);
    if (opts.signal?.aborted || now() >= deadline) return result;
  }
}
