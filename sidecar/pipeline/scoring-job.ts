/**
 * The scoring job: what one scheduled tick does. Each source, window by window, until it has caught up with
 * the run's start or a window fails; one `soc_assistant:run` event per window; the printed summary.
 *
 * Each run takes a lease on the model version current at its start (`ModelSupplier.acquire`) and scores every
 * window of the run with it, so a promotion or rollback takes effect at the next run and never mid-run. The
 * sources are built for the fields that version reads (Splunk searches pull only those), again when a later
 * version reads other fields. A run that fails keeps its source's checkpoint; the next run retries the window.
 */
import { readdirSync } from "node:fs";
import { CIM_COPY_FIELDS, RUN_SOURCETYPE, type RiskEvent } from "../contract/index.ts";
import type { LoadedScoringModel } from "../scoring/load.ts";
import type { ModelLease } from "../scoring/holder.ts";
import type { Sink } from "../sinks/sink.ts";
import { logEvent } from "../telemetry/log.ts";
import type { CheckpointStore } from "./checkpoint.ts";
import type { EventSource } from "../sources/source.ts";
import { runOnce, unreadableMessage, type RunReport } from "./run-once.ts";
import { formatSummary } from "./summary.ts";

/** One `soc_assistant:run` record as the run sink receives it. */
export type RunRecord = Record<string, unknown> & { _time: number };

export interface ModelSupplier {
  /** A lease on the version that scores the run starting now, or null (the supplier says why). */
  acquire(): Promise<ModelLease | null>;
}

export interface ScoringJobOptions {
  model: ModelSupplier;
  /** The sources for a model that reads `fields`; `now` is the clock Splunk windows are planned by. */
  sources(fields: readonly string[], now: () => number): EventSource[];
  /** Null when what the sources and sinks talk to answers; otherwise the reason and what to do. */
  check(): Promise<string | null>;
  sink: Sink<RiskEvent>;
  runSink: Sink<RunRecord>;
  checkpoints: CheckpointStore;
  minRiskScore: number;
  /** Where risk events go, for the summary. */
  destination: string;
  /** Splunk's indexing lag allowance (backfill windows end at now − lag); undefined for file sources. */
  lagSeconds?: number;
  /** PSI at which a run's drift suggests retraining (`retrain.drift_threshold`); undefined measures no drift. */
  driftThreshold?: number;
  /** Failed attempts on the same window after which readiness reports not ready (`splunk.max_window_failures`, default 5). */
  maxWindowFailures?: number;
  out: (text: string) => void;
}

/**
 * A checkpoint stored with the sink's mark (file sinks), in one atomic write: `rewind` then knows how much of
 * the output was committed. Positions without a sink mark are stored as they are.
 */
interface Envelope {
  soc_assistant_checkpoint: 2;
  position: unknown;
  sink: unknown;
}

function isEnvelope(v: unknown): v is Envelope {
  return typeof v === "object" && v !== null && (v as Envelope).soc_assistant_checkpoint === 2;
}

export class ScoringJob {
  readonly name = "scoring";
  private connectionError: string | null = null;
  /** Inputs the last run could not read, one sentence; null when every input was read. */
  private inputError: string | null = null;
  private rewound = false;
  /** Per source: the window whose attempts failed in a row, how many times, and the last error. */
  private readonly windowFailures = new Map<string, { window: string; count: number; error: string }>();
  private readonly lastRuns: Omit<RunReport, "top">[] = [];
  private built: { schema: string; sources: EventSource[] } | undefined;
  private stopping = false;
  private aborting = false;
  private current: string | null = null;
  /**
   * When the current run started, epoch ms: the clock Splunk windows are planned by. Frozen per run, a search
   * that is behind catches up to that moment and stops; on the live clock each window's own run time would
   * open the next one-second window, and a run that takes a second or more would never end.
   */
  private runStartedMs = Date.now();
  /** Whether the last `runAll` scored every window it planned without an error. */
  lastRunOk = true;

  constructor(private readonly o: ScoringJobOptions) {}

  /** Why the last run could not reach Splunk or HEC, or could not read an input; null when it could. */
  notReadyReason(): string | null {
    return this.connectionError ?? this.inputError ?? this.windowFailureReason();
  }

  /** The first source whose window failed `maxWindowFailures` times in a row, said with its last error; else null. */
  private windowFailureReason(): string | null {
    const max = this.o.maxWindowFailures ?? 5;
    for (const [source, f] of this.windowFailures) {
      if (f.count >= max) return `source "${source}": the same window failed ${f.count} times in a row; the last error: ${f.error}`;
    }
    return null;
  }

  /**
   * Counts a failed attempt on a window, or clears the count when one succeeds. The window is known by the
   * checkpoint it starts from (a window planned from the same checkpoint is the same window, even when its end
   * moved with the clock): the same one again adds one.
   */
  private countWindow(report: RunReport): void {
    if (!report.error || report.committed) {
      this.windowFailures.delete(report.source);
      return;
    }
    const window = JSON.stringify(this.position(report.source) ?? null);
    const before = this.windowFailures.get(report.source);
    this.windowFailures.set(report.source, { window, count: before?.window === window ? before.count + 1 : 1, error: report.error });
  }

  /** Stops before the next window; the window in flight finishes. */
  stop(): void {
    this.stopping = true;
  }

  /** Stops the window in flight at its next safe point (between batches): nothing torn, the rest scored by the next run. */
  abort(): void {
    this.stopping = true;
    this.aborting = true;
  }

  /** The source whose window is being scored now, or null between runs. */
  get inFlight(): string | null {
    return this.current;
  }

  status(): { checkpoints: Record<string, unknown>; last_runs: Omit<RunReport, "top">[] } {
    return {
      checkpoints: Object.fromEntries((this.built?.sources ?? []).map((s) => [s.name, this.position(s.name) ?? null])),
      last_runs: this.lastRuns,
    };
  }

  /** One scheduled run: each source, window by window, until it has caught up with the run's start or a window fails. */
  async runAll(): Promise<void> {
    const lease = await this.o.model.acquire();
    if (!lease) {
      this.lastRunOk = false;
      return;
    }
    try {
      if (!(await this.connected())) {
        this.lastRunOk = false;
        return;
      }
      this.runStartedMs = Date.now();
      let ok = true;
      const sources = this.sourcesFor(lease.model);
      if (!this.rewound) {
        this.rewound = true;
        await this.rewind();
      }
      const unreadable: string[] = [];
      for (const source of sources) {
        this.markFirstRun(source.name);
        for (;;) {
          if (this.stopping) return;
          this.current = source.name;
          const report = await runOnce({
            source,
            model: lease.model,
            sink: this.o.sink,
            minRiskScore: this.o.minRiskScore,
            drift: this.o.driftThreshold === undefined ? undefined : { spec: lease.model.metadata.feature_spec, threshold: this.o.driftThreshold },
            checkpoint: {
              get: () => this.position(source.name),
              commit: (p) => this.commit(source.name, p),
            },
            shouldStop: () => this.aborting,
          }).finally(() => (this.current = null));
          if (!report) {
            const problems = source.failures?.() ?? [];
            if (problems.length > 0) {
              // Nothing new to read, but inputs that cannot be read: the run still did not do its job.
              ok = false;
              unreadable.push(...problems);
              logEvent("inputs_unreadable", { source: source.name, error: unreadableMessage(problems) });
            } else {
              logEvent("run_nothing_new", { source: source.name });
            }
            break;
          }
          if (report.error) unreadable.push(...(source.failures?.() ?? []));
          this.countWindow(report);
          await this.record(report);
          if (report.error) {
            ok = false;
            break;
          }
        }
      }
      this.lastRunOk = ok;
      this.inputError = unreadable.length > 0 ? unreadableMessage([...new Set(unreadable)]) : null;
    } finally {
      lease.release();
    }
  }

  /**
   * Scores every event with `earliest ≤ _time < latest` (epoch seconds) that is indexed by now − lag, for each
   * Splunk search (or the one named), through the sink, and leaves the live checkpoints alone. The events get
   * the same `event_id`s as in live runs, so re-scoring a range duplicates nothing on dashboards that
   * deduplicate on it. Returns the run reports.
   */
  async backfill(earliest: number, latest: number, searchName?: string): Promise<RunReport[]> {
    if (this.o.lagSeconds === undefined) throw new Error("backfill needs source.type: splunk (file sources are rescored with soc-assistant score)");
    if (!(latest > earliest)) throw new Error(`backfill: latest (${latest}) must be after earliest (${earliest})`);
    const lease = await this.o.model.acquire();
    if (!lease) throw new Error("no model version can score (see the log for why)");
    try {
      if (!(await this.connected())) throw new Error(this.connectionError ?? "not ready");
      const all = this.sourcesFor(lease.model);
      const sources = all.filter((s) => searchName === undefined || s.name === searchName);
      if (sources.length === 0) throw new Error(`backfill: no search named ${JSON.stringify(searchName)}; configured: ${all.map((s) => s.name).join(", ")}`);
      const indexedBy = Math.floor(Date.now() / 1000) - this.o.lagSeconds;
      const reports: RunReport[] = [];
      for (const source of sources) {
        const report = await runOnce({
          source,
          model: lease.model,
          sink: this.o.sink,
          minRiskScore: this.o.minRiskScore,
          window: { start: 0, end: indexedBy, earliest, latest },
        });
        if (report) {
          await this.record(report);
          reports.push(report);
        }
      }
      return reports;
    } finally {
      lease.release();
    }
  }

  /** The committed position of a source, without the sink mark stored beside it. */
  private position(key: string): unknown {
    const v = this.o.checkpoints.get(key);
    return isEnvelope(v) ? v.position : v;
  }

  private commit(key: string, position: unknown): void {
    const mark = this.o.sink.mark?.();
    this.o.checkpoints.commit(key, mark === undefined ? position : ({ soc_assistant_checkpoint: 2, position, sink: mark } satisfies Envelope));
  }

  /**
   * A source's first run with a sink that can rewind starts by committing the sink's mark with no position:
   * a crash before the run's first commit then drops what it wrote, instead of doubling it at the restart.
   * Output that is already there (checkpoints deleted to score again) stays, and is said once.
   */
  private markFirstRun(key: string): void {
    const mark = this.o.sink.mark?.();
    if (mark === undefined || this.o.checkpoints.get(key) !== undefined) return;
    if (mark.written > 0) logEvent("output_not_empty", { source: key, destination: this.o.destination });
    this.o.checkpoints.commit(key, { soc_assistant_checkpoint: 2, position: undefined, sink: mark } satisfies Envelope);
  }

  /**
   * Before the first run: a sink that can take back what it wrote drops what followed the last commit (a
   * crash between write and commit), because the sources write those events again. Without any committed
   * mark (first run, or checkpoints deleted) nothing is dropped: events scored again are appended.
   */
  private async rewind(): Promise<void> {
    const sink = this.o.sink;
    if (!sink.rewind) return;
    const marks: unknown[] = [];
    for (const key of checkpointKeys(this.o.checkpoints.dir)) {
      const v = this.o.checkpoints.get(key);
      if (isEnvelope(v)) marks.push(v.sink);
    }
    const dropped = await sink.rewind(marks);
    if (dropped > 0) logEvent("uncommitted_output_dropped", { destination: this.o.destination, bytes: dropped });
  }

  /** The sources for this version's fields plus the CIM fields risk events copy for pivots; rebuilt when they change. */
  private sourcesFor(model: LoadedScoringModel): EventSource[] {
    if (this.built?.schema !== model.featureSchema) {
      const fields = [...new Set([...model.metadata.feature_spec.fields, ...CIM_COPY_FIELDS])];
      this.built = { schema: model.featureSchema, sources: this.o.sources(fields, () => this.runStartedMs) };
    }
    return this.built.sources;
  }

  /** Checks Splunk and HEC; logs changes of readiness once, not every tick. */
  private async connected(): Promise<boolean> {
    const reason = await this.o.check();
    if (reason !== this.connectionError) {
      if (reason) logEvent("not_ready", { reason });
      else if (this.connectionError) logEvent("became_ready");
    }
    this.connectionError = reason;
    return reason === null;
  }

  private async record(report: RunReport): Promise<void> {
    const { top: _top, ...summary } = report;
    this.lastRuns.unshift(summary);
    this.lastRuns.length = Math.min(this.lastRuns.length, 10);
    // Lag: how far behind now the window ended (index time, Splunk sources); null for files.
    const end = (report.window as { end?: unknown } | null)?.end;
    const lag_seconds = typeof end === "number" ? Math.max(0, Math.round(Date.parse(report.started_at) / 1000 - end)) : null;
    const sent = await this.o.runSink.send([{ _time: Date.parse(report.started_at) / 1000, sourcetype: RUN_SOURCETYPE, ...summary, lag_seconds }]);
    const flushed = sent.kind === "success" ? await this.o.runSink.flush() : sent;
    if (flushed.kind !== "success") logEvent("run_event_failed", { error: flushed.reason, run_id: report.run_id });
    if (report.events_rejected > 0) {
      logEvent("rows_rejected", { source: report.source, rejected: report.events_rejected, first: report.rejected_samples.slice(0, 5).map((r) => `${r.file}:${r.line}: ${r.reason}`) });
    }
    if (report.retrain_suggested) logEvent("drift_detected", { source: report.source, run_id: report.run_id, drift_max: report.drift_max, reason: report.retrain_reason });
    if (report.error && !report.committed) {
      logEvent("run_failed", { source: report.source, error: report.error, run_id: report.run_id });
      return;
    }
    if (report.error) logEvent("inputs_unreadable", { source: report.source, error: report.error, run_id: report.run_id });
    if (report.events_pulled === 0 && report.events_rejected === 0) return;
    logEvent("run_finished", {
      source: report.source,
      run_id: report.run_id,
      model_version: report.model_version,
      pulled: report.events_pulled,
      scored: report.events_scored,
      written: report.events_written,
      rejected: report.events_rejected,
      seconds: Number(report.duration_seconds.toFixed(3)),
    });
    this.o.out(formatSummary(report, this.o.destination, this.o.minRiskScore));
  }
}

/** The keys of the checkpoints stored in `dir` (none when it does not exist yet). */
function checkpointKeys(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -".json".length));
  } catch {
    return [];
  }
}
