/**
 * The composition root: builds the sidecar's long-lived components from config and runs their lifecycle.
 *
 *     model holder → risk sink → run sink → model-event sink → Splunk/HEC connection → retraining → API →
 *     scoring schedule → retraining schedule
 *
 * Started in that order (downstream first) and stopped in reverse (upstream first: stop ticking and let the
 * run in flight finish, close the API, flush and close the sinks, release the model). Only the CLI exits the
 * process. Nothing outside the process stops it: a model that cannot load, a Splunk that does not answer, a
 * HEC that is down all leave it up and not ready, with the reason and what to do; every tick checks again, so
 * fixing the cause recovers without a restart.
 */
import { ApiError } from "../api/errors.ts";
import { ApiServer, type ApiBackend, type BackfillRequest, type JobStart } from "../api/server.ts";
import type { SidecarStatus } from "../api/status.ts";
import type { Config } from "../config/schema.ts";
import { CheckpointStore } from "../pipeline/checkpoint.ts";
import { StateLock } from "../pipeline/state-lock.ts";
import type { RunReport } from "../pipeline/run-once.ts";
import { Scheduler } from "../pipeline/scheduler.ts";
import { ScoringJob, type RunRecord } from "../pipeline/scoring-job.ts";
import { ModelRegistry } from "../registry/registry.ts";
import { ModelHolder } from "../scoring/holder.ts";
import type { Sink } from "../sinks/sink.ts";
import { LOG_SOURCETYPE, type LogEvent } from "../contract/index.ts";
import { HecSink } from "../sinks/hec/sink.ts";
import { LogShipper } from "../telemetry/log-shipper.ts";
import { shipLogs } from "../telemetry/log.ts";
import { Metrics } from "../telemetry/metrics.ts";
import { hecSinkOptions } from "./options.ts";
import { logEvent } from "../telemetry/log.ts";
import { startBackend } from "../tf/start.ts";
import { ModelEventLog } from "../training/model-events.ts";
import { Retrainer } from "../training/retrainer.ts";
import { Components, type Component } from "./component.ts";
import { SingleJob } from "./single-job.ts";
import { modelHolderOptions, retrainSpec, wire, type Wiring } from "./wiring.ts";

export class Sidecar {
  readonly model: ModelHolder;
  readonly scoring: ScoringJob;
  readonly scheduler: Scheduler;
  readonly metrics: Metrics;
  /** One retraining at a time; the API's `POST /api/v1/retrain` calls `retrainer.trigger`. */
  readonly retrainer: Retrainer;
  readonly retrainScheduler: Scheduler | undefined;
  /** `POST /api/v1/backfill`: one backfill at a time, beside the live schedule. */
  readonly backfills: SingleJob<BackfillRequest & Record<string, unknown>>;
  private readonly wiring: Wiring;
  /** The sidecar's own log events to HEC (`logging.hec`), or undefined. */
  readonly logShipper: LogShipper | undefined;
  private readonly lock: StateLock;
  private api: ApiServer | undefined;
  private components: Components | undefined;
  private stopped = false;
  private onceRun: Promise<void> | undefined;

  constructor(
    private readonly config: Config,
    out: (text: string) => void = (t) => process.stdout.write(t),
  ) {
    this.wiring = wire(config);
    this.lock = new StateLock(config.state_dir);
    const wiring = this.wiring;
    this.model = new ModelHolder(modelHolderOptions(config));
    const lh = config.logging.hec;
    if (lh) {
      // Short deadlines and no ack: a log copy must never hold anything up; a failed batch is dropped and counted.
      const sink = new HecSink<LogEvent>(hecSinkOptions<LogEvent>(lh.hec, { index: lh.index, sourcetype: LOG_SOURCETYPE, ack: false, retryDeadlineMs: 5000, timeoutMs: 5000, maxInFlight: 1 }));
      let started = false;
      let shipError: string | null = null;
      this.logShipper = new LogShipper({
        send: async (batch) => {
          if (!started) {
            await sink.start();
            started = true;
          }
          let r = await sink.send(batch);
          if (r.kind === "success") r = await sink.flush();
          const reason = r.kind === "success" ? null : r.reason;
          if (reason !== shipError) {
            shipError = reason;
            if (reason) logEvent("log_shipping_failed", { index: lh.index, reason });
          }
          return reason === null;
        },
      });
    }
    this.metrics = new Metrics({
      model: () => this.model.status(),
      ready: () => this.notReadyReason() === null,
      logsDropped: () => this.logShipper?.dropped ?? 0,
      retrain: () => this.retrainer.status(),
    });
    this.scoring = new ScoringJob({
      model: this.model,
      sources: (fields, now) => wiring.sources(fields, now),
      check: () => wiring.check(),
      sink: wiring.sink,
      runSink: metered(wiring.runSink, this.metrics),
      checkpoints: new CheckpointStore(config.state_dir),
      minRiskScore: config.sink.min_risk_score,
      destination: wiring.destination,
      lagSeconds: wiring.lagSeconds,
      driftThreshold: config.retrain.drift_threshold,
      maxWindowFailures: wiring.maxWindowFailures,
      out,
    });
    this.scheduler = new Scheduler({
      name: "scoring",
      cron: config.schedule.scoring_cron,
      key: "schedule.scoring_cron",
      job: () => this.scoring.runAll(),
      runOnStart: config.schedule.run_on_start,
    });
    const modelSink = wiring.modelSink;
    this.retrainer = new Retrainer({
      name: config.model.name,
      registryDir: config.model.registry_dir,
      backend: config.model.backend,
      spec: (data) => retrainSpec(config, data),
      rule: { metric: config.retrain.metric, tolerance: config.retrain.tolerance, benignHighTolerance: config.retrain.benign_high_tolerance },
      promote: (version, actor) => this.model.promote(version, actor),
      events: new ModelEventLog(config.model.registry_dir, async (e) => {
        const sent = await modelSink.send([{ ...e }]);
        const flushed = sent.kind === "success" ? await modelSink.flush() : sent;
        if (flushed.kind !== "success") throw new Error(flushed.reason);
      }),
      keepVersions: config.retrain.keep_versions,
    });
    const retrainCron = config.schedule.retrain_cron;
    this.retrainScheduler = retrainCron
      ? new Scheduler({
          name: "retraining",
          cron: retrainCron,
          key: "schedule.retrain_cron",
          job: async () => {
            await this.retrainer.run({ actor: { kind: "schedule" }, trigger: retrainCron });
          },
        })
      : undefined;
    this.backfills = new SingleJob("backfill", (req) => this.scoring.backfill(req.earliest, req.latest, req.search).then(summarizeBackfill), {
      started: (id, req) => logEvent("backfill_started", { id, ...req }),
      finished: (id, result) => logEvent("backfill_finished", { id, ...(result as Record<string, unknown>) }),
      failed: (id, error) => logEvent("backfill_failed", { id, error }),
    });
  }

  /** Where the API listens once started (undefined without it). */
  get apiAddress(): { address: string; port: number } | undefined {
    return this.api?.address;
  }

  /** Why scoring cannot happen right now, or null. */
  notReadyReason(): string | null {
    if (this.stopped) return "shutting down";
    if (!this.components) return "starting";
    return this.components.notReadyReason();
  }

  status(): SidecarStatus {
    const reason = this.notReadyReason();
    const scoring = this.scoring.status();
    const lag: Record<string, number | null> = {};
    for (const name of Object.keys(scoring.checkpoints)) lag[name] = null;
    for (const r of [...scoring.last_runs].reverse()) lag[r.source] = lagOf(r.window, r.started_at);
    return {
      ready: reason === null,
      reason,
      model: this.model.status(),
      checkpoints: scoring.checkpoints,
      lag_seconds: lag,
      last_runs: scoring.last_runs,
      retrain: this.retrainer.status(),
      schedule: { scoring: this.scheduler.status(), ...(this.retrainScheduler ? { retraining: this.retrainScheduler.status() } : {}) },
      backfill: this.backfills.status(),
      warnings: this.wiring.warnings(),
    };
  }

  /** What the API's routes call: thin adapters over the holder, the registry, the scoring job and the jobs. */
  apiBackend(): ApiBackend {
    const registry = new ModelRegistry(this.config.model.registry_dir);
    const name = this.config.model.name;
    return {
      notReadyReason: () => this.notReadyReason(),
      status: () => this.status(),
      acquire: () => this.model.acquire(),
      models: {
        name,
        list: () => registry.list(name),
        promote: (version, actor) => this.model.promote(version, actor),
        rollback: (actor) => this.model.rollback(actor),
      },
      retrain: (req): Promise<JobStart> => {
        if (!req.data && !this.config.retrain.data) {
          throw new ApiError(
            400,
            'no training data: retrain.data is not configured, so the request must name labeled files: {"data": ["/path/conn.labeled", ...]}',
          );
        }
        const webhook = req.search_name !== undefined || req.sid !== undefined ? ` (search ${req.search_name ?? "?"}, sid ${req.sid ?? "?"})` : "";
        const t = this.retrainer.trigger({
          actor: { kind: req.actor, ...(req.owner ? { user: req.owner } : {}) },
          trigger: `${req.actor === "webhook" ? "Splunk webhook" : "POST /api/v1/retrain"}${webhook}`,
          data: req.data ? { kind: "file", files: req.data, format: req.format, labelColumn: req.label_column } : undefined,
        });
        return Promise.resolve("busy" in t ? { started: false, reason: `retraining ${t.id} is running` } : { started: true, id: t.id, started_at: new Date().toISOString() });
      },
      backfill: (req): Promise<JobStart> => {
        if (this.config.source.type !== "splunk") {
          throw new ApiError(400, "backfill needs source.type: splunk (file sources are rescored with soc-assistant score)");
        }
        const names = this.config.source.splunk.searches.map((s) => s.name);
        if (req.search !== undefined && !names.includes(req.search)) {
          throw new ApiError(400, `no search named ${JSON.stringify(req.search)}; configured: ${names.join(", ")}`);
        }
        return Promise.resolve(this.backfills.start({ ...req }));
      },
      metrics: {
        contentType: this.metrics.contentType,
        text: () => this.metrics.text(),
        observeRequest: (route, status, seconds) => this.metrics.observeRequest(route, status, seconds),
      },
    };
  }

  /**
   * Starts every component. With `once`, runs the scoring job once instead of the API and the schedule, and
   * resolves with whether every window it planned was scored and committed.
   */
  async start(opts: { once?: boolean } = {}): Promise<boolean> {
    const shipper = this.logShipper;
    const shipLevel = this.config.logging.hec?.level;
    if (shipper && shipLevel && !opts.once) shipLogs({ level: shipLevel, push: (e) => shipper.push(e) });
    logEvent("startup", { source: this.config.source.type, sink: this.config.sink.type, model: this.config.model.name });
    this.takeLock();
    await startBackend(this.config.model.backend);
    const parts = this.scoringParts();
    if (this.logShipper && !opts.once) {
      // First started, last stopped: it sees every component's log events, including shutdown's.
      const shipper = this.logShipper;
      parts.unshift({ name: shipper.name, start: () => shipper.start(), shutdown: () => (shipLogs(undefined), shipper.shutdown()) });
    }
    if (!opts.once) {
      parts.push(this.retrainer);
      if (this.config.api.enabled) {
        const a = this.config.api;
        this.api = new ApiServer(
          {
            host: a.host,
            port: a.port,
            token: a.token?.reveal(),
            webhookToken: a.webhook_token?.reveal(),
            tls: a.tls,
            maxBodyBytes: a.max_body_bytes,
            scoreMaxEvents: a.score_max_events,
            backfillMaxSeconds: a.backfill_max_seconds,
          },
          this.apiBackend(),
        );
        // Stopped before the API closes: a backfill drains.
        parts.push(this.api, stoppable(this.backfills));
      }
      parts.push(this.scheduler);
      if (this.retrainScheduler) parts.push(this.retrainScheduler);
    }
    this.components = new Components(parts);
    await this.components.start();
    if (opts.once) {
      this.onceRun = this.scoring.runAll();
      await this.onceRun;
      return this.scoring.lastRunOk;
    }
    return true;
  }

  /**
   * What readiness checks, once, each with its result: the model (loads, verifies, fits the input) and, as
   * configured, Splunk and HEC. For `soc-assistant config validate --check-connections`; starts nothing else.
   */
  async checkConnections(): Promise<{ check: string; ok: boolean; detail: string }[]> {
    const out: { check: string; ok: boolean; detail: string }[] = [];
    await startBackend(this.config.model.backend);
    await this.model.start();
    const m = this.model.notReadyReason();
    out.push({ check: "model", ok: m === null, detail: m ?? `${this.config.model.name}@${this.model.current?.version ?? "?"} loads and verifies` });
    await this.model.shutdown();
    const c = await this.wiring.check();
    const what = [this.config.source.type === "splunk" ? "Splunk" : null, this.config.sink.type === "splunk_hec" ? "HEC" : null].filter(Boolean).join(" and ");
    out.push({ check: what ? what : "connections", ok: c === null, detail: c ?? (what ? `${what} answer` : "file source and file sink: nothing to connect to") });
    this.wiring.close();
    return out;
  }

  /** What every scoring needs, in start order: the model, the sinks, the Splunk/HEC readiness. */
  private scoringParts(): Component[] {
    const parts: Component[] = [this.model, named("risk sink", this.wiring.sink), named("run sink", this.wiring.runSink)];
    if (this.wiring.modelSink !== this.wiring.runSink) parts.push(named("model-event sink", this.wiring.modelSink));
    parts.push(this.connection());
    return parts;
  }

  /** Scores a `_time` range from Splunk without moving the live checkpoints (see `ScoringJob.backfill`). */
  async backfill(earliest: number, latest: number, searchName?: string): Promise<RunReport[]> {
    logEvent("startup", { source: this.config.source.type, sink: this.config.sink.type, model: this.config.model.name, backfill: { earliest, latest } });
    if (this.config.source.type !== "splunk") throw new Error("backfill needs source.type: splunk (file sources are rescored with soc-assistant score)");
    this.takeLock();
    await startBackend(this.config.model.backend);
    this.components = new Components(this.scoringParts());
    await this.components.start();
    if (!this.model.current) throw new Error(this.model.notReadyReason() ?? "model not loaded");
    return this.scoring.backfill(earliest, latest, searchName);
  }

  /** A second interrupt: the scoring run in flight stops at its next safe point instead of finishing its window. */
  interrupt(): void {
    this.scoring.abort();
  }

  /** What a shutdown waits for, one phrase, or null when nothing is running. */
  waitingFor(): string | null {
    const s = this.scoring.inFlight;
    return s === null ? null : `the scoring run of ${s} to finish its window`;
  }

  /** Stops upstream first. Idempotent, safe without start. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    logEvent("shutdown_started");
    this.scoring.stop();
    // A `once` run has no scheduler to drain it: wait for it here, before the sinks and the model close.
    await this.onceRun?.catch(() => undefined);
    await this.components?.shutdown();
    this.wiring.close();
    this.lock.release();
    logEvent("shutdown_finished");
  }

  /** One process per state directory (see `StateLock`); throws `StateLockError` when another one holds it. */
  private takeLock(): void {
    const { replaced } = this.lock.acquire();
    if (replaced) logEvent("state_lock_stale", { lock: this.lock.path, pid: replaced.pid, since: replaced.started_at });
  }

  /** What the job reads and writes as one component (Splunk and HEC, or the input files): its readiness is the scoring job's last check. */
  private connection(): Component {
    return {
      name: this.config.source.type === "file" ? "input" : "splunk",
      start: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
      notReadyReason: () => this.scoring.notReadyReason(),
    };
  }
}

function named(name: string, part: { start(): Promise<void>; shutdown(): Promise<void> }): Component {
  return { name, start: () => part.start(), shutdown: () => part.shutdown() };
}

/** A job that only needs stopping. */
function stoppable(job: { name: string; shutdown(): Promise<void> }): Component {
  return { name: job.name, start: () => Promise.resolve(), shutdown: () => job.shutdown() };
}

/** The run sink, counting each run record into the metrics as it is sent. */
function metered(sink: Sink<RunRecord>, metrics: Metrics): Sink<RunRecord> {
  return {
    start: () => sink.start(),
    shutdown: () => sink.shutdown(),
    flush: () => sink.flush(),
    send: (records) => {
      for (const r of records) metrics.observeRun(r);
      return sink.send(records);
    },
  };
}

function lagOf(window: unknown, startedAt: string): number | null {
  const end = (window as { end?: unknown } | null)?.end;
  return typeof end === "number" ? Math.max(0, Math.round(Date.parse(startedAt) / 1000 - end)) : null;
}

function summarizeBackfill(reports: RunReport[]): Record<string, unknown> {
  return {
    runs: reports.map((r) => ({ source: r.source, run_id: r.run_id, pulled: r.events_pulled, scored: r.events_scored, written: r.events_written, error: r.error })),
    ok: reports.every((r) => r.error === null),
  };
}
