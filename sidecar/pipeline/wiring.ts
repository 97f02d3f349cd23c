/**
 * Builds what the configured pipeline is made of: the sources (one file source, or one Splunk source per
 * configured search, each its own checkpoint key), the risk-event sink and the run-event sink (files, or HEC
 * with `soc_assistant:risk` and `soc_assistant:run`), and a readiness check that says what to fix.
 */
import type { Config } from "../config/schema.ts";
import { RUN_SOURCETYPE, type RiskEvent } from "../contract/index.ts";
import { FileSink } from "../sinks/file.ts";
import { HecSink, hecSinkOptions } from "../sinks/hec.ts";
import type { Sink } from "../sinks/sink.ts";
import { checkSplunk, explainFailure } from "../splunk/check.ts";
import { connectionOptions, SplunkClient } from "../splunk/sdk.ts";
import { SplunkSource } from "../sources/splunk/source.ts";
import { openFileSource } from "../sources/file/index.ts";
import { WindowedFileSource } from "../sources/file/windowed.ts";
import { logEvent } from "../telemetry/log.ts";
import type { EventSource } from "../sources/source.ts";

export type RunRecord = Record<string, unknown> & { _time: number };

export interface Wiring {
  /**
   * The sources for a model that reads `fields` (Splunk searches pull only those). `now` is the clock Splunk
   * windows are planned by (default Date.now).
   */
  sources(fields: readonly string[], now?: () => number): EventSource[];
  sink: Sink<RiskEvent>;
  runSink: Sink<RunRecord>;
  /** Null when Splunk and HEC (as configured) answer; otherwise the reason and what to do. */
  check(): Promise<string | null>;
  /** The fields a file input provides (to refuse a model it cannot satisfy); undefined for Splunk. */
  inputFields(): Promise<string[] | undefined>;
  /** Where risk events go, for the summary. */
  destination: string;
  close(): void;
}

export function wire(config: Config): Wiring {
  let client: SplunkClient | undefined;
  if (config.source.type === "splunk" || (config.sink.type === "splunk_hec" && config.hec?.create_index)) {
    client = new SplunkClient(connectionOptions(config.splunk!));
    if (client.tlsVerificationOff) logEvent("tls_verification_off", { url: config.splunk!.url, key: "splunk.verify_tls" });
  }
  const hec = config.sink.type === "splunk_hec" ? config.hec! : undefined;
  if (hec && !hec.verify_tls && hec.url.startsWith("https:")) logEvent("tls_verification_off", { url: hec.url, key: "hec.verify_tls" });

  const sink: Sink<RiskEvent> = hec ? new HecSink<RiskEvent>(hecSinkOptions(hec)) : new FileSink<RiskEvent>(config.sink.file.path);
  const runSink: Sink<RunRecord> = hec
    ? new HecSink<RunRecord>(hecSinkOptions<RunRecord>(hec, { sourcetype: RUN_SOURCETYPE }))
    : new FileSink<RunRecord>(config.sink.file.runs_path);
  let indexReady = !hec?.create_index;
  let checkedIndex = false;

  return {
    sources(fields, now) {
      if (config.source.type === "file") {
        return [new WindowedFileSource({ files: config.source.file!.paths, format: config.source.file!.format })];
      }
      const s = config.splunk!;
      return s.searches.map((search) => new SplunkSource({ client: client!, search, settings: s, fields, now }));
    },
    sink,
    runSink,
    async check() {
      if (config.source.type === "splunk") {
        const r = await checkSplunk(config.splunk!);
        if (!r.ok) return r.reason;
      }
      if (hec && !indexReady && client) {
        try {
          const r = await client.createIndex(hec.index);
          logEvent("index_ready", { index: hec.index, result: r });
          indexReady = true;
        } catch (e) {
          return `cannot create index ${hec.index} (hec.create_index): ${explainFailure(e, connectionOptions(config.splunk!))}`;
        }
      }
      if (hec && indexReady && client && !checkedIndex) {
        try {
          if (!(await client.indexExists(hec.index))) {
            return `index ${hec.index} (hec.index) does not exist in Splunk: install the app's indexes.conf (on a cluster, push it with the bundle; on Splunk Cloud, ask the admin), or set hec.create_index: true on a single instance`;
          }
          checkedIndex = true;
        } catch (e) {
          return `cannot check index ${hec.index}: ${explainFailure(e, connectionOptions(config.splunk!))}`;
        }
      }
      if (sink instanceof HecSink) {
        try {
          const h = await sink.healthcheck();
          if (!h.healthy) return `HEC at ${hec!.url} is not healthy (${h.status}: ${h.text}); check that HTTP Event Collector is enabled and hec.url is its port (8088 by default)`;
          const t = await sink.checkToken();
          if (!t.ok) return `HEC at ${hec!.url} rejected the token (${t.status}: ${t.text}); check hec.token`;
        } catch (e) {
          return `HEC at ${hec!.url} does not answer (${(e as Error).message}); check hec.url and any firewall between the sidecar and Splunk`;
        }
      }
      return null;
    },
    async inputFields() {
      if (config.source.type !== "file") return undefined;
      return openFileSource({ files: config.source.file!.paths, format: config.source.file!.format }).fields();
    },
    destination: hec ? `index ${hec.index} through HEC at ${hec.url}` : config.sink.file.path,
    close() {
      client?.close();
    },
  };
}
