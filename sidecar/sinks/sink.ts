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

/**
 * Records the caller serializes, for `Sink.sendSerialized`: record i is the JSON object `json(i)` (without a
 * `_time` member) whose `_time` is `time[i]` (epoch seconds) and whose `event_id` is `ids[i]`. The sink calls
 * `json(i)` once per record, in order, when it writes the record out: the texts are built one at a time and
 * die young instead of all living until the batch is encoded.
 */
export interface SerializedBatch {
  length: number;
  json(i: number): string;
  time: ArrayLike<number>;
  ids: readonly string[];
}

export interface SinkMark {
  written: number;
  [key: string]: unknown;
}

export interface Sink<T> {
  start(): Promise<void>;
  /** Sends one batch. Resolves with the outcome; rejects only on programming errors. */
  send(batch: T[]): Promise<SinkResult>;
  /**
   * Optional: sends records already serialized, exactly as `send` of the records they serialize would (same
   * outcome, same bytes written). A sink that writes JSON offers it so that the pipeline serializes each
   * record once, without building it as an object first (docs/adr/0020-write-path.md).
   */
  sendSerialized?(batch: SerializedBatch): Promise<SinkResult>;
  /**
   * Resolves once everything sent so far is durable (fsynced, or acknowledged by the indexers), minus the
   * events it counts as `dropped`.
   */
  flush(): Promise<SinkResult>;
  /** Idempotent, safe without start. */
  shutdown(): Promise<void>;
  /**
   * Optional, for sinks that can take back what they wrote (a file). A JSON token for "everything flushed so
   * far" (`written`: how much output that is, bytes or records; 0 for an empty output); the pipeline commits
   * it with the source's checkpoint, in the same atomic write.
   */
  mark?(): SinkMark | undefined;
  /**
   * Optional, with `mark`: removes what was written after the newest of `marks` (the tokens of the committed
   * checkpoints) that still describes this sink's output, because the sources will write it again; resolves
   * with the bytes removed. Called once before the first run, after `start`. Tokens of another output are
   * ignored.
   */
  rewind?(marks: unknown[]): Promise<number>;
}
