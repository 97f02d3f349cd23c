/**
 * The source seam: what the pipeline asks of every source (files, Splunk searches). A source pulls one window
 * at a time; the pipeline commits the window's end position once every event of it is written.
 */
import type { NetEvent, RejectedRow } from "./event.ts";

/** One batch of a window: the events read, and the rows that could not be read (counted, never fatal). */
export interface SourceBatch {
  events: NetEvent[];
  rejected: RejectedRow[];
  /**
   * A commit point inside the window: the position to commit once this batch and every batch before it are
   * durably written. A crash after that commit redoes only what follows it (a bounded chunk of a large file),
   * not the whole window. Absent on most batches; the window's end is always `endPosition`.
   */
  position?: unknown;
}

/** A source pulls one window at a time. Positions are JSON values owned by the source. */
export interface EventSource<W = unknown> {
  readonly name: string;
  /** The next window after `position` (undefined on the first run), or null when there is nothing new. */
  plan(position: unknown): Promise<W | null>;
  read(window: W): AsyncIterable<SourceBatch>;
  /** The position to commit once `window` is fully written. */
  endPosition(window: W): unknown;
  /**
   * Inputs that could not be read as of the last `plan` or `read`, one sentence each naming the input and the
   * reason (a missing file, a truncated gzip). The other inputs still make progress; the run that met them
   * counts as failed, and readiness reports them until they can be read again. Optional: Splunk searches fail
   * the whole window instead.
   */
  failures?(): string[];
}
