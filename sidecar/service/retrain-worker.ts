/**
 * The training job in a worker thread, so retraining never blocks scoring or the API: the main thread posts
 * `RetrainInit` as workerData, may post `"abort"`, and gets one `RetrainReply`.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ArchitectureConfig, TrainingConfig } from "../registry/metadata.ts";
import type { MakeCurrent } from "../registry/registry.ts";
import type { BackendPreference } from "../tf/backend.ts";

export interface RetrainInit {
  files: string[];
  format?: string;
  labelColumn?: string;
  registryDir: string;
  name: string;
  architecture: ArchitectureConfig;
  training: TrainingConfig;
  backend: BackendPreference;
  makeCurrent: MakeCurrent;
}

export type RetrainReply =
  | { ok: true; version: string; current: boolean; metrics: Record<string, unknown>; rows: { train: number; validation: number }; seconds: number }
  | { ok: false; error: string; dataError: boolean };

async function main(): Promise<void> {
  const init = workerData as RetrainInit;
  const abort = new AbortController();
  parentPort!.on("message", (m) => {
    if (m === "abort") abort.abort(new Error("aborted: the sidecar is shutting down"));
  });
  const { startBackend } = await import("../tf/start.ts");
  const { runTrainingJob, fileTrainingData, TrainingDataError } = await import("../training/job.ts");
  try {
    await startBackend(init.backend);
    const r = await runTrainingJob({
      data: fileTrainingData({ files: init.files, format: init.format, labelColumn: init.labelColumn }),
      architecture: init.architecture,
      training: init.training,
      registryDir: init.registryDir,
      name: init.name,
      makeCurrent: init.makeCurrent,
      signal: abort.signal,
    });
    const m = r.metrics;
    parentPort!.postMessage({
      ok: true,
      version: r.version,
      current: r.current,
      metrics: { pr_auc: m.pr_auc, roc_auc: m.roc_auc, f1: m.f1, precision: m.precision, recall: m.recall, threshold: m.threshold },
      rows: r.split,
      seconds: r.timings.total_seconds,
    } satisfies RetrainReply);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e), dataError: e instanceof TrainingDataError } satisfies RetrainReply);
  }
}

void main();
