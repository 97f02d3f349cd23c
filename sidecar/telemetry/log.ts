/**
 * Named log events, each with its level and a sentence. Data goes in structured fields; nothing is logged
 * per event at INFO. Code logs through `logEvent(name, fields)`, so the catalogue below is the whole list of
 * what the sidecar can say.
 */
import winston from "winston";
import type { LogEvent } from "../contract/index.ts";

const EVENTS = {
  startup: ["info", "SOC Assistant is starting."],
  backend_selected: ["info", "TensorFlow.js backend selected."],
  backend_unavailable: ["debug", "A TensorFlow.js backend could not be loaded; trying the next one."],
  model_loaded: ["info", "Model version loaded from the registry and verified; runs that start from now on score with it."],
  model_promoted: ["info", "The registry pointer moved to a verified version (promotion or rollback)."],
  component_failed: ["error", "A component failed to stop cleanly; shutdown continues with the others."],
  run_finished: ["info", "Scoring run finished."],
  run_failed: ["error", "Scoring run failed; the checkpoint was not advanced and the next run retries the window."],
  run_event_failed: ["error", "The run event could not be written; the run itself completed."],
  run_nothing_new: ["info", "No new events since the checkpoint."],
  inputs_unreadable: ["error", "Some inputs could not be read; the others were scored and committed, and these are tried again when they change."],
  uncommitted_output_dropped: ["warn", "Output written after the last checkpoint (a crash before the commit) was removed; the next run writes those events again."],
  output_not_empty: ["warn", "No checkpoint yet, but the output already holds risk events: events scored again are appended (deduplicate on event_id, or move the output away first)."],
  state_lock_stale: ["warn", "A stale state-directory lock of a process that no longer runs was taken over."],
  tick_skipped: ["warn", "A scheduled run was skipped because the previous run is still in progress."],
  splunk_job_messages: ["warn", "A Splunk search job finished with warnings that do not say its results are incomplete (splunk.incomplete_result_patterns); its window was read."],
  rows_rejected: ["warn", "Some input rows could not be parsed and were skipped."],
  schedule_started: ["info", "Scheduler started."],
  shutdown_started: ["info", "Shutting down: no new runs; waiting for the run in flight."],
  shutdown_finished: ["info", "Shutdown complete."],
  api_listening: ["info", "HTTP API listening."],
  log_shipping_failed: ["warn", "The sidecar's own log events could not be sent to HEC (logging.hec); they are dropped and counted until it accepts them again."],
  api_request: ["debug", "HTTP API request served."],
  api_error: ["error", "An HTTP API request failed inside the sidecar; the client got a 500 without details."],
  backfill_started: ["info", "Backfill started."],
  backfill_finished: ["info", "Backfill finished."],
  backfill_failed: ["error", "Backfill failed."],
  train_epoch: ["info", "Training epoch finished."],
  tls_verification_off: ["warn", "TLS certificate verification is OFF for this connection, by configuration."],
  index_ready: ["info", "The risk index exists (hec.create_index)."],
  not_ready: ["warn", "Not ready: scoring waits until this is fixed; the next tick checks again."],
  became_ready: ["info", "Ready: Splunk and HEC answer."],
  hec_ack_unavailable: ["warn", "HEC returns no ackId although hec.ack is true: the sink treats a 200 as received (not indexed) from now on."],
  sink_dropped: ["warn", "The sink dropped events it could not deliver (malformed for HEC); they are counted in the run event."],
  model_event: ["info", "A retraining decision, promotion or rollback was recorded."],
  model_event_failed: ["error", "A model event could not be sent to the sink; the registry's events.jsonl still holds it."],
  retrain_started: ["info", "Retraining started."],
  retrain_refused: ["warn", "A retraining was asked for while one is running; it was refused."],
  retrain_finished: ["info", "Retraining finished."],
  retrain_failed: ["error", "Retraining failed; nothing changed."],
  versions_pruned: ["info", "Old model versions were deleted (registry retention)."],
  drift_detected: ["warn", "The scored data drifted from the training data; retraining is suggested."],
} as const satisfies Record<string, readonly ["error" | "warn" | "info" | "debug", string]>;

export type LogEventName = keyof typeof EVENTS;

let logger = winston.createLogger({
  level: "info",
  transports: [new winston.transports.Console({ stderrLevels: ["error", "warn", "info", "debug"] })],
  format: textFormat(),
});

function textFormat(): winston.Logform.Format {
  return winston.format.combine(
    winston.format.timestamp(),
    winston.format.printf(({ timestamp, level, message, event: _event, ...rest }) => {
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      return `${String(timestamp)} ${level.toUpperCase().padEnd(5)} ${String(message)}${fields ? ` ${fields}` : ""}`;
    }),
  );
}

/** Reconfigures the process-wide logger (called once by main). Logs go to stderr; stdout is for results. */
export function configureLogging(opts: { level: string; format: "text" | "json" | "auto" }): void {
  const json = opts.format === "json" || (opts.format === "auto" && !process.stderr.isTTY);
  logger = winston.createLogger({
    level: opts.level,
    transports: [new winston.transports.Console({ stderrLevels: ["error", "warn", "info", "debug"] })],
    format: json ? winston.format.combine(winston.format.timestamp(), winston.format.json()) : textFormat(),
  });
}

let shipper: { level: number; push(e: LogEvent): void } | undefined;
const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const;

/** Also hands every log event at `level` or above to `push` (e.g. a `LogShipper` to HEC); undefined stops it. */
export function shipLogs(to: { level: "error" | "warn" | "info" | "debug"; push(e: LogEvent): void } | undefined): void {
  shipper = to ? { level: LEVELS[to.level], push: (e) => to.push(e) } : undefined;
}

export function logEvent(name: LogEventName, fields: Record<string, unknown> = {}): void {
  const [level, message] = EVENTS[name];
  if (shipper && LEVELS[level] <= shipper.level) {
    // Through JSON, as on stderr: secrets print as [REDACTED], and later changes to `fields` do not leak in.
    shipper.push(JSON.parse(JSON.stringify({ timestamp: new Date().toISOString(), level, event: name, message, ...fields })) as LogEvent);
  }
  // Winston formats before its transports filter by level: skip disabled levels here (per-request debug events).
  if (!logger.isLevelEnabled(level)) return;
  logger.log(level, message, { event: name, ...fields });
}
