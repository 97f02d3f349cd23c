/**
 * A pool of worker threads that score feature batches off the main thread, so the pipeline can parse and
 * featurize batch n+1 while batch n is scored.
 *
 * Contract:
 * - `score(x, rows)` resolves with exactly what `Scorer.score` gives for the same rows on the same backend
 *   (bit for bit). Many calls may be in flight; each promise resolves with its own batch's results, so a
 *   caller that awaits them in call order consumes results in order.
 * - Zero copy: when `x` spans its whole `ArrayBuffer`, that buffer is transferred to the worker and `x` is
 *   detached (length 0) once `score` returns; a view into a larger buffer is copied instead. Results are
 *   transferred back.
 * - A request that fails in a worker rejects its own promise with the worker's message; a worker that dies
 *   rejects the requests it held and is replaced. A rejected call never counts as an unhandled rejection
 *   (results wait in the caller's queue until their turn); awaiting it throws. After `close()` (idempotent, safe before any call) every
 *   pending and later call rejects.
 * - `explain(x, rows)` (a pool created with `explain`) resolves with the top fields of each row, exactly what
 *   `Explainer.top` gives with `Scorer.scoreLogit` on the same backend: the workers build the occluded variants
 *   and rank them, so only `rows` rows travel out and `rows × topK` indices and contributions come back.
 *   `assess(x, rows, minRiskScore)` does `Explainer.assess` (score, then explain the rows at or above the risk
 *   score) in one round trip.
 * - No logging: `backend` says what the workers run on, for the caller's startup line.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { BackendPreference } from "../tf/backend.ts";
import type { Calibration } from "../registry/metadata.ts";
import { inputWidth, validateDense, type DenseNet } from "./dense.ts";
import { DEFAULT_TOP_K, type Assessment, type ExplainerSpec, type TopContributions } from "./explain.ts";
import { DEFAULT_BATCH_SIZE } from "./scorer.ts";
import type { ScoreRequest, WorkerInit, WorkerReply } from "./worker.ts";

export interface PoolOptions {
  net: DenseNet;
  calibration: Calibration;
  /** Worker threads; default `defaultPoolSize()`. */
  size?: number;
  /** Backend each worker initializes; default `auto` (see `tf/backend.ts`). */
  backend?: BackendPreference;
  /** Rows per forward pass inside a worker. */
  batchSize?: number;
  /** Lets `explain` run in the workers: the feature spec's columns, fields and numerics, and the top K. */
  explain?: { spec: ExplainerSpec; topK?: number };
}

type Result = Float32Array | TopContributions | Assessment;

interface Pending {
  resolve: (r: Result) => void;
  reject: (e: Error) => void;
  /** Rows of forward passes the request costs, for least-loaded dispatch. */
  load: number;
}

interface Slot {
  index: number;
  worker: Worker;
  pending: Map<number, Pending>;
  /** Rows queued on this worker: the dispatch picks the least loaded. */
  load: number;
  alive: boolean;
}

/**
 * One worker per core but one, and at least one: the main thread parses, featurizes and writes, which keeps a
 * core busy on its own (ADR 0009: on 2 cores a second worker bought ~10% and cost ~90 MB of RSS).
 */
export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * The worker runs TypeScript: tsx is registered inside the thread from its own package location, so this
 * works whether the main thread got tsx from `--import tsx` (tests) or from `register()` (the bin shim).
 */
const BOOT = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL("./worker.ts", import.meta.url).href)}); });`;

export class ScoringPool {
  readonly size: number;
  readonly width: number;
  /** Backend the workers run on, as `tf.getBackend()` named it in the first worker. */
  backend = "";
  private readonly init: WorkerInit;
  private slots: Slot[] = [];
  private nextId = 1;
  /** Forward passes per explained row (fields + 1); 0 when the pool does not explain. */
  private explainCost = 0;
  private closed = false;

  private constructor(opts: PoolOptions) {
    validateDense(opts.net);
    this.size = opts.size ?? defaultPoolSize();
    if (!Number.isInteger(this.size) || this.size < 1) throw new Error(`pool size must be a positive integer, got ${this.size}`);
    this.width = inputWidth(opts.net);
    this.init = {
      net: opts.net,
      calibration: opts.calibration,
      backend: opts.backend ?? "auto",
      batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
      explain: opts.explain && { spec: { columns: opts.explain.spec.columns, fields: opts.explain.spec.fields, numeric: opts.explain.spec.numeric }, topK: opts.explain.topK },
    };
    if (opts.explain) {
      const fields = new Set(opts.explain.spec.columns.flatMap((c) => c.fields)).size;
      this.explainCost = fields + 1;
      if (opts.explain.spec.columns.length !== this.width) {
        throw new Error(`the network takes ${this.width} inputs but the feature spec has ${opts.explain.spec.columns.length} columns`);
      }
    }
  }

  /** Starts `size` workers and resolves once every one has its backend and weights ready. */
  static async create(opts: PoolOptions): Promise<ScoringPool> {
    const pool = new ScoringPool(opts);
    try {
      const backends = await Promise.all(Array.from({ length: pool.size }, (_, i) => pool.spawn(i)));
      pool.backend = backends[0]!;
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Calibrated probabilities for `rows` rows of `x`. Detaches `x` when it owns its whole buffer. */
  score(x: Float32Array, rows: number): Promise<Float32Array> {
    return this.request(x, rows, "score") as Promise<Float32Array>;
  }

  /** Calibrated log-odds, as `Scorer.scoreLogit`. */
  scoreLogit(x: Float32Array, rows: number): Promise<Float32Array> {
    return this.request(x, rows, "logit") as Promise<Float32Array>;
  }

  /** Uncalibrated network outputs, as `Scorer.scoreRaw`. */
  scoreRaw(x: Float32Array, rows: number): Promise<Float32Array> {
    return this.request(x, rows, "raw") as Promise<Float32Array>;
  }

  /** The top fields of each of `rows` rows of `x`, as `Explainer.top` with `Scorer.scoreLogit`. Detaches `x` like `score`. */
  explain(x: Float32Array, rows: number): Promise<TopContributions> {
    if (this.explainCost === 0) return Promise.reject(new Error("this pool was created without `explain`"));
    return this.request(x, rows, "explain") as Promise<TopContributions>;
  }

  /**
   * Probabilities of `rows` rows of `x`, and the top fields of those whose risk score is at least `minRiskScore`,
   * as `Explainer.assess` with `Scorer.score` and `Scorer.scoreLogit`: one round trip per batch. Detaches `x`.
   */
  assess(x: Float32Array, rows: number, minRiskScore: number): Promise<Assessment> {
    if (this.explainCost === 0) return Promise.reject(new Error("this pool was created without `explain`"));
    return this.request(x, rows, "assess", minRiskScore) as Promise<Assessment>;
  }

  /** Terminates the workers; pending calls reject. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots;
    this.slots = [];
    for (const s of slots) failAll(s, new Error("the scoring pool was closed"));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private request(x: Float32Array, rows: number, output: ScoreRequest["output"], minRiskScore?: number): Promise<Result> {
    if (this.closed) return Promise.reject(new Error("the scoring pool is closed"));
    if (!Number.isInteger(rows) || rows < 0 || x.length !== rows * this.width) {
      return Promise.reject(new Error(`expected ${rows} rows of ${this.width} columns (${rows * this.width} values), got ${x.length} values`));
    }
    if (rows === 0) {
      const top = { rows: 0, k: this.init.explain?.topK ?? DEFAULT_TOP_K, fields: new Int16Array(0), contributions: new Float64Array(0) };
      if (output === "explain") return Promise.resolve(top);
      if (output === "assess") return Promise.resolve({ probs: new Float32Array(0), keep: new Int32Array(0), top });
      return Promise.resolve(new Float32Array(0));
    }
    let slot: Slot | undefined;
    for (const s of this.slots) if (s.alive && (slot === undefined || s.load < slot.load)) slot = s;
    if (slot === undefined) return Promise.reject(new Error("the scoring pool has no live worker"));
    const id = this.nextId++;
    const owned = x.byteOffset === 0 && x.byteLength === x.buffer.byteLength && x.buffer instanceof ArrayBuffer;
    const data = owned ? x : x.slice();
    const target = slot;
    // An assessment's explanations cost is unknown until scored: counted as a plain scoring.
    const load = output === "explain" ? rows * this.explainCost : rows;
    const result = new Promise<Result>((resolve, reject) => {
      target.pending.set(id, { resolve, reject, load });
      target.load += load;
      target.worker.postMessage({ id, x: data, rows, output, minRiskScore } satisfies ScoreRequest, [data.buffer as ArrayBuffer]);
    });
    // Callers queue several calls and await them in order, so a later call may fail before anyone awaits it:
    // that must not count as an unhandled rejection (which would end the process). Awaiting still throws.
    result.catch(() => undefined);
    return result;
  }

  /** Starts worker `index` (or its replacement); resolves with its backend once it is ready. */
  private spawn(index: number): Promise<string> {
    const worker = new Worker(BOOT, { eval: true, workerData: this.init, execArgv: [] });
    const slot: Slot = { index, worker, pending: new Map(), load: 0, alive: true };
    this.slots[index] = slot;
    return new Promise<string>((resolve, reject) => {
      let ready = false;
      worker.on("message", (m: WorkerReply) => {
        if ("type" in m) {
          if (m.type === "ready") {
            ready = true;
            resolve(m.backend);
          } else reject(new Error(`scoring worker ${index} could not start: ${m.message}`));
          return;
        }
        const p = slot.pending.get(m.id);
        if (p === undefined) return;
        slot.pending.delete(m.id);
        slot.load -= p.load;
        if ("error" in m) p.reject(new Error(`scoring worker ${index} failed: ${m.error}`));
        else p.resolve("top" in m ? m.top : "assessment" in m ? m.assessment : m.p);
      });
      worker.on("error", (e) => {
        const err = new Error(`scoring worker ${index} crashed: ${e.message}`);
        if (!ready) reject(err);
        failAll(slot, err);
      });
      worker.on("exit", (code) => {
        slot.alive = false;
        if (!ready) reject(new Error(`scoring worker ${index} exited with code ${code} before it was ready`));
        failAll(slot, new Error(`scoring worker ${index} exited with code ${code}`));
        // Replace a worker that was serving; one that never started would fail again the same way.
        if (ready && !this.closed && this.slots[index] === slot) {
          this.spawn(index).catch(() => undefined);
        }
      });
    });
  }
}

function failAll(slot: Slot, e: Error): void {
  for (const p of slot.pending.values()) p.reject(e);
  slot.pending.clear();
  slot.load = 0;
}
