/**
 * The sidecar as a long-running service: starts downstream first (backend → model → sinks → API →
 * scheduler) and stops upstream first (stop ticking, drain the run in flight, flush sinks, close the API,
 * release the model). Only `sidecar/cli/run.ts` exits the process.
 *
 * Nothing outside the process stops it: a model that cannot load, a Splunk that does not answer, a HEC that
 * is down all leave it up and not ready, with the reason and what to do; every tick checks again, so fixing
 * the cause recovers without a restart. A run that fails keeps its source's checkpoint, and the next run
 * retries the same window.
 */
import type { Config } from "./config/schema.ts";
import { CIM_COPY_FIELDS, RUN_SOURCETYPE } from "./contract/index.ts";
import { ApiServer } from "./api/server.ts";
import { CheckpointStore } from "./pipeline/checkpoint.ts";
import { runOnce, type RunReport } from "./pipeline/run-once.ts";
import type { EventSource } from "./sources/source.ts";
import { Scheduler } from "./pipeline/scheduler.ts";
import { wire, type Wiring } from "./pipeline/wiring.ts";
import { checkInputFields, loadScoringModel, type LoadedScoringModel } from "./scoring/load.ts";
import { logEvent } from "./telemetry/log.ts";
import { formatSummary } from "./telemetry/summary.ts";
import { startBackend } from "./tf/start.ts";

export class Service {
  private model: LoadedScoringModel | undefined;
  private sources: EventSource[] = [];
  private modelError: string | null = null;
  private connectionError: string | null = null;
  private readonly wiring: Wiring;
  private readonly checkpoints: CheckpointStore;
  private readonly scheduler: Scheduler;
  private api: ApiServer | undefined;
  private readonly lastRuns: Omit<RunReport, "top">[] = [];
  private stopped = false;
  /**
   * When the current scheduled run started, epoch ms: the clock Splunk windows are planned by. Frozen per run,
   * a search that is behind catches up to that moment and stops; on the live clock each window's own run time
   * would open the next one-second window, and a run that takes a second or more would never end.
   */
  private runStartedMs = Date.now();

  constructor(
    private readonly config: Config,
    private readonly out: (text: string) => void = (t) => process.stdout.write(t),
  ) {
    this.wiring = wire(config);
    this.checkpoints = new CheckpointStore(config.state_dir);
    this.scheduler = new Scheduler(config.schedule.scoring_cron, () => this.runAll());
  }

  /** Why scoring cannot happen right now, or null. */
  notReadyReason(): string | null {
    if (this.stopped) return "shutting down";
    if (!this.model) return this.modelError ?? "model not loaded yet";
    return this.connectionError;
  }

  status(): unknown {
    return {
      model: this.model ? { name: this.model.name, version: this.model.version, runtime: this.model.runtime } : null,
      ready: this.notReadyReason() === null,
      reason: this.notReadyReason(),
      checkpoints: Object.fromEntries(this.sources.map((s) => [s.name, this.checkpoints.get(s.name) ?? null])),
      schedule: { cron: this.config.schedule.scoring_cron, runs: this.scheduler.runs, skipped: this.scheduler.skipped },
      last_runs: this.lastRuns,
    };
  }

  async start(opts: { once?: boolean } = {}): Promise<void> {
    logEvent("startup", { source: this.config.source.type, sink: this.config.sink.type, model: this.config.model.name });
    await startBackend(this.config.model.backend);
    await this.wiring.sink.start();
    await this.wiring.runSink.start();
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
    await this.wiring.sink.shutdown();
    await this.wiring.runSink.shutdown();
    await this.api?.shutdown();
    await this.model?.close();
    this.model = undefined;
    this.wiring.close();
    logEvent("shutdown_finished");
  }

  private async ensureModel(): Promise<LoadedScoringModel | undefined> {
    if (this.model) return this.model;
    const c = this.config.model;
    try {
      const m = await loadScoringModel({ registryDir: c.registry_dir, ref: c.name, backend: c.backend, workers: c.workers, topK: c.explain_top_k });
      try {
        const fields = await this.wiring.inputFields();
        if (fields) checkInputFields(m.metadata, fields, this.config.source.file!.paths.join(", "));
      } catch (e) {
        await m.close();
        throw e;
      }
      this.model = m;
      // Pull what the model reads plus the CIM fields risk events copy for pivots.
      this.sources = this.wiring.sources([...new Set([...m.metadata.feature_spec.fields, ...CIM_COPY_FIELDS])], () => this.runStartedMs);
      this.modelError = null;
      logEvent("model_loaded", { model: m.name, version: m.version, feature_schema: m.featureSchema.slice(0, 12), runtime: m.runtime });
    } catch (e) {
      this.modelError = `model ${c.name} from ${c.registry_dir} cannot be used: ${(e as Error).message}`;
      logEvent("not_ready", { reason: this.modelError });
    }
    return this.model;
  }

  /** Checks Splunk and HEC; logs changes of readiness once, not every tick. */
  private async ensureConnected(): Promise<boolean> {
    const reason = await this.wiring.check();
    if (reason !== this.connectionError) {
      if (reason) logEvent("not_ready", { reason });
      else if (this.connectionError) logEvent("became_ready");
    }
    this.connectionError = reason;
    return reason === null;
  }

  /** One scheduled run: each source, window by window, until it has caught up with the run's start or a run fails. */
  private async runAll(): Promise<void> {
    const model = await this.ensureModel();
    if (!model || !(await this.ensureConnected())) return;
    this.runStartedMs = Date.now();
    for (const source of this.sources) {
      for (;;) {
        if (this.stopped) return;
        const report = await runOnce({
          source,
          model,
          sink: this.wiring.sink,
          minRiskScore: this.config.sink.min_risk_score,
          checkpoint: {
            get: () => this.checkpoints.get(source.name),
            commit: (p) => this.checkpoints.commit(source.name, p),
          },
        });
        if (!report) {
          logEvent("run_nothing_new", { source: source.name });
          break;
        }
        await this.record(report);
        if (report.error) break;
      }
    }
  }

  /**
   * Scores every event with `earliest ≤ _time < latest` (epoch seconds) that is indexed by now − lag, for each
   * Splunk search (or the one named), through the configured sink, and leaves the live checkpoints alone. The
   * events get the same `event_id`s as in live runs, so re-scoring a range that was scored before duplicates
   * nothing on dashboards that deduplicate on it. Returns the run reports.
   */
  async backfill(earliest: number, latest: number, searchName?: string): Promise<RunReport[]> {
    if (this.config.source.type !== "splunk") throw new Error("backfill needs source.type: splunk (file sources are rescored with soc-assistant score)");
    if (!(latest > earliest)) throw new Error(`backfill: latest (${latest}) must be after earliest (${earliest})`);
    logEvent("startup", { source: "splunk", sink: this.config.sink.type, model: this.config.model.name, backfill: { earliest, latest } });
    await startBackend(this.config.model.backend);
    await this.wiring.sink.start();
    await this.wiring.runSink.start();
    const model = await this.ensureModel();
    if (!model) throw new Error(this.modelError ?? "model not loaded");
    if (!(await this.ensureConnected())) throw new Error(this.connectionError ?? "not ready");
    const sources = this.sources.filter((s) => searchName === undefined || s.name === searchName);
    if (sources.length === 0) throw new Error(`backfill: no search named ${JSON.stringify(searchName)}; configured: ${this.sources.map((s) => s.name).join(", ")}`);
    const indexedBy = Math.floor(Date.now() / 1000) - this.config.splunk!.lag_seconds;
    const reports: RunReport[] = [];
    for (const source of sources) {
      const report = await runOnce({
        source,
        model,
        sink: this.wiring.sink,
        minRiskScore: this.config.sink.min_risk_score,
        window: { start: 0, end: indexedBy, earliest, latest },
      });
      if (report) {
        await this.record(report);
        reports.push(report);
      }
    }
    return reports;
  }

  private async record(report: RunReport): Promise<void> {
    const { top: _top, ...summary } = report;
    this.lastRuns.unshift(summary);
    this.lastRuns.length = Math.min(this.lastRuns.length, 10);
    // Lag: how far behind now the window ended (index time, Splunk sources); null for files.
    const end = (report.window as { end?: unknown } | null)?.end;
    const lag_seconds = typeof end === "number" ? Math.max(0, Math.round(Date.parse(report.started_at) / 1000 - end)) : null;
    const sent = await this.wiring.runSink.send([{ _time: Date.parse(report.started_at) / 1000, sourcetype: RUN_SOURCETYPE, ...summary, lag_seconds }]);
    const flushed = sent.kind === "success" ? await this.wiring.runSink.flush() : sent;
    if (flushed.kind !== "success") logEvent("run_event_failed", { error: flushed.reason, run_id: report.run_id });
    if (report.events_rejected > 0) {
      logEvent("rows_rejected", { source: report.source, rejected: report.events_rejected, first: report.rejected_samples.slice(0, 5).map((r) => `${r.file}:${r.line}: ${r.reason}`) });
    }
    if (report.error) {
      logEvent("run_failed", { source: report.source, error: report.error, run_id: report.run_id });
      return;
    }
    if (report.events_pulled === 0 && report.events_rejected === 0) return;
    logEvent("run_finished", {
      source: report.source,
      run_id: report.run_id,
      pulled: report.events_pulled,
      scored: report.events_scored,
      written: report.events_written,
      rejected: report.events_rejected,
      seconds: Number(report.duration_seconds.toFixed(3)),
    });
    this.out(formatSummary(report, this.wiring.destination, this.config.sink.min_risk_score));
  }
}
