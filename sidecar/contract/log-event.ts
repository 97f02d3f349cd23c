/**
 * The sidecar's own log line (`soc_assistant:log`), as `logging.format: json` writes it to stderr (one JSON
 * object per line; `sidecar/telemetry/log.ts` names the events). FROZEN (see `index.ts`). Schema only.
 */

export const LOG_SOURCETYPE = "soc_assistant:log";

export type LogLevel = "error" | "warn" | "info" | "debug";
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const satisfies readonly LogLevel[];

export interface LogEvent {
  /** ISO 8601 with milliseconds, UTC. */
  timestamp: string;
  level: LogLevel;
  /** The event's name (`run_finished`, `not_ready`, ...): the field to search and alert on. */
  event: string;
  /** One sentence, the same for every line of the event. */
  message: string;
  /** The event's data fields (`run_id`, `source`, `error`, ...), flat beside the above. */
  [field: string]: unknown;
}

/** The fields every log line carries; data fields come beside them. */
export const LOG_EVENT_FIELDS = ["timestamp", "level", "event", "message"] as const satisfies readonly (keyof LogEvent)[];
