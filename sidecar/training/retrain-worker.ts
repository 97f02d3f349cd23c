/**
 * Body of the retraining worker thread (started by `retrainer.ts`): initializes its own TensorFlow.js backend,
 * runs one `runRetrainJob` and posts the outcome, then ends.
 *
 * Protocol: workerData `{ spec, backend }`; one message back, `{ ok: true, result }` or
 * `{ ok: false, message, dataError }` (`dataError`: a `TrainingDataError`, the data's fault, not a bug).
 */
import { parentPort, workerData } from "node:worker_threads";
import { initBackend, type BackendPreference } from "../tf/backend.ts";
import { TrainingDataError } from "./data.ts";
import { runRetrainJob, type RetrainJobResult, type RetrainSpec } from "./retrain-job.ts";

export type RetrainWorkerReply = { ok: true; result: RetrainJobResult } | { ok: false; message: string; dataError: boolean };

const { spec, backend } = workerData as { spec: RetrainSpec; backend: BackendPreference };
try {
  await initBackend(backend);
  const result = await runRetrainJob(spec);
  parentPort!.postMessage({ ok: true, result } satisfies RetrainWorkerReply);
} catch (e) {
  parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e), dataError: e instanceof TrainingDataError } satisfies RetrainWorkerReply);
}
