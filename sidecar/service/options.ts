/**
 * The composition root's adapters from validated config sections to component options: the only place that
 * knows both the config's keys and the components' option names, so sinks and clients never import config.
 */
import type { HecConfig, SplunkConfig } from "../config/schema.ts";
import type { RiskEvent } from "../contract/index.ts";
import type { HecSinkOptions } from "../sinks/hec/sink.ts";
import type { SplunkConnectionOptions } from "../splunk/sdk.ts";

/** Sink options from the `hec` config section; `overrides` for the run-event sink (sourcetype) and tests. */
export function hecSinkOptions<T extends object = RiskEvent>(cfg: HecConfig, overrides: Partial<HecSinkOptions<T>> = {}): HecSinkOptions<T> {
  return {
    url: cfg.url,
    token: cfg.token,
    index: cfg.index,
    ack: cfg.ack,
    caFile: cfg.ca_file,
    verifyTls: cfg.verify_tls,
    batchMaxEvents: cfg.batch_max_events,
    batchMaxBytes: cfg.batch_max_bytes,
    maxInFlight: cfg.max_in_flight,
    retryDeadlineMs: cfg.retry_deadline_ms,
    timeoutMs: cfg.timeout_ms,
    ackDeadlineMs: cfg.ack_deadline_ms,
    ackPollMs: cfg.ack_poll_ms,
    ...overrides,
  };
}

/** The connection options of a validated `splunk` config section (a token wins over username/password). */
export function connectionOptions(config: SplunkConfig): SplunkConnectionOptions {
  return {
    url: config.url,
    auth: config.token
      ? { kind: "token", token: config.token.reveal() }
      : { kind: "password", username: config.username ?? "", password: config.password?.reveal() ?? "" },
    caFile: config.ca_file,
    verifyTls: config.verify_tls,
    timeoutMs: config.timeout_ms,
    app: config.app,
  };
}
