/**
 * A sink sends one batch and says how it went. Retries wrap a sink from outside; a sink never retries itself.
 */
export type SinkResult =
  | { kind: "success" }
  /** Worth trying again (429, 503, timeouts, resets); `retryAfterMs` from `Retry-After` when given. */
  | { kind: "retryable"; reason: string; retryAfterMs?: number }
  /** Trying again cannot help (bad token, bad request): stop and report. */
  | { kind: "failure"; reason: string };

export interface Sink<T> {
  start(): Promise<void>;
  /** Sends one batch. Resolves with the outcome; rejects only on programming errors. */
  send(batch: T[]): Promise<SinkResult>;
  /** Resolves once everything sent so far is durable (fsynced, or acknowledged by the indexers). */
  flush(): Promise<SinkResult>;
  /** Idempotent, safe without start. */
  shutdown(): Promise<void>;
}
