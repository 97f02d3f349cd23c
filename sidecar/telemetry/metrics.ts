/**
 * Prometheus metrics (prom-client), one registry per sidecar. Run counters are fed from the run events
 * themselves (`observeRun`, called with each `soc_assistant:run` record as it is written), so `/metrics` and
 * the run events of the same runs agree by construction. Model version and readiness are read at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

const BANDS = ["informational", "low", "medium", "high", "critical"] as const;

export interface MetricsSources {
  /** The version scoring now. */
  model(): { name: string; version: string | null; kind: string };
  ready(): boolean;
  /** Retraining runs started, refused because one was running, and the last outcome's status. */
  retrain?(): { runs: number; refused: number; last: { status: string } | null };
  /** The sidecar's own log events given up on by the HEC log shipper (0 without one). */
  logsDropped?(): number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly runs: Counter<"source" | "outcome">;
  private readonly events: Counter<"source" | "stage">;
  private readonly bands: Counter<"source" | "band">;
  private readonly duration: Histogram<"source">;
  private readonly lag: Histogram<"source">;
  private readonly requests: Counter<"route" | "status">;
  private readonly requestSeconds: Histogram<"route">;

  constructor(sources: MetricsSources, opts: { defaultMetrics?: boolean } = {}) {
    const r = this.registry;
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: r, prefix: "soc_assistant_" });
    this.runs = new Counter({ name: "soc_assistant_runs_total", help: "Scoring runs (one per window), by source and outcome (ok, failed).", labelNames: ["source", "outcome"], registers: [r] });
    this.events = new Counter({
      name: "soc_assistant_events_total",
      help: "Events per run stage, by source: pulled, scored, written, rejected (unreadable rows), dropped (refused by the sink).",
      labelNames: ["source", "stage"],
      registers: [r],
    });
    this.bands = new Counter({ name: "soc_assistant_events_scored_by_band_total", help: "Scored events by risk band.", labelNames: ["source", "band"], registers: [r] });
    this.duration = new Histogram({
      name: "soc_assistant_run_duration_seconds",
      help: "Wall time of one scoring run (one window).",
      labelNames: ["source"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [r],
    });
    this.lag = new Histogram({
      name: "soc_assistant_lag_seconds",
      help: "How far behind its start a run's window ended (Splunk sources).",
      labelNames: ["source"],
      buckets: [30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400],
      registers: [r],
    });
    new Counter({
      name: "soc_assistant_retrain_runs_total",
      help: "Retraining runs started (schedule, API, webhook).",
      registers: [r],
      collect() {
        this.reset();
        this.inc(sources.retrain?.().runs ?? 0);
      },
    });
    new Counter({
      name: "soc_assistant_retrain_refused_total",
      help: "Retraining requests refused because a retraining was running.",
      registers: [r],
      collect() {
        this.reset();
        this.inc(sources.retrain?.().refused ?? 0);
      },
    });
    new Gauge({
      name: "soc_assistant_retrain_last_outcome",
      help: "The last retraining's outcome (value 1; status promoted, kept_champion, refused or failed as a label).",
      labelNames: ["status"],
      registers: [r],
      collect() {
        this.reset();
        const last = sources.retrain?.().last;
        if (last) this.set({ status: last.status }, 1);
      },
    });
    this.requests = new Counter({ name: "soc_assistant_api_requests_total", help: "HTTP API requests by route pattern and status code.", labelNames: ["route", "status"], registers: [r] });
    this.requestSeconds = new Histogram({
      name: "soc_assistant_api_request_duration_seconds",
      help: "HTTP API request latency by route pattern.",
      labelNames: ["route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 5],
      registers: [r],
    });
    new Gauge({
      name: "soc_assistant_model_info",
      help: "The model version that scores now (value 1; version and kind as labels).",
      labelNames: ["name", "version", "kind"],
      registers: [r],
      collect() {
        this.reset();
        const m = sources.model();
        if (m.version !== null) this.set({ name: m.name, version: m.version, kind: m.kind }, 1);
      },
    });
    new Counter({
      name: "soc_assistant_log_events_dropped_total",
      help: "The sidecar's own log events not shipped to HEC (logging.hec): buffer full or HEC down.",
      registers: [r],
      collect() {
        this.reset();
        this.inc(sources.logsDropped?.() ?? 0);
      },
    });
    new Gauge({
      name: "soc_assistant_ready",
      help: "1 when the sidecar can score (what /readyz says), else 0.",
      registers: [r],
      collect() {
        this.set(sources.ready() ? 1 : 0);
      },
    });
  }

  /** One `soc_assistant:run` record, as written to the run sink. */
  observeRun(run: Record<string, unknown>): void {
    const source = typeof run.source === "string" ? run.source : "unknown";
    const num = (k: string) => (typeof run[k] === "number" ? (run[k] as number) : 0);
    this.runs.inc({ source, outcome: run.error ? "failed" : "ok" });
    for (const stage of ["pulled", "scored", "written", "rejected", "dropped"]) {
      const n = num(`events_${stage}`);
      if (n > 0) this.events.inc({ source, stage }, n);
      else this.events.inc({ source, stage }, 0);
    }
    const byBand = (run.by_band ?? {}) as Record<string, unknown>;
    for (const band of BANDS) this.bands.inc({ source, band }, typeof byBand[band] === "number" ? (byBand[band] as number) : 0);
    if (typeof run.duration_seconds === "number") this.duration.observe({ source }, run.duration_seconds);
    if (typeof run.lag_seconds === "number") this.lag.observe({ source }, run.lag_seconds);
  }

  observeRequest(route: string, status: number, seconds: number): void {
    this.requests.inc({ route, status: String(status) });
    this.requestSeconds.observe({ route }, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
