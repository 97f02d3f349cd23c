/**
 * The one configuration schema: every key, its default and its validation live here. `config.yaml` and the
 * README's reference table follow this file. Units are in key names. Unknown keys are rejected.
 */
import { z } from "zod";
import { Secret } from "./secret.ts";
import { findTimeModifiers } from "./spl-time-modifiers.ts";

const secret = z.string().min(1, "must not be empty").transform((v) => new Secret(v));
const httpUrl = z
  .string()
  .url("must be a URL such as https://splunk.example.com:8089")
  .refine((u) => /^https?:\/\//.test(u), "must start with http:// or https://");
const cron = z.string().min(1);

/** Loopback host names and addresses: the only ones the API may bind to without `api.token`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || h === "::ffff:127.0.0.1";
}

const fileSource = z
  .object({
    /**
     * Files or patterns (`*`, `?`, `[...]`, `**`) to score, in order: Zeek conn.log (.gz too), CSV, NSL-KDD,
     * JSON lines. A pattern's matches come oldest first, so a pattern for Zeek's dated archive folders
     * (`conn.*.log.gz` in each) listed before `logs/current/conn.log` finishes a rotated log from its archive.
     */
    paths: z.array(z.string().min(1)).min(1),
    /** `auto` detects the format from the content. */
    format: z.enum(["auto", "zeek", "csv", "jsonl", "nsl-kdd"]).default("auto"),
    /** Events between checkpoint commits inside a large file: a crash redoes at most this many. */
    checkpoint_every_events: z.number().int().min(1).default(50_000),
  })
  .strict();

const splunkSearch = z
  .object({
    /** Checkpoint key; unique per search. */
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, '_', '.', '-'"),
    /**
     * The SPL that selects the events, without time bounds (the sidecar adds the window): a query using
     * `earliest=`, `latest=`, `_index_earliest=` or `_index_latest=` as a search term is refused.
     */
    query: z.string().min(1),
    /** Normalized field name -> Splunk field name, for fields not already CIM-named. */
    field_map: z.record(z.string()).default({}),
  })
  .strict();

/** Default of `splunk.incomplete_result_patterns`: Splunk's job messages for a failed search peer, a stopped search, truncated results. */
export const DEFAULT_INCOMPLETE_RESULT_PATTERNS = [
  "unable to distribute",
  "peer .*(unreachable|down|not responding)|unreachable",
  "search (was|has been) (stopped|finalized|cancell?ed)|finalized",
  "results may be incomplete|incomplete results|partial results",
  "truncated",
] as const;

const splunk = z
  .object({
    url: httpUrl,
    username: z.string().optional(),
    password: secret.optional(),
    token: secret.optional(),
    /** PEM file of the CA that signs Splunk's certificate. */
    ca_file: z.string().optional(),
    /** Turning verification off is logged at WARN on every start. */
    verify_tls: z.boolean().default(true),
    app: z.string().default("soc_assistant"),
    /** The scoring searches; at least one when `source.type` is splunk (a connection only for retraining needs none). */
    searches: z.array(splunkSearch).default([]),
    lag_seconds: z.number().int().min(0).default(60),
    max_window_seconds: z.number().int().min(1).default(3600),
    initial_lookback_seconds: z.number().int().min(0).default(3600),
    max_lateness_seconds: z.number().int().min(0).default(86400),
    /** How far past the window end an event's `_time` may lie and still be read (clock skew of the senders). */
    future_slack_seconds: z.number().int().min(0).default(300),
    page_size: z.number().int().min(1).max(50000).default(2000),
    /**
     * Case-insensitive regular expressions: a WARN or ERROR message on a finished search job that matches one
     * says its results are incomplete, and the window fails (its checkpoint holds). Other messages are logged.
     */
    incomplete_result_patterns: z
      .array(
        z.string().min(1).refine((p) => {
          try {
            new RegExp(p, "i");
            return true;
          } catch {
            return false;
          }
        }, "not a valid regular expression"),
      )
      .default([...DEFAULT_INCOMPLETE_RESULT_PATTERNS]),
    /** Failed attempts on the same window after which readiness reports not ready with the failure. */
    max_window_failures: z.number().int().min(1).default(5),
    timeout_ms: z.number().int().min(1).default(30000),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!s.token && !(s.username && s.password)) {
      ctx.addIssue({ code: "custom", message: "set either token, or username and password", path: ["token"] });
    }
    s.searches.forEach((search, i) => {
      for (const use of findTimeModifiers(search.query)) {
        ctx.addIssue({
          code: "custom",
          path: ["searches", i, "query"],
          message:
            `search "${search.name}" uses the time modifier ${use.term}, which would replace the window's time bounds: ` +
            `the sidecar sets the window; remove ${use.term} from splunk.searches[${i}].query`,
        });
      }
    });
  });

const hec = z
  .object({
    url: httpUrl,
    token: secret,
    index: z.string().default("soc_risk"),
    /** Create the index through the SDK at startup (single-instance and development setups only). */
    create_index: z.boolean().default(false),
    ack: z.boolean().default(true),
    ca_file: z.string().optional(),
    verify_tls: z.boolean().default(true),
    batch_max_events: z.number().int().min(1).default(1000),
    batch_max_bytes: z.number().int().min(1024).default(1_000_000),
    max_in_flight: z.number().int().min(1).default(4),
    retry_deadline_ms: z.number().int().min(0).default(120_000),
    timeout_ms: z.number().int().min(1).default(30_000),
    /** How long a flush polls for indexer acks before the posts count as lost and are resent (Splunk: ~5 min). */
    ack_deadline_ms: z.number().int().min(0).default(300_000),
    /** Ack poll interval (Splunk: about every 10 s). */
    ack_poll_ms: z.number().int().min(1).default(10_000),
  })
  .strict();

const fileSink = z
  .object({
    /** Risk events are appended here as JSON lines. */
    path: z.string().min(1).default("out/risk-events.jsonl"),
    /** One `soc_assistant:run` event per run is appended here. */
    runs_path: z.string().min(1).default("out/runs.jsonl"),
  })
  .strict();

/** A Splunk search that returns labeled training rows (`retrain.data.splunk`). */
const trainingSearch = z
  .object({
    /** Names the data in model events and metadata. */
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, '_', '.', '-'").default("training"),
    /** The SPL that selects labeled events, without time bounds (`earliest`/`latest` set them). */
    query: z.string().min(1),
    /** The field holding each row's label. */
    label_field: z.string().min(1).default("label"),
    /**
     * Label value (case-insensitive) -> class. Values not listed fall back to the built-in names (attack,
     * malicious, 1, ... / benign, normal, 0, ...); a value neither knows is excluded and counted.
     */
    label_map: z.record(z.enum(["attack", "benign", "excluded"])).default({}),
    /** Event-time range, in Splunk's time syntax. */
    earliest: z.string().min(1).default("-7d@d"),
    latest: z.string().min(1).default("now"),
    field_map: z.record(z.string()).default({}),
    /** Rows kept at most; above it a seeded sample stratified by label is taken (a search head is no bulk export). */
    max_rows: z.number().int().min(100).default(200_000),
    /** Rows read at most (the job's `max_count`); more fails the retraining with that reason. */
    max_rows_read: z.number().int().min(100).default(2_000_000),
    page_size: z.number().int().min(1).max(50000).default(5000),
  })
  .strict();

const retrain = z
  .object({
    /** Where the training rows come from; absent: each trigger must name its data (API body, CLI flags). */
    data: z
      .object({
        type: z.enum(["file", "splunk"]).default("file"),
        file: z
          .object({
            paths: z.array(z.string().min(1)).min(1),
            format: z.enum(["auto", "zeek", "csv", "jsonl", "nsl-kdd"]).default("auto"),
            label_column: z.string().optional(),
          })
          .strict()
          .optional(),
        splunk: trainingSearch.optional(),
      })
      .strict()
      .optional(),
    /** Analyst labels from the KV store collection override the source labels (needs the `splunk` section). */
    feedback: z
      .object({
        enabled: z.boolean().default(true),
        collection: z.string().regex(/^[A-Za-z0-9_.-]+$/).default("soc_assistant_feedback"),
      })
      .strict()
      .default({}),
    /** Newest fraction of the rows by event time, held out from training and used to compare the versions. */
    holdout_fraction: z.number().gt(0).lt(1).default(0.2),
    /** Fewer labeled rows than this fail the retraining. */
    min_rows: z.number().int().min(10).default(200),
    /** The metric that decides (on the held-out slice); the challenger may be worse by at most `tolerance`. */
    metric: z.enum(["pr_auc", "roc_auc", "f1"]).default("pr_auc"),
    tolerance: z.number().min(0).max(1).default(0.005),
    /** Largest rise allowed in the share of benign held-out rows at high or critical (the false-alarm load). */
    benign_high_tolerance: z.number().min(0).max(1).default(0.01),
    /** Versions kept besides the current and the previous one; older ones are deleted after a retraining. */
    keep_versions: z.number().int().min(0).default(5),
    /** A scoring run whose largest per-feature PSI reaches this suggests retraining. */
    drift_threshold: z.number().positive().default(0.25),
    /** Epochs of a retraining; default `model.training.epochs`. */
    epochs: z.number().int().min(1).optional(),
  })
  .strict()
  .default({});

const hidden = z
  .object({
    units: z.number().int().min(1).max(4096),
    activation: z.enum(["relu", "tanh", "elu"]).default("relu"),
    dropout: z.number().min(0).max(0.9).default(0),
  })
  .strict();

export const configSchema = z
  .object({
    source: z
      .object({
        type: z.enum(["file", "splunk"]).default("file"),
        file: fileSource.optional(),
      })
      .strict()
      .default({}),
    sink: z
      .object({
        type: z.enum(["file", "splunk_hec"]).default("file"),
        /** Events scoring at or above this are written; every event is counted. */
        min_risk_score: z.number().int().min(0).max(100).default(21),
        file: fileSink.default({}),
      })
      .strict()
      .default({}),
    splunk: splunk.optional(),
    hec: hec.optional(),
    schedule: z
      .object({
        /** node-cron expression (seconds field optional). */
        scoring_cron: cron.default("*/5 * * * *"),
        /** Run once immediately at startup, then on the schedule. */
        run_on_start: z.boolean().default(true),
        retrain_cron: cron.optional(),
      })
      .strict()
      .default({}),
    model: z
      .object({
        registry_dir: z.string().default("models"),
        name: z.string().regex(/^[A-Za-z0-9_.-]+$/).default("zeek-conn"),
        backend: z.enum(["auto", "tensorflow", "wasm", "cpu"]).default("auto"),
        /** Scoring worker threads; 0 scores on the main thread. Default: cores − 1, at least 1 (the main thread reads and writes). */
        workers: z.number().int().min(0).max(64).optional(),
        explain_top_k: z.number().int().min(1).max(20).default(5),
        /**
         * The share of a site's events that are attacks, which the risk score assumes: training corrects the
         * calibrated probability from the training data's attack share to this one (prior shift, ADR 0018) and
         * records it in the model. Takes effect at the next training.
         */
        base_rate: z.number().gt(0).lt(1).default(0.01),
        architecture: z
          .object({
            hidden: z.array(hidden).min(1).default([
              { units: 64, activation: "relu", dropout: 0.2 },
              { units: 32, activation: "relu", dropout: 0.2 },
            ]),
            learning_rate: z.number().positive().default(0.001),
          })
          .strict()
          .default({}),
        training: z
          .object({
            epochs: z.number().int().min(1).default(20),
            batch_size: z.number().int().min(1).default(256),
            validation_fraction: z.number().gt(0).lt(1).default(0.2),
            patience: z.number().int().min(1).default(5),
            class_weights: z.boolean().default(true),
            seed: z.number().int().default(42),
            /**
             * What validation holds out: whole input files (`file`: cross-validation by file, then a refit), blocks
             * of time (`time`), random rows (`none`); `auto` tries them in that order. Default `none`: on the
             * public captures, thresholds chosen out-of-group carried worse to a new capture (ADR 0018).
             */
            group_by: z.enum(["auto", "file", "time", "none"]).default("none"),
            /** What the threshold is chosen for on validation. */
            threshold_goal: z.enum(["balanced_accuracy", "f1", "false_positive_rate"]).default("balanced_accuracy"),
            /** With `threshold_goal: false_positive_rate`: share of benign events allowed at or above the threshold. */
            max_false_positive_rate: z.number().gt(0).lt(1).default(0.01),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    retrain,
    api: z
      .object({
        enabled: z.boolean().default(true),
        /** Without `token`, only a loopback address is accepted (127.0.0.1, ::1, localhost). */
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8787),
        /** Bearer token every route but /healthz and /readyz requires when set (/metrics included). */
        token: secret.optional(),
        /** Retrain-only credential, accepted as `?token=` on POST /api/v1/retrain alone (Splunk's webhook sends no headers). */
        webhook_token: secret.optional(),
        /** Serve HTTPS with this PEM certificate and key; recommended whenever a token crosses a network. */
        tls: z.object({ cert_file: z.string().min(1), key_file: z.string().min(1) }).strict().optional(),
        /** Largest request body accepted; larger ones get 413. */
        max_body_bytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
        /** Most events one POST /api/v1/score request may carry. */
        score_max_events: z.number().int().min(1).max(100_000).default(10_000),
        /** Widest `_time` range one POST /api/v1/backfill may ask for. */
        backfill_max_seconds: z.number().int().min(1).default(7 * 86400),
      })
      .strict()
      .superRefine((a, ctx) => {
        if (a.enabled && !a.token && !isLoopbackHost(a.host)) {
          ctx.addIssue({
            code: "custom",
            path: ["host"],
            message:
              `${JSON.stringify(a.host)} is not a loopback address and api.token is not set, so the API (status, scoring, model promotion) ` +
              `would answer anyone who can reach it: set api.token (for example token: \${SOC_API_TOKEN}) or bind to 127.0.0.1`,
          });
        }
        if (a.webhook_token && a.token && a.webhook_token.reveal() === a.token.reveal()) {
          ctx.addIssue({ code: "custom", path: ["webhook_token"], message: "must differ from api.token (it travels in URLs and only starts retraining)" });
        }
      })
      .default({}),
    state_dir: z.string().default("var"),
    logging: z
      .object({
        level: z.enum(["error", "warn", "info", "debug"]).default("info"),
        /** `auto`: JSON lines when stderr is not a terminal (journald, files), readable text on a terminal. */
        format: z.enum(["text", "json", "auto"]).default("text"),
        /**
         * Also send the sidecar's own log events to Splunk through the `hec` section's collector, as
         * `soc_assistant:log` into `index` (never the risk index). Never blocks scoring: when HEC is down they
         * are dropped and counted (`soc_assistant_log_events_dropped_total`).
         */
        hec: z.object({ index: z.string().min(1), level: z.enum(["error", "warn", "info", "debug"]).default("info") }).strict().optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Rules across sections, checked here (not in the transform below) so that they are reported together
    // with every other problem of the file: zod skips a transform once any field is invalid.
    const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (c.source.type === "file" && !c.source.file) problem(["source", "file", "paths"], "required when source.type is file");
    if (c.source.type === "splunk" && !c.splunk) problem(["splunk"], "required when source.type is splunk");
    if (c.source.type === "splunk" && c.splunk && c.splunk.searches.length === 0) problem(["splunk", "searches"], "add at least one search when source.type is splunk");
    if (c.sink.type === "splunk_hec" && !c.hec) problem(["hec"], "required when sink.type is splunk_hec");
    if (c.sink.type === "splunk_hec" && c.hec?.create_index && !c.splunk) {
      problem(["splunk"], "required when hec.create_index is true (the index is created through Splunk's REST API)");
    }
    if (c.logging.hec && !c.hec) problem(["hec"], "required when logging.hec is set (its url and token send the log events)");
    if (c.logging.hec && c.hec && c.logging.hec.index === c.hec.index) {
      problem(["logging", "hec", "index"], `must not be the risk index (${c.hec.index}); use an index of its own, e.g. soc_assistant_logs`);
    }
    const d = c.retrain.data;
    if (d?.type === "file" && !d.file) problem(["retrain", "data", "file", "paths"], "required when retrain.data.type is file");
    if (d?.type === "splunk" && !d.splunk) problem(["retrain", "data", "splunk", "query"], "required when retrain.data.type is splunk");
    if (d?.type === "splunk" && !c.splunk) problem(["splunk"], "required when retrain.data.type is splunk (the training search runs through Splunk's REST API)");
  })
  .transform((c) => {
    // The sections a choice needs are attached to the choice, so no consumer asserts their presence.
    let source: SourceConfig;
    if (c.source.type === "file") {
      if (!c.source.file) return z.NEVER; // reported by the cross-section checks above
      source = { type: "file", file: c.source.file };
    } else {
      if (!c.splunk) return z.NEVER; // reported by the cross-section checks above
      if (c.splunk.searches.length === 0) return z.NEVER; // reported by the cross-section checks above
      source = { type: "splunk", splunk: c.splunk };
    }
    let sink: SinkConfig;
    if (c.sink.type === "file") {
      sink = { type: "file", min_risk_score: c.sink.min_risk_score, file: c.sink.file };
    } else {
      if (!c.hec) return z.NEVER; // reported by the cross-section checks above
      if (c.hec.create_index && !c.splunk) return z.NEVER; // reported by the cross-section checks above
      sink = { type: "splunk_hec", min_risk_score: c.sink.min_risk_score, file: c.sink.file, hec: c.hec, index_admin: c.hec.create_index && c.splunk ? c.splunk : null };
    }
    let logHec: LogHecConfig | null = null;
    if (c.logging.hec) {
      if (!c.hec) return z.NEVER; // reported by the cross-section checks above
      if (c.logging.hec.index === c.hec.index) return z.NEVER; // reported by the cross-section checks above
      logHec = { ...c.logging.hec, hec: c.hec };
    }
    let data: RetrainDataConfig | null = null;
    const d = c.retrain.data;
    if (d?.type === "file") {
      if (!d.file) return z.NEVER; // reported by the cross-section checks above
      data = { type: "file", file: d.file };
    } else if (d?.type === "splunk") {
      if (!d.splunk) return z.NEVER; // reported by the cross-section checks above
      if (!c.splunk) return z.NEVER; // reported by the cross-section checks above
      data = { type: "splunk", search: d.splunk, splunk: c.splunk };
    }
    // Feedback needs a Splunk connection; without one, analyst labels are off and status says so.
    const retrainConfig: RetrainConfig = { ...c.retrain, data, feedback: { ...c.retrain.feedback, splunk: c.retrain.feedback.enabled ? (c.splunk ?? null) : null } };
    const { splunk: _splunk, hec: _hec, ...rest } = c;
    return { ...rest, logging: { level: c.logging.level, format: c.logging.format, hec: logHec }, source, sink, retrain: retrainConfig };
  });

export type FileSourceConfig = z.output<typeof fileSource>;
export type SplunkConfig = z.output<typeof splunk>;
export type SplunkSearchConfig = z.output<typeof splunkSearch>;
export type HecConfig = z.output<typeof hec>;
export type FileSinkConfig = z.output<typeof fileSink>;

/** `logging.hec` with the collector it sends through; null when the sidecar's logs go to stderr only. */
export type LogHecConfig = { index: string; level: "error" | "warn" | "info" | "debug"; hec: HecConfig };

/** Where events come from; the Splunk connection travels with the Splunk source. */
export type SourceConfig = { type: "file"; file: FileSourceConfig } | { type: "splunk"; splunk: SplunkConfig };

/**
 * Where risk and run events go. `file` (the JSON lines paths) is kept for both types: the file sink's paths.
 * `index_admin` is the Splunk connection that creates `hec.index` when `hec.create_index` is set, else null.
 */
export type SinkConfig =
  | { type: "file"; min_risk_score: number; file: FileSinkConfig }
  | { type: "splunk_hec"; min_risk_score: number; file: FileSinkConfig; hec: HecConfig; index_admin: SplunkConfig | null };

export type TrainingSearchConfig = z.output<typeof trainingSearch>;

/** Where retraining reads rows: files, or a Splunk search carrying its connection. */
export type RetrainDataConfig =
  | { type: "file"; file: { paths: string[]; format: "auto" | "zeek" | "csv" | "jsonl" | "nsl-kdd"; label_column?: string } }
  | { type: "splunk"; search: TrainingSearchConfig; splunk: SplunkConfig };

/** `retrain` as parsed: `data` null when not configured; `feedback.splunk` the connection, null when off or absent. */
export type RetrainConfig = Omit<z.output<typeof retrain>, "data" | "feedback"> & {
  data: RetrainDataConfig | null;
  feedback: { enabled: boolean; collection: string; splunk: SplunkConfig | null };
};

/**
 * The validated configuration. Impossible combinations are unrepresentable: a Splunk source carries its
 * connection (`source.splunk`), a HEC sink its `hec` section and, when it creates the index, the connection.
 */
export type Config = z.output<typeof configSchema>;
