/**
 * Scores feature rows with a model version's network: raw sigmoid output, then Platt calibration.
 *
 * The forward pass is `tf.fused.matMul` (bias and activation fused) per Dense layer on the active tfjs
 * backend, exactly the kernels `model.predict` runs, without its per-call overhead and its default 32-row
 * sub-batching (ADR 0006 has the measurements). Rows go through in chunks of `batchSize` inside `tf.tidy`.
 *
 * Contract:
 * - `scoreRaw` equals `model.predict` on the same backend bit for bit; a row's score does not depend on the
 *   other rows of the call or on the chunking, so explanations and scores agree exactly.
 * - Two scorers built from the same weights on the same backend give bit-identical results.
 * - Build a scorer after the backend is chosen (`initBackend`); its weight tensors live on that backend until
 *   `dispose()`.
 */
import * as tf from "../tf/index.ts";
import type { Calibration, ModelMetadata } from "../registry/metadata.ts";
import { extractDense, inputWidth, validateDense, type DenseActivation, type DenseNet } from "./dense.ts";

/** Rows per forward pass, chosen by measurement on the wasm backend (ADR 0006). */
export const DEFAULT_BATCH_SIZE = 4096;
/** Raw probabilities are clamped to [EPS, 1 − EPS] before the logit. */
export const CALIBRATION_EPS = 1e-7;

export interface ScorerInit {
  net: DenseNet;
  /** The model version's metadata; only `calibration` is required (workers get only what they need). */
  metadata: Pick<ModelMetadata, "calibration"> & Partial<Pick<ModelMetadata, "feature_spec">>;
  batchSize?: number;
}

/** Activations tfjs-layers fuses into the matMul kernel; the others run as a separate op, as in `Dense.call`. */
const FUSED: ReadonlySet<DenseActivation> = new Set(["linear", "relu", "elu"]);

interface LayerTensors {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  activation: DenseActivation;
}

export class Scorer {
  readonly width: number;
  readonly batchSize: number;
  readonly calibration: Calibration;
  /** The tfjs backend the weights live on and the forward pass runs on. */
  readonly backend: string;
  private layers: LayerTensors[] | null;

  constructor(init: ScorerInit) {
    validateDense(init.net);
    this.width = inputWidth(init.net);
    const spec = init.metadata.feature_spec;
    if (spec !== undefined && spec.columns.length !== this.width) {
      throw new Error(`the network takes ${this.width} inputs but the feature spec has ${spec.columns.length} columns`);
    }
    const c = init.metadata.calibration;
    if (c.method !== "platt" || !Number.isFinite(c.a) || !Number.isFinite(c.b)) {
      throw new Error(`unsupported calibration ${JSON.stringify(c)}; expected platt with finite a and b`);
    }
    this.calibration = c;
    this.batchSize = init.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${this.batchSize}`);
    this.backend = tf.getBackend();
    this.layers = init.net.layers.map((l) => ({
      kernel: tf.tensor2d(l.kernel, [l.inputs, l.units], "float32"),
      bias: tf.tensor1d(l.bias, "float32"),
      activation: l.activation,
    }));
  }

  /** A scorer for a loaded registry version. */
  static fromModel(model: tf.LayersModel, metadata: ScorerInit["metadata"], batchSize?: number): Scorer {
    return new Scorer({ net: extractDense(model), metadata, batchSize });
  }

  /** Uncalibrated network outputs for `rows` rows of `x` (row-major, `width` columns). */
  scoreRaw(x: Float32Array, rows: number): Float32Array {
    return this.forward(x, rows, false);
  }

  /**
   * Calibrated log-odds, `a·z + b` with `z` the network's output before its final sigmoid: the same ranking as
   * `score`, but not saturated near 0 and 1, so explanations can compare variants of very confident events.
   */
  scoreLogit(x: Float32Array, rows: number): Float32Array {
    const z = this.forward(x, rows, true);
    const { a, b } = this.calibration;
    for (let i = 0; i < z.length; i++) z[i] = a * z[i]! + b;
    return z;
  }

  private forward(x: Float32Array, rows: number, logits: boolean): Float32Array {
    const layers = this.live();
    const w = this.width;
    if (!Number.isInteger(rows) || rows < 0 || x.length < rows * w) {
      throw new Error(`expected ${rows} rows of ${w} columns (${rows * w} values), got ${x.length} values`);
    }
    const out = new Float32Array(rows);
    for (let start = 0; start < rows; start += this.batchSize) {
      const n = Math.min(this.batchSize, rows - start);
      // The output tensor leaves `tidy` and is read outside it: `tidy` walks every element of a typed array
      // it returns, which cost a third of the forward pass.
      const y = tf.tidy(() => {
        let h = tf.tensor2d(x.subarray(start * w, (start + n) * w), [n, w], "float32");
        for (let i = 0; i < layers.length; i++) {
          const l = layers[i]!;
          h = logits && i === layers.length - 1 && l.activation === "sigmoid" ? linear(h, l) : dense(h, l);
        }
        return h;
      });
      out.set(y.dataSync(), start);
      y.dispose();
    }
    return out;
  }

  /** Calibrated probabilities for `rows` rows of `x`. */
  score(x: Float32Array, rows: number): Float32Array {
    return calibrateInPlace(this.calibration, this.scoreRaw(x, rows));
  }

  /** Frees the weight tensors. Idempotent; a disposed scorer throws when used. */
  dispose(): void {
    if (this.layers === null) return;
    for (const l of this.layers) {
      l.kernel.dispose();
      l.bias.dispose();
    }
    this.layers = null;
  }

  private live(): LayerTensors[] {
    if (this.layers === null) throw new Error("the scorer was disposed");
    return this.layers;
  }
}

/** A Dense layer without its activation. */
function linear(h: tf.Tensor2D, l: LayerTensors): tf.Tensor2D {
  return tf.fused.matMul({ a: h, b: l.kernel, bias: l.bias }) as tf.Tensor2D;
}

/** One Dense layer exactly as tfjs-layers' `Dense.call` computes it at inference. */
function dense(h: tf.Tensor2D, l: LayerTensors): tf.Tensor2D {
  if (FUSED.has(l.activation)) {
    return tf.fused.matMul({ a: h, b: l.kernel, bias: l.bias, activation: l.activation as tf.fused.Activation }) as tf.Tensor2D;
  }
  const z = tf.add(tf.fused.matMul({ a: h, b: l.kernel }), l.bias) as tf.Tensor2D;
  return l.activation === "sigmoid" ? tf.sigmoid(z) : tf.tanh(z);
}

/** Platt scaling: sigmoid(a · logit(raw) + b), raw clamped to [EPS, 1 − EPS]. */
export function calibrate(c: Calibration, raw: number): number {
  const p = Math.min(1 - CALIBRATION_EPS, Math.max(CALIBRATION_EPS, raw));
  return 1 / (1 + Math.exp(-(c.a * Math.log(p / (1 - p)) + c.b)));
}

/** Replaces each raw probability of `raw` by its calibrated value; returns `raw`. */
export function calibrateInPlace(c: Calibration, raw: Float32Array): Float32Array {
  for (let i = 0; i < raw.length; i++) raw[i] = calibrate(c, raw[i]!);
  return raw;
}
