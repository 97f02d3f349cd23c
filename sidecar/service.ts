/**
 * The sidecar as a long-running service: starts downstream first (logging → model → sinks → API →
 * scheduler) and stops upstream first (stop ticking, drain the run in flight, flush sinks, close the API,
 * release the model). Only `sidecar/cli/run.ts` exits the process.
 *
 * A model that cannot load does not stop the service: it reports not ready with the reason, and every tick
 * tries again (so fixing the registry or promoting a good version recovers without a restart).
 */
import type { Config } from "./config/schema.ts";
import { RUN_SOURCETYPE, type RiskEvent } from "./contract/risk-event.ts";
import { ApiServer } from "./api/server.ts";
import { CheckpointStore } from "./pipeline/checkpoint.ts";
import { runOnce, type RunReport } from "./pipeline/run-once.ts";
import { Scheduler } from "./pipeline/scheduler.ts";
import { FileSink } from "./sinks/file.ts";
import { checkInputFields, loadScoringModel, type LoadedScoringModel } from "./scoring/load.ts";
import { WindowedFileSource } from "./sources/file/windowed.ts";
import { openFileSource } from "./sources/file/index.ts";
import { logEvent } from "./telemetry/log.ts";
import { formatSummary } from "./telemetry/summary.ts";
import { startBackend } from "./tf/start.ts";

export class Service {
  private model: LoadedScoringModel | undefined;
  private modelError: string | null = null;
  private readonly sink: FileSink<RiskEvent>;
  private readonly runSink: FileSink<Record<string, unknown>>;
  private readonly checkpoints: CheckpointStore;
  private readonly source: WindowedFileSource;
  private readonly scheduler: Scheduler;
  private api: ApiServer | undefined;
  private readonly lastRuns: Omit<RunReport, "top">[] = [];
  private stopped = false;

  constructor(
    private readonly config: Config,
    private readonly out: (text: string) => void = (t) => process.stdout.write(t),
  ) {
    if (config.source.type !== "file" || config.sink.type !== "file") {
      throw new Error(
        "source.type splunk and sink.type splunk_hec are not available in this version; use the file source and sink " +
          "(the Splunk loop is the next milestone, see CHANGELOG.md)",
      );
    }
    this.sink = new FileSink<RiskEvent>(config.sink.file.path);
    this.runSink = new FileSink(config.sink.file.runs_path);
    this.checkpoints = new CheckpointStore(config.state_dir);
    this.source = new WindowedFileSource({ files: config.source.file!.paths, format: config.source.file!.format });
    this.scheduler = new Scheduler(config.schedule.scoring_cron, () => this.runAll());
  }

  /** Why scoring cannot happen right now, or null. */
  notReadyReason(): string | null {
    if (this.stopped) return "shutting down";
    return this.model ? null : (this.modelError ?? "model not loaded yet");
  }

  status(): unknown {
    return {
      model: this.model ? { name: this.model.name, version: this.model.version, runtime: this.model.runtime } : null,
      ready: this.notReadyReason() === null,
      reason: this.notReadyReason(),
      checkpoint: this.checkpoints.get(this.source.name) ?? null,
      schedule: { cron: this.config.schedule.scoring_cron, runs: this.scheduler.runs, skipped: this.scheduler.skipped },
      last_runs: this.lastRuns,
    };
  }

  async start(opts: { once?: boolean } = {}): Promise<void> {
    logEvent("startup", { source: this.config.source.type, sink: this.config.sink.type, model: this.config.model.name });
    await startBackend(this.config.model.backend);
    await this.ensureModel();
    await this.sink.start();
    await this.runSink.start();
    if (opts.once) {
      await this.runAll();
      return;
    }
    if (this.config.api.enabled) {
      this.api = new ApiServer(this.config.api.host, this.config.api.port, this);
      const addr = await this.api.start();
      logEvent("api_listening", { url: `http://${addr.address}:${addr.port}` });
    }
    await this.scheduler.start(this.config.schedule.run_on_start);
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    logEvent("shutdown_started");
    await this.scheduler.shutdown();
    await this.sink.shutdown();
    await this.runSink.shutdown();
    await this.api?.shutdown();
    await this.model?.close();
    this.model = undefined;
    logEvent("shutdown_finished");
  }

  private async ensureModel(): Promise<LoadedScoringModel | undefined> {
    if (this.model) return this.model;
    const c = this.config.model;
    try {
      const m = await loadScoringModel({ registryDir: c.registry_dir, ref: c.name, backend: c.backend, workers: c.workers, topK: c.explain_top_k });
      try {
        checkInputFields(m.metadata, await openFileSource({ files: this.config.source.file!.paths, format: this.config.source.file!.format }).fields(), this.config.source.file!.paths.join(", "));
      } catch (e) {
        await m.close();
        throw e;
      }
      this.model = m;
      this.modelError = null;
      logEvent("model_loaded", { model: m.name, version: m.version, feature_schema: m.featureSchema.slice(0, 12), runtime: m.runtime });
    } catch (e) {
      this.modelError = `model ${c.name} from ${c.registry_dir} cannot be used: ${(e as Error).message}`;
      logEvent("run_failed", { error: this.modelError });
    }
    return this.model;
  }

  /** One scheduled run: windows until the source has nothing new. */
  private async runAll(): Promise<void> {
    const model = await this.ensureModel();
    if (!model) return;
    for (;;) {
      if (this.stopped) return;
      const report = await runOnce({
        source: this.source,
        model,
        sink: this.sink,
        minRiskScore: this.config.sink.min_risk_score,
        checkpoint: {
          get: () => this.checkpoints.get(this.source.name),
          commit: (p) => this.checkpoints.commit(this.source.name, p),
        },
      });
      if (!report) {
        logEvent("run_nothing_new", { source: this.source.name });
        return;
      }
      const { top: _top, ...summary } = report;
      this.lastRuns.unshift(summary);
      this.lastRuns.length = Math.min(this.lastRuns.length, 10);
      await this.runSink.send([{ sourcetype: RUN_SOURCETYPE, ...summary }]);
      await this.runSink.flush();
      if (report.events_rejected > 0) {
        logEvent("rows_rejected", { rejected: report.events_rejected, first: report.rejected_samples.slice(0, 5).map((r) => `${r.file}:${r.line}: ${r.reason}`) });
      }
      if (report.error) {
        logEvent("run_failed", { error: report.error, run_id: report.run_id });
        return;
      }
      logEvent("run_finished", {
        run_id: report.run_id,
        pulled: report.events_pulled,
        scored: report.events_scored,
        written: report.events_written,
        rejected: report.events_rejected,
        seconds: Number(report.duration_seconds.toFixed(3)),
      });
      this.out(formatSummary(report, this.config.sink.file.path, this.config.sink.min_risk_score));
    }
  }
}
