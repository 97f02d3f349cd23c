/**
 * The source seam: what the pipeline asks of every source (files, Splunk searches). A source pulls one window
 * at a time; the pipeline commits the window's end position once every event of it is written.
 */
import type { NetEvent, RejectedRow } from "./event.ts";

/** One batch of a window: the events read, and the rows that could not be read (counted, never fatal). */
export interface SourceBatch {
  events: NetEvent[];
  rejected: RejectedRow[];
}

/** A source pulls one window at a time. Positions are JSON values owned by the source. */
export interface EventSource<W = unknown> {
  readonly name: string;
  /** The next window after `position` (undefined on the first run), or null when there is nothing new. */
  plan(position: unknown): Promise<W | null>;
  read(window: W): AsyncIterable<SourceBatch>;
  /** The position to commit once `window` is fully written. */
  endPosition(window: W): unknown;
}
