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
import { ApiServer } from "../api/server.ts";
import type { Config } from "../config/schema.ts";
import { CheckpointStore } from "../pipeline/checkpoint.ts";
import type { RunReport } from "../pipeline/run-once.ts";
import { Scheduler } from "../pipeline/scheduler.ts";
import { ScoringJob } from "../pipeline/scoring-job.ts";
import { ModelHolder } from "../scoring/holder.ts";
import { checkInputFields } from "../scoring/load.ts";
import { logEvent } from "../telemetry/log.ts";
import { startBackend } from "../tf/start.ts";
import { ModelEventLog } from "../training/model-events.ts";
import { Retrainer } from "../training/retrainer.ts";
import { Components, type Component } from "./component.ts";
import { retrainSpec, wire, type Wiring } from "./wiring.ts";

export class Sidecar {
  readonly model: ModelHolder;
  readonly scoring: ScoringJob;
  readonly scheduler: Scheduler;
  /** One retraining at a time; the API's `POST /api/v1/retrain` calls `retrainer.trigger`. */
  readonly retrainer: Retrainer;
  readonly retrainScheduler: Scheduler | undefined;
  private readonly wiring: Wiring;
  private api: ApiServer | undefined;
  private components: Components | undefined;
  private stopped = false;

  constructor(
    private readonly config: Config,
    out: (text: string) => void = (t) => process.stdout.write(t),
  ) {
    this.wiring = wire(config);
    const wiring = this.wiring;
    this.model = new ModelHolder({
      registryDir: config.model.registry_dir,
      name: config.model.name,
      backend: config.model.backend,
      workers: config.model.workers,
      topK: config.model.explain_top_k,
      async checkInput(metadata) {
        const fields = await wiring.inputFields();
        if (fields) checkInputFields(metadata, fields, wiring.inputName);
      },
    });
    this.scoring = new ScoringJob({
      model: this.model,
      sources: (fields, now) => wiring.sources(fields, now),
      check: () => wiring.check(),
      sink: wiring.sink,
      runSink: wiring.runSink,
      checkpoints: new CheckpointStore(config.state_dir),
      minRiskScore: config.sink.min_risk_score,
      destination: wiring.destination,
      lagSeconds: wiring.lagSeconds,
      driftThreshold: config.retrain.drift_threshold,
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
  }

  /** Why scoring cannot happen right now, or null. */
  notReadyReason(): string | null {
    if (this.stopped) return "shutting down";
    if (!this.components) return "starting";
    return this.components.notReadyReason();
  }

  status(): Record<string, unknown> {
    const reason = this.notReadyReason();
    return {
      ready: reason === null,
      reason,
      model: this.model.status(),
      ...this.scoring.status(),
      retrain: this.retrainer.status(),
      schedule: { scoring: this.scheduler.status(), ...(this.retrainScheduler ? { retraining: this.retrainScheduler.status() } : {}) },
    };
  }

  /**
   * Starts every component. With `once`, runs the scoring job once instead of the API and the schedule, and
   * resolves with whether every window it planned was scored and committed.
   */
  async start(opts: { once?: boolean } = {}): Promise<boolean> {
    logEvent("startup", { source: this.config.source.type, sink: this.config.sink.type, model: this.config.model.name });
    await startBackend(this.config.model.backend);
    const parts: Component[] = [this.model, named("risk sink", this.wiring.sink), named("run sink", this.wiring.runSink)];
    if (this.wiring.modelSink !== this.wiring.runSink) parts.push(named("model-event sink", this.wiring.modelSink));
    parts.push(this.connection());
    if (!opts.once) {
      parts.push(this.retrainer);
      if (this.config.api.enabled) {
        this.api = new ApiServer(this.config.api.host, this.config.api.port, this);
        parts.push(this.api);
      }
      parts.push(this.scheduler);
      if (this.retrainScheduler) parts.push(this.retrainScheduler);
    }
    this.components = new Components(parts);
    await this.components.start();
    if (opts.once) {
      await this.scoring.runAll();
      return this.scoring.lastRunOk;
    }
    return true;
  }

  /** Scores a `_time` range from Splunk without moving the live checkpoints (see `ScoringJob.backfill`). */
  async backfill(earliest: number, latest: number, searchName?: string): Promise<RunReport[]> {
    logEvent("startup", { source: this.config.source.type, sink: this.config.sink.type, model: this.config.model.name, backfill: { earliest, latest } });
    if (this.config.source.type !== "splunk") throw new Error("backfill needs source.type: splunk (file sources are rescored with soc-assistant score)");
    await startBackend(this.config.model.backend);
    this.components = new Components([this.model, named("risk sink", this.wiring.sink), named("run sink", this.wiring.runSink), this.connection()]);
    await this.components.start();
    if (!this.model.current) throw new Error(this.model.notReadyReason() ?? "model not loaded");
    return this.scoring.backfill(earliest, latest, searchName);
  }

  /** Stops upstream first. Idempotent, safe without start. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    logEvent("shutdown_started");
    this.scoring.stop();
    await this.components?.shutdown();
    this.wiring.close();
    logEvent("shutdown_finished");
  }

  /** Splunk and HEC as one component: its readiness is the scoring job's last connection check. */
  private connection(): Component {
    return {
      name: "splunk",
      start: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
      notReadyReason: () => this.scoring.notReadyReason(),
    };
  }
}

function named(name: string, part: { start(): Promise<void>; shutdown(): Promise<void> }): Component {
  return { name, start: () => part.start(), shutdown: () => part.shutdown() };
}
