/**
 * A sink sends one batch and says how it went.
 *
 * Retries: a sink that talks to a server retries its own requests, each under its endpoint's policy
 * (`http/policy.ts`), within one deadline per `send` or `flush`; it does not retry a whole `send`. A `send`
 * is several requests (the HEC sink cuts a batch into posts), and retrying from outside would resend the
 * posts that were delivered. `retryable` therefore means "the budget ran out, try again later": the pipeline
 * keeps the checkpoint and the next run sends the window again; nothing else retries around a sink.
 */
export type SinkResult =
  /** `dropped`: events refused as malformed (not resent) since the previous flush; only `flush` sets it. */
  | { kind: "success"; dropped?: number }
  /** Worth trying again (429, 503, timeouts, resets); `retryAfterMs` from `Retry-After` when given. */
  | { kind: "retryable"; reason: string; retryAfterMs?: number }
  /** Trying again cannot help (bad token, bad request): stop and report. */
  | { kind: "failure"; reason: string };

export interface Sink<T> {
  start(): Promise<void>;
  /** Sends one batch. Resolves with the outcome; rejects only on programming errors. */
  send(batch: T[]): Promise<SinkResult>;
  /**
   * Resolves once everything sent so far is durable (fsynced, or acknowledged by the indexers), minus the
   * events it counts as `dropped`.
   */
  flush(): Promise<SinkResult>;
  /** Idempotent, safe without start. */
  shutdown(): Promise<void>;
}
