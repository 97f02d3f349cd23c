/**
 * The one retry wrapper. `retry(fn, opts)` calls `fn` until `opts.retryable` says an outcome is not worth
 * another attempt, until `attempts` are used, or until the overall deadline; then it returns the last value
 * (or throws the last error). Backoff ceiling for retry n (0-based) is min(maxMs, baseMs·2ⁿ); with jitter the
 * sleep is uniform in [0, ceiling) (full jitter), without it the ceiling; a `Retry-After` from the server is
 * a floor. A sleep that would end past the deadline is not taken. Aborting `signal` ends a sleep early and
 * stops retrying.
 *
 * Which outcomes are retryable is the caller's `failure.ts` classification; how often and how long is the
 * endpoint's policy (`policy.ts`).
 */
import { setTimeout as sleepMs } from "node:timers/promises";

export interface Backoff {
  /** Attempts in all, the first included (`Infinity`: until the deadline). */
  attempts: number;
  /** Overall budget from the first attempt, ms (`Infinity`: none). No attempt starts, and no sleep ends, after it. */
  deadlineMs: number;
  /** First backoff ceiling, ms. */
  baseMs: number;
  /** Largest backoff ceiling, ms. `Retry-After` may ask for longer, within the deadline. */
  maxMs: number;
  /** Full jitter (true) or the ceiling itself (false: a steady poll). */
  jitter: boolean;
}

/** An outcome of one attempt: a value, or what it threw. */
export type Outcome<T> = { value: T } | { error: unknown };

export interface AttemptContext {
  /** 0 for the first call. */
  attempt: number;
  /** Time left before the deadline, ms (at least 1; `Infinity` without one): an attempt should not take longer. */
  remainingMs: number;
}

export interface RetryOptions<T> extends Partial<Backoff> {
  /** Whether `outcome` deserves another attempt; an object (with the server's `Retry-After`) means yes. */
  retryable: (outcome: Outcome<T>) => false | { retryAfterMs?: number };
  /** [0, 1) source for the jitter (tests pass a fixed one). */
  random?: () => number;
  /** Sleeps `ms`; should resolve early when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  signal?: AbortSignal;
  /** Called before each sleep with the outcome that caused it, the attempt number (0-based) and the delay. */
  onRetry?: (outcome: Outcome<T>, attempt: number, delayMs: number) => void;
}

const defaultSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  try {
    await sleepMs(ms, undefined, { signal });
  } catch {
    // aborted: the caller checks the signal
  }
};

function settle<T>(o: Outcome<T>): T {
  if ("error" in o) throw o.error;
  return o.value;
}

export async function retry<T>(fn: (ctx: AttemptContext) => Promise<T>, opts: RetryOptions<T>): Promise<T> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  const attempts = Math.max(1, opts.attempts ?? Infinity);
  const baseMs = opts.baseMs ?? 100;
  const maxMs = opts.maxMs ?? 10_000;
  const deadline = now() + (opts.deadlineMs ?? Infinity);
  for (let attempt = 0; ; attempt++) {
    let outcome: Outcome<T>;
    try {
      outcome = { value: await fn({ attempt, remainingMs: Math.max(1, deadline - now()) }) };
    } catch (error) {
      outcome = { error };
    }
    const verdict = opts.retryable(outcome);
    if (verdict === false || opts.signal?.aborted || attempt + 1 >= attempts) return settle(outcome);
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
    const backoff = opts.jitter === false ? ceiling : Math.floor(random() * ceiling);
    const delay = Math.max(backoff, verdict.retryAfterMs ?? 0);
    if (now() + delay >= deadline) return settle(outcome);
    opts.onRetry?.(outcome, attempt, delay);
    await sleep(delay, opts.signal);
    if (opts.signal?.aborted || now() >= deadline) return settle(outcome);
  }
}
