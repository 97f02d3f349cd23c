/**
 * Runs the training job in a worker thread (`retrain-worker.ts`) and resolves with its reply. Aborting the
 * signal asks the worker to stop at the job's next safe point (nothing is registered), and terminates it if it
 * has not stopped within `graceMs`.
 */
import { Worker } from "node:worker_threads";
import type { RetrainInit, RetrainReply } from "./retrain-worker.ts";

const BOOT = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL("./retrain-worker.ts", import.meta.url).href)}); });`;

export class TrainingFailed extends Error {
  override name = "TrainingFailed";
}

export function trainInWorker(init: RetrainInit, signal: AbortSignal, graceMs = 10_000): Promise<Extract<RetrainReply, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOT, { eval: true, workerData: init, execArgv: [] });
    let settled = false;
    let kill: NodeJS.Timeout | undefined;
    const onAbort = () => {
      worker.postMessage("abort");
      kill = setTimeout(() => void worker.terminate(), graceMs);
      kill.unref();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      if (kill) clearTimeout(kill);
      f();
      void worker.terminate();
    };
    worker.on("message", (m: RetrainReply) => done(() => (m.ok ? resolve(m) : reject(new TrainingFailed(m.error)))));
    worker.on("error", (e) => done(() => reject(new TrainingFailed(`the training worker crashed: ${e.message}`))));
    worker.on("exit", (code) => done(() => reject(new TrainingFailed(`the training worker exited with code ${code} before it answered`))));
  });
}
