/**
 * Turns config into the concrete parts of the pipeline: the sources (one file source, or one Splunk source per
 * configured search, each its own checkpoint key), the risk-event sink and the run-event sink (files, or HEC
 * with `soc_assistant:risk` and `soc_assistant:run`), and the readiness check of what they talk to. The only
 * module besides `sidecar.ts` that knows the concrete classes and reads config for them.
 */
import type { Config } from "../config/schema.ts";
import { MODEL_SOURCETYPE, RUN_SOURCETYPE, type RiskEvent } from "../contract/index.ts";
import type { RetrainDataSpec, RetrainSpec } from "../training/retrain-job.ts";
import { TrainingDataError } from "../training/data.ts";
import type { EventSource } from "../sources/source.ts";
import type { RunRecord } from "../pipeline/scoring-job.ts";
import { FileSink } from "../sinks/file.ts";
import { HecSink } from "../sinks/hec/sink.ts";
import type { Sink } from "../sinks/sink.ts";
import { checkSplunk, explainFailure } from "../splunk/check.ts";
import { SplunkClient } from "../splunk/sdk.ts";
import { connectionOptions, hecSinkOptions } from "./options.ts";
import { SplunkSource } from "../sources/splunk/source.ts";
import { openFileSource } from "../sources/file/index.ts";
import { WindowedFileSource } from "../sources/file/windowed.ts";
import { expandPaths } from "../sources/file/glob.ts";
import { access, constants } from "node:fs/promises";
import { logEvent } from "../telemetry/log.ts";
import type { HolderOptions } from "../scoring/holder.ts";
import { checkInputFields } from "../scoring/load.ts";

export interface Wiring {
  /** The sources for a model that reads `fields` (Splunk searches pull only those). */
  sources(fields: readonly string[], now: () => number): EventSource[];
  sink: Sink<RiskEvent>;
  runSink: Sink<RunRecord>;
  /**
   * Where `soc_assistant:model` events go: the run sink itself for files (the body's `sourcetype` tells them
   * apart), a HEC sink with sourcetype `soc_assistant:model` for Splunk.
   */
  modelSink: Sink<RunRecord>;
  /** Null when Splunk and HEC (as configured) answer; otherwise the reason and what to do. */
  check(): Promise<string | null>;
  /** What works but weakens a guarantee, with the fix (status shows them; readiness stays ready). */
  warnings(): string[];
  /** The fields a file input provides (to refuse a model it cannot satisfy); undefined for Splunk. */
  inputFields(): Promise<string[] | undefined>;
  /** What `inputFields` read, for messages. */
  inputName: string;
  /** Where risk events go, for the summary. */
  destination: string;
  /** Splunk's indexing lag allowance; undefined for file sources. */
  lagSeconds: number | undefined;
  /** `splunk.max_window_failures`; undefined for file sources. */
  maxWindowFailures: number | undefined;
  close(): void;
}

export function wire(config: Config): Wiring {
  const src = config.source;
  const sink = config.sink;
  // One client for everything that talks to splunkd: the source and, with hec.create_index, index creation.
  const splunkConf = src.type === "splunk" ? src.splunk : sink.type === "splunk_hec" ? sink.index_admin : null;
  const client = splunkConf ? new SplunkClient(connectionOptions(splunkConf)) : undefined;
  const hec = sink.type === "splunk_hec" ? sink.hec : undefined;

  const riskSink: Sink<RiskEvent> = hec ? new HecSink<RiskEvent>(hecSinkOptions(hec)) : new FileSink<RiskEvent>(sink.file.path);
  const runSink: Sink<RunRecord> = hec
    ? new HecSink<RunRecord>(hecSinkOptions<RunRecord>(hec, { sourcetype: RUN_SOURCETYPE }))
    : new FileSink<RunRecord>(sink.file.runs_path);
  const modelSink: Sink<RunRecord> = hec ? new HecSink<RunRecord>(hecSinkOptions<RunRecord>(hec, { sourcetype: MODEL_SOURCETYPE })) : runSink;
  let indexReady = !(sink.type === "splunk_hec" && sink.index_admin);
  let checkedIndex = false;

  return {
    sources(fields, now) {
      if (src.type === "file") {
        return [new WindowedFileSource({ files: src.file.paths, format: src.file.format, checkpointEveryEvents: src.file.checkpoint_every_events })];
      }
      return src.splunk.searches.map((search) => new SplunkSource({ client: client!, search, settings: src.splunk, fields, now, incompletePatterns: src.splunk.incomplete_result_patterns }));
    },
    sink: riskSink,
    runSink,
    modelSink,
    async check() {
      if (src.type === "splunk") {
        const r = await checkSplunk(connectionOptions(src.splunk));
        if (!r.ok) return r.reason;
      }
      if (!hec) return null;
      if (!indexReady && client && splunkConf) {
        try {
          const r = await client.createIndex(hec.index);
          logEvent("index_ready", { index: hec.index, result: r });
          indexReady = true;
        } catch (e) {
          return `cannot create index ${hec.index} (hec.create_index): ${explainFailure(e, connectionOptions(splunkConf))}`;
        }
      }
      if (client && splunkConf && !checkedIndex) {
        try {
          if (!(await client.indexExists(hec.index))) {
            return `index ${hec.index} (hec.index) does not exist in Splunk: install the app's indexes.conf (on a cluster, push it with the bundle; on Splunk Cloud, ask the admin), or set hec.create_index: true on a single instance`;
          }
          checkedIndex = true;
        } catch (e) {
          return `cannot check index ${hec.index}: ${explainFailure(e, connectionOptions(splunkConf))}`;
        }
      }
      if (riskSink instanceof HecSink) {
        try {
          const h = await riskSink.healthcheck();
          if (!h.healthy) return `HEC at ${hec.url} is not healthy (${h.status}: ${h.text}); check that HTTP Event Collector is enabled and hec.url is its port (8088 by default)`;
          const t = await riskSink.checkToken();
          if (!t.ok) return `HEC at ${hec.url} rejected the token (${t.status}: ${t.text}); check hec.token`;
        } catch (e) {
          return `HEC at ${hec.url} does not answer (${(e as Error).message}); check hec.url and any firewall between the sidecar and Splunk`;
        }
      }
      return null;
    },
    warnings() {
      const noAck = [riskSink, runSink, modelSink].some((s) => s instanceof HecSink && s.ackUnavailable);
      return noAck ? [`hec: ${HecSink.ACK_UNAVAILABLE_FIX}`] : [];
    },
    inputFields: () => fileInputFields(config),
    inputName: src.type === "file" ? src.file.paths.join(", ") : "splunk",
    destination: hec ? `index ${hec.index} through HEC at ${hec.url}` : sink.file.path,
    lagSeconds: src.type === "splunk" ? src.splunk.lag_seconds : undefined,
    maxWindowFailures: src.type === "splunk" ? src.splunk.max_window_failures : undefined,
    close() {
      client?.close();
    },
  };
}

/**
 * The retraining job spec for a request's data, or for the configured `retrain.data` when the request names
 * none. Throws a `TrainingDataError` when neither exists. Secrets are revealed here: the spec crosses into the
 * retraining worker thread as plain data and is never logged.
 */
/**
 * The fields the configured file input provides (patterns expanded, only the files readable now: one that
 * cannot be read is the file source's to report, by name, and says nothing about whether a model fits);
 * undefined for a Splunk source or when no file can be read.
 */
export async function fileInputFields(config: Config): Promise<string[] | undefined> {
  const src = config.source;
  if (src.type !== "file") return undefined;
  const readable: string[] = [];
  for (const f of (await expandPaths(src.file.paths)).files) {
    try {
      await access(f, constants.R_OK);
      readable.push(f);
    } catch {
      // reported by the source
    }
  }
  if (readable.length === 0) return undefined;
  try {
    return await openFileSource({ files: readable, format: src.file.format }).fields();
  } catch {
    return undefined;
  }
}

/**
 * The model holder's options from config, for the sidecar and for the CLI's promote/rollback/retrain (which
 * verify in their own process, on the main thread: `workers: 0`). A version is refused when the configured
 * file input lacks fields it reads.
 */
export function modelHolderOptions(config: Config, o: { registryDir?: string; name?: string; workers?: number } = {}): HolderOptions {
  const inputName = config.source.type === "file" ? config.source.file.paths.join(", ") : "splunk";
  return {
    registryDir: o.registryDir ?? config.model.registry_dir,
    name: o.name ?? config.model.name,
    backend: config.model.backend,
    workers: o.workers ?? config.model.workers,
    topK: config.model.explain_top_k,
    baseRate: config.model.base_rate,
    async checkInput(metadata) {
      const fields = await fileInputFields(config);
      if (fields) checkInputFields(metadata, fields, inputName);
    },
  };
}

export function retrainSpec(config: Config, data: RetrainDataSpec | undefined): RetrainSpec {
  const r = config.retrain;
  let d = data;
  if (!d && r.data?.type === "file") d = { kind: "file", files: r.data.file.paths, format: r.data.file.format, labelColumn: r.data.file.label_column };
  if (!d && r.data?.type === "splunk") d = { kind: "splunk", connection: connectionOptions(r.data.splunk), search: r.data.search };
  if (!d) throw new TrainingDataError("no training data: configure retrain.data (files or a Splunk search) or name the data in the request");
  const fb = r.feedback.splunk;
  return {
    data: d,
    feedback: fb ? { connection: connectionOptions(fb), collection: r.feedback.collection } : null,
    registryDir: config.model.registry_dir,
    name: config.model.name,
    architecture: config.model.architecture,
    training: { ...config.model.training, epochs: r.epochs ?? config.model.training.epochs },
    baseRate: config.model.base_rate,
    holdoutFraction: r.holdout_fraction,
    minRows: r.min_rows,
  };
}
