/**
 * Window planning for one configured search (DESIGN.md, data flow step 1), as pure functions of the
 * position, the settings and the clock.
 *
 * Windows go by index time (`_indextime`, whole epoch seconds), so an event that arrives late is read in the
 * window of the second it was indexed, whatever its `_time`. A window is `[start, end)`: start inclusive, end
 * exclusive, `end ≤ now − lag_seconds`, `end − start ≤ max_window_seconds`. The position committed after a
 * window is its end: every event indexed before that second has been read. The first window starts at
 * now − `initial_lookback_seconds`. A search that is behind gets full-size windows, one per run, until it
 * reaches now − lag (the caller loops plan → read → commit).
 *
 * Splunk also needs an event-time range: `earliest` = start − `max_lateness_seconds`, `latest` = end +
 * `future_slack_seconds` (`splunk.future_slack_seconds`, default `EVENT_TIME_SLACK_SECONDS`). An event whose `_time` is older than its index time by more than
 * `max_lateness_seconds`, or newer than the window end by more than the slack, is not read.
 */

/** Default of `future_slack_seconds`: how far past the window end an event's `_time` may lie (clock skew of the senders), seconds. */
export const EVENT_TIME_SLACK_SECONDS = 300;

export interface WindowSettings {
  lag_seconds: number;
  max_window_seconds: number;
  initial_lookback_seconds: number;
  max_lateness_seconds: number;
  /** How far past the window end an event's `_time` may lie, seconds (default `EVENT_TIME_SLACK_SECONDS`). */
  future_slack_seconds?: number;
}

/** One pull: every event with start ≤ `_indextime` < end and earliest ≤ `_time` < latest. Epoch seconds. */
export interface SplunkWindow {
  /** Index time, inclusive. */
  start: number;
  /** Index time, exclusive. */
  end: number;
  /** Event time, inclusive. */
  earliest: number;
  /** Event time, exclusive. */
  latest: number;
}

/** The checkpoint of a search: every event indexed before `indexed_before` (epoch seconds) has been read. */
export interface SplunkPosition {
  indexed_before: number;
}

/** Reads a stored position; undefined/null (first run) gives undefined. Throws on anything else malformed. */
export function parsePosition(position: unknown, search: string): SplunkPosition | undefined {
  if (position === undefined || position === null) return undefined;
  const p = (position as { indexed_before?: unknown }).indexed_before;
  if (typeof p !== "number" || !Number.isInteger(p) || p < 0) {
    throw new Error(`checkpoint of Splunk search "${search}" is not {"indexed_before": <epoch seconds>}: ${JSON.stringify(position)}`);
  }
  return { indexed_before: p };
}

/**
 * The event-time bounds that go with an index-time range. `earliest` never goes below 0: a negative
 * `earliest_time` is no epoch, its leading `-` makes it a relative time (the emulator reads `-204352545` as
 * that many seconds before now), which would silently drop every older event.
 */
export function eventTimeBounds(
  start: number,
  end: number,
  s: Pick<WindowSettings, "max_lateness_seconds" | "future_slack_seconds">,
): Pick<SplunkWindow, "earliest" | "latest"> {
  return { earliest: Math.max(0, start - s.max_lateness_seconds), latest: end + (s.future_slack_seconds ?? EVENT_TIME_SLACK_SECONDS) };
}

/** The next window after `position` at `nowMs`, or null when nothing up to now − lag is left to read. */
export function planWindow(position: SplunkPosition | undefined, s: WindowSettings, nowMs: number): SplunkWindow | null {
  const now = Math.floor(nowMs / 1000);
  const ceiling = now - s.lag_seconds;
  const start = position?.indexed_before ?? now - s.initial_lookback_seconds;
  if (start >= ceiling) return null;
  const end = Math.min(ceiling, start + s.max_window_seconds);
  return { start, end, ...eventTimeBounds(start, end, s) };
}

export function positionAfter(window: Pick<SplunkWindow, "end">): SplunkPosition {
  return { indexed_before: window.end };
}
