/**
 * The retraining component: one retraining at a time, off the main thread, whoever asks (the schedule, the
 * API, the CLI, Splunk's webhook). A run trains a challenger in a worker thread (`retrain-job.ts`), decides
 * champion/challenger on the main thread (`champion.ts`), promotes through the injected `promote` (the model
 * holder's, so the version is verified before the pointer moves), applies registry retention, and records one
 * `soc_assistant:model` event per outcome (`model-events.ts`).
 *
 * Contract:
 * - `trigger` starts a run and returns at once: `{ started: true, id }`, or `{ busy: true, id }` (the id of
 *   the run in flight) when one is running; nothing is queued. `run` is the same but resolves with the outcome.
 *   "Running" spans processes: a lock file in the model's registry directory (`.retrain.lock`, holding the
 *   pid and run id; a dead pid's lock is taken over) keeps the CLI and a running sidecar from training at once.
 * - A run whose data cannot train (too few rows, one class, no label field), or whose challenger loses, or
 *   whose promotion is refused changes nothing but the registry's new non-current version (none when the
 *   data failed) and writes the reason in the model event and the outcome.
 * - `shutdown` stops a run in flight (the worker is terminated; nothing is promoted) and is idempotent.
 */
import { randomUUID } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { ModelActor, ModelEvent } from "../contract/index.ts";
import { ModelRegistry } from "../registry/registry.ts";
import type { BackendPreference } from "../tf/backend.ts";
import { logEvent } from "../telemetry/log.ts";
import { decide, type DecisionRule, type HoldoutMetrics } from "./champion.ts";
import { TrainingDataError } from "./data.ts";
import { modelEvent, type ModelEventLog } from "./model-events.ts";
import { runRetrainJob, type RetrainDataSpec, type RetrainJobResult, type RetrainSpec } from "./retrain-job.ts";
import type { RetrainWorkerReply } from "./retrain-worker.ts";

export interface RetrainRequest {
  actor: ModelActor;
  /** What started it: a cron expression, an API request id, a CLI command. */
  trigger?: string;
  /** Data for this run instead of the configured `retrain.data`. */
  data?: RetrainDataSpec;
}

export type TriggerResult = { started: true; id: string } | { busy: true; id: string };

export interface RetrainOutcome {
  id: string;
  /** `promoted`, `kept_champion` (the challenger lost), `refused` (it won but did not verify), `failed`. */
  status: "promoted" | "kept_champion" | "refused" | "failed";
  reason: string;
  challenger: string | null;
  champion: string | null;
  /** The model event written for it. */
  event: ModelEvent;
}

export interface RetrainerOptions {
  name: string;
  registryDir: string;
  backend: BackendPreference;
  /** The job spec for a request's data (the configured data when absent); throws a `TrainingDataError` when there is none. */
  spec(data: RetrainDataSpec | undefined): RetrainSpec;
  rule: DecisionRule;
  /** Makes `version` current after verifying it (the model holder's `promote`); throws when it does not verify. */
  promote(version: string, actor: ModelActor): Promise<unknown>;
  events: ModelEventLog;
  /** Versions kept besides the current and the previous one (`retrain.keep_versions`). */
  keepVersions: number;
  /** `worker` (default) trains in a worker thread; `inline` in this thread (a CLI process of its own). */
  mode?: "worker" | "inline";
}

/** The worker runs TypeScript: tsx is registered inside the thread (as the scoring pool does). */
const BOOT = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL("./retrain-worker.ts", import.meta.url).href)}); });`;

class DataError extends Error {}

export class Retrainer {
  readonly name = "retraining";
  private running: { id: string; actor: ModelActor; started_at: string; promise: Promise<RetrainOutcome> } | undefined;
  private worker: Worker | undefined;
  private stopped = false;
  private last: Omit<RetrainOutcome, "event"> & { finished_at: string; duration_seconds: number } | undefined;
  runs = 0;
  refused = 0;

  constructor(private readonly o: RetrainerOptions) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Starts a retraining unless one is running. */
  trigger(req: RetrainRequest): TriggerResult {
    const id = randomUUID();
    const holder = this.running?.id ?? this.lock(id);
    if (holder !== null) {
      this.refused++;
      logEvent("retrain_refused", { running: holder, actor: req.actor.kind });
      return { busy: true, id: holder };
    }
    const promise = this.execute(id, req).finally(() => {
      this.running = undefined;
      rmSync(this.lockPath, { force: true });
    });
    this.running = { id, actor: req.actor, started_at: new Date().toISOString(), promise };
    promise.catch(() => undefined);
    return { started: true, id };
  }

  /** Runs a retraining and resolves with its outcome; `{ busy }` when one is running. */
  async run(req: RetrainRequest): Promise<RetrainOutcome | { busy: true; id: string }> {
    const t = this.trigger(req);
    if ("busy" in t) return t;
    return this.running!.promise;
  }

  /** The run in flight, resolved when it ends (for tests and shutdown). */
  get inFlight(): Promise<RetrainOutcome> | undefined {
    return this.running?.promise;
  }

  status(): {
    running: { id: string; actor: ModelActor; started_at: string } | null;
    last: (Omit<RetrainOutcome, "event"> & { finished_at: string; duration_seconds: number }) | null;
    runs: number;
    refused: number;
  } {
    const r = this.running;
    return { running: r ? { id: r.id, actor: r.actor, started_at: r.started_at } : null, last: this.last ?? null, runs: this.runs, refused: this.refused };
  }

  notReadyReason(): string | null {
    return null;
  }

  /** Terminates a run in flight (nothing is promoted) and waits for it. Idempotent. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.worker?.terminate();
    await this.running?.promise.catch(() => undefined);
  }

  private get lockPath(): string {
    return join(this.o.registryDir, this.o.name, ".retrain.lock");
  }

  /** Takes the cross-process lock for run `id`; returns null, or the id of the run holding it. */
  private lock(id: string): string | null {
    mkdirSync(join(this.o.registryDir, this.o.name), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockPath, "wx");
        writeSync(fd, JSON.stringify({ pid: process.pid, id }));
        closeSync(fd);
        return null;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      let other: { pid?: number; id?: string } = {};
      try {
        other = JSON.parse(readFileSync(this.lockPath, "utf8")) as typeof other;
      } catch {
        // torn or empty: treated as stale
      }
      if (typeof other.pid === "number" && other.pid !== process.pid && alive(other.pid)) return other.id ?? "another process";
      rmSync(this.lockPath, { force: true });
    }
    return "another process";
  }

  private async execute(id: string, req: RetrainRequest): Promise<RetrainOutcome> {
    this.runs++;
    const t0 = performance.now();
    const base = { model_name: this.o.name, actor: req.actor, trigger: req.trigger ?? null };
    const registry = new ModelRegistry(this.o.registryDir);
    logEvent("retrain_started", { id, actor: req.actor.kind, trigger: req.trigger });
    let outcome: RetrainOutcome;
    let result: RetrainJobResult | undefined;
    try {
      const spec = this.o.spec(req.data);
      result = this.o.mode === "inline" ? await runRetrainJob(spec) : await this.inWorker(spec);
      if (this.stopped) throw new Error("the sidecar is shutting down");
      const { champion, challenger, championMetrics, challengerMetrics } = result;
      const decision = decide(championMetrics, challengerMetrics, this.o.rule);
      const common = {
        ...base,
        champion_version: champion,
        challenger_version: challenger,
        previous_version: registry.current(this.o.name) ?? null,
        metric: this.o.rule.metric,
        champion_metrics: metricsRecord(championMetrics),
        challenger_metrics: metricsRecord(challengerMetrics),
        // The held-out slice the decision was made on; its feedback count is the whole retraining's (training
        // rows included), and its source names what the challenger trained on.
        data: {
          ...result.holdout,
          source: `${result.holdout.source}; the challenger trained on ${result.trained.rows} older rows (${result.trained.feedback_labels} labeled by analysts)`,
          feedback_labels: result.holdout.feedback_labels + result.trained.feedback_labels,
        },
      };
      const note = result.championProblem ? ` (${result.championProblem})` : "";
      if (decision.decision === "promoted") {
        try {
          await this.o.promote(challenger, req.actor);
          outcome = this.outcome(id, "promoted", decision.reason + note, result, modelEvent({ ...common, action: "promoted", decision: "promoted", version: challenger, reason: decision.reason + note }));
        } catch (e) {
          const reason = `the challenger won but did not verify, so it was not promoted: ${(e as Error).message}`;
          outcome = this.outcome(id, "refused", reason, result, modelEvent({ ...common, action: "rejected", decision: "refused", version: challenger, reason }));
        }
      } else {
        outcome = this.outcome(id, "kept_champion", decision.reason + note, result, modelEvent({ ...common, action: "rejected", decision: "kept_champion", version: challenger, reason: decision.reason + note }));
      }
    } catch (e) {
      const message = (e as Error).message;
      const reason = e instanceof TrainingDataError || e instanceof DataError ? `retraining failed, nothing changed: ${message}` : `retraining failed, nothing changed (error): ${message}`;
      outcome = this.outcome(id, "failed", reason, result, modelEvent({ ...base, action: "retrain_failed", reason, previous_version: safeCurrent(registry, this.o.name), champion_version: safeCurrent(registry, this.o.name) }));
    }
    outcome.event.duration_seconds = (performance.now() - t0) / 1000;
    if (outcome.status !== "failed") {
      try {
        const deleted = registry.prune(this.o.name, this.o.keepVersions);
        if (deleted.length > 0) logEvent("versions_pruned", { model: this.o.name, deleted });
      } catch (e) {
        logEvent("component_failed", { component: "registry retention", error: (e as Error).message });
      }
    }
    await this.o.events.record(outcome.event);
    const { event, ...rest } = outcome;
    this.last = { ...rest, finished_at: new Date().toISOString(), duration_seconds: event.duration_seconds ?? 0 };
    logEvent(outcome.status === "failed" ? "retrain_failed" : "retrain_finished", { id, status: outcome.status, reason: outcome.reason, challenger: outcome.challenger, seconds: Number((event.duration_seconds ?? 0).toFixed(2)) });
    return outcome;
  }

  private outcome(id: string, status: RetrainOutcome["status"], reason: string, r: RetrainJobResult | undefined, event: ModelEvent): RetrainOutcome {
    return { id, status, reason, challenger: r?.challenger ?? null, champion: r?.champion ?? event.champion_version, event };
  }

  private inWorker(spec: RetrainSpec): Promise<RetrainJobResult> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(BOOT, { eval: true, workerData: { spec, backend: this.o.backend }, execArgv: [] });
      this.worker = worker;
      let settled = false;
      worker.once("message", (m: RetrainWorkerReply) => {
        settled = true;
        if (m.ok) resolve(m.result);
        else reject(m.dataError ? new DataError(m.message) : new Error(m.message));
      });
      worker.once("error", (e) => {
        if (!settled) reject(e);
        settled = true;
      });
      worker.once("exit", (code) => {
        this.worker = undefined;
        if (!settled) reject(new Error(this.stopped ? "stopped: the sidecar is shutting down" : `the retraining worker exited with code ${code} before answering`));
        settled = true;
      });
    });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function metricsRecord(m: HoldoutMetrics | null): Record<string, number> | null {
  return m === null ? null : { ...m };
}

function safeCurrent(registry: ModelRegistry, name: string): string | null {
  try {
    return registry.current(name) ?? null;
  } catch {
    return null;
  }
}
