/**
 * Body of one scoring worker thread (started by `pool.ts`). Holds a `Scorer` built from the dense description
 * in `workerData` (and an `Explainer` when the pool explains) and answers requests; batches arrive and leave as
 * transferred buffers.
 *
 * Protocol (all messages are plain objects):
 * - worker → pool, once: `{ type: "ready", backend }` or `{ type: "init-error", message }`.
 * - pool → worker: `{ id, x, rows, output, minRiskScore? }`; worker → pool: `{ id, p }` (p transferred), for
 *   `output: "explain"` `{ id, top }` (the top fields of each row, in calibrated log-odds), for `"assess"`
 *   `{ id, assessment }` (probabilities, the rows at or above `minRiskScore`, their top fields), buffers
 *   transferred; or `{ id, error }`.
 * A failing request answers with its own error; the worker keeps serving the others.
 */
import { parentPort, workerData } from "node:worker_threads";
import { initBackend, type BackendPreference } from "../tf/backend.ts";
import type { Calibration } from "../registry/metadata.ts";
import type { DenseNet } from "./dense.ts";
import { Explainer, type Assessment, type ExplainerSpec, type TopContributions } from "./explain.ts";
import { Scorer } from "./scorer.ts";

export interface WorkerInit {
  net: DenseNet;
  calibration: Calibration;
  backend: BackendPreference;
  batchSize: number;
  /** What the explainer needs of the feature spec, and its top K; absent when the pool does not explain. */
  explain?: { spec: ExplainerSpec; topK?: number };
}

export interface ScoreRequest {
  id: number;
  x: Float32Array;
  rows: number;
  /**
   * Calibrated probabilities (`score`), uncalibrated outputs (`raw`), calibrated log-odds (`logit`), the top
   * fields of each row by occlusion in calibrated log-odds (`explain`), or both probabilities and the top fields
   * of the rows at or above `minRiskScore` (`assess`).
   */
  output: "score" | "raw" | "logit" | "explain" | "assess";
  minRiskScore?: number;
}

export type WorkerReply =
  | { type: "ready"; backend: string }
  | { type: "init-error"; message: string }
  | { id: number; p: Float32Array }
  | { id: number; top: TopContributions }
  | { id: number; assessment: Assessment }
  | { id: number; error: string };

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function serve(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("sidecar/scoring/worker.ts must run in a worker thread");
  const init = workerData as WorkerInit;
  let scorer: Scorer;
  let explainer: Explainer | null = null;
  try {
    await initBackend(init.backend);
    scorer = new Scorer({ net: init.net, metadata: { calibration: init.calibration }, batchSize: init.batchSize });
    if (init.explain) explainer = new Explainer(init.explain.spec, { topK: init.explain.topK });
  } catch (e) {
    port.postMessage({ type: "init-error", message: message(e) } satisfies WorkerReply);
    return;
  }
  port.on("message", (req: ScoreRequest) => {
    try {
      if (req.output === "explain" || req.output === "assess") {
        if (explainer === null) throw new Error("this pool was started without an explainer");
        const logit = (v: Float32Array, n: number): Float32Array => scorer.scoreLogit(v, n);
        if (req.output === "explain") {
          const top = explainer.top(req.x, req.rows, logit);
          port.postMessage({ id: req.id, top } satisfies WorkerReply, [top.fields.buffer as ArrayBuffer, top.contributions.buffer as ArrayBuffer]);
        } else {
          const a = explainer.assess(req.x, req.rows, req.minRiskScore ?? 0, (v, n) => scorer.score(v, n), logit);
          const buffers = [a.probs.buffer, a.keep.buffer, a.top.fields.buffer, a.top.contributions.buffer] as ArrayBuffer[];
          port.postMessage({ id: req.id, assessment: a } satisfies WorkerReply, buffers);
        }
        return;
      }
      const p = req.output === "raw" ? scorer.scoreRaw(req.x, req.rows) : req.output === "logit" ? scorer.scoreLogit(req.x, req.rows) : scorer.score(req.x, req.rows);
      port.postMessage({ id: req.id, p } satisfies WorkerReply, [p.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ id: req.id, error: message(e) } satisfies WorkerReply);
    }
  });
  port.postMessage({ type: "ready", backend: scorer.backend } satisfies WorkerReply);
}

await serve();
