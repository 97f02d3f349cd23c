/**
 * Body of one scoring worker thread (started by `pool.ts`). Holds a `Scorer` built from the dense description
 * in `workerData` and answers score requests; batches arrive and leave as transferred buffers.
 *
 * Protocol (all messages are plain objects):
 * - worker → pool, once: `{ type: "ready", backend }` or `{ type: "init-error", message }`.
 * - pool → worker: `{ id, x, rows, raw }`; worker → pool: `{ id, p }` (p transferred) or `{ id, error }`.
 * A failing request answers with its own error; the worker keeps serving the others.
 */
import { parentPort, workerData } from "node:worker_threads";
import { initBackend, type BackendPreference } from "../tf/backend.ts";
import type { Calibration } from "../registry/metadata.ts";
import type { DenseNet } from "./dense.ts";
import { Scorer } from "./scorer.ts";

export interface WorkerInit {
  net: DenseNet;
  calibration: Calibration;
  backend: BackendPreference;
  batchSize: number;
}

export interface ScoreRequest {
  id: number;
  x: Float32Array;
  rows: number;
  /** Calibrated probabilities (`score`), uncalibrated outputs (`raw`), or calibrated log-odds (`logit`). */
  output: "score" | "raw" | "logit";
}

export type WorkerReply =
  | { type: "ready"; backend: string }
  | { type: "init-error"; message: string }
  | { id: number; p: Float32Array }
  | { id: number; error: string };

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function serve(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("sidecar/scoring/worker.ts must run in a worker thread");
  const init = workerData as WorkerInit;
  let scorer: Scorer;
  try {
    await initBackend(init.backend);
    scorer = new Scorer({ net: init.net, metadata: { calibration: init.calibration }, batchSize: init.batchSize });
  } catch (e) {
    port.postMessage({ type: "init-error", message: message(e) } satisfies WorkerReply);
    return;
  }
  port.on("message", (req: ScoreRequest) => {
    try {
      const p = req.output === "raw" ? scorer.scoreRaw(req.x, req.rows) : req.output === "logit" ? scorer.scoreLogit(req.x, req.rows) : scorer.score(req.x, req.rows);
      port.postMessage({ id: req.id, p } satisfies WorkerReply, [p.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ id: req.id, error: message(e) } satisfies WorkerReply);
    }
  });
  port.postMessage({ type: "ready", backend: scorer.backend } satisfies WorkerReply);
}

await serve();
