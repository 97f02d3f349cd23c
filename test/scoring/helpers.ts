/**
 * Shared fixtures for the scoring tests: small tfjs networks with deterministic weights, and feature rows
 * shaped like featurize's output (standardized numerics, missing flags, one-hot groups).
 */
import * as tf from "../../sidecar/tf/index.ts";
import { initBackend } from "../../sidecar/tf/backend.ts";

/** The wasm backend every scoring test runs on (the production default without tfjs-node). */
export async function useWasm(): Promise<void> {
  const choice = await initBackend("wasm");
  if (choice.backend !== "wasm") throw new Error(`expected the wasm backend, got ${choice.backend}`);
}

/** mulberry32: the same seed gives the same sequence everywhere. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LayerDef {
  units: number;
  activation: "relu" | "sigmoid" | "tanh" | "elu" | "linear";
  dropout?: number;
}

/** A Sequential Dense stack whose weights are drawn from `seed` (uniform in ±scale/√inputs). */
export function buildModel(width: number, layers: LayerDef[], seed: number, scale = 2): tf.Sequential {
  const model = tf.sequential();
  const random = seeded(seed);
  let inputs = width;
  layers.forEach((l, i) => {
    const dense = tf.layers.dense({ units: l.units, activation: l.activation, ...(i === 0 ? { inputShape: [width] } : {}) });
    model.add(dense);
    const bound = scale / Math.sqrt(inputs);
    const kernel = Float32Array.from({ length: inputs * l.units }, () => (random() * 2 - 1) * bound);
    const bias = Float32Array.from({ length: l.units }, () => (random() * 2 - 1) * 0.1);
    dense.setWeights([tf.tensor2d(kernel, [inputs, l.units]), tf.tensor1d(bias)]);
    if (l.dropout !== undefined) model.add(tf.layers.dropout({ rate: l.dropout }));
    inputs = l.units;
  });
  return model;
}

/** The default architecture: Dense 64 relu → Dropout → Dense 32 relu → Dropout → Dense 1 sigmoid. */
export function defaultModel(width: number, seed: number): tf.Sequential {
  return buildModel(width, [
    { units: 64, activation: "relu", dropout: 0.2 },
    { units: 32, activation: "relu", dropout: 0.2 },
    { units: 1, activation: "sigmoid" },
  ], seed);
}

/** `rows` rows of `width` columns: a quarter standardized numerics, an eighth missing flags, one-hot groups of 8. */
export function featureRows(rows: number, width: number, seed: number): Float32Array {
  const random = seeded(seed);
  const x = new Float32Array(rows * width);
  const numeric = Math.floor(width / 4);
  const flags = Math.floor(width / 8);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    for (let c = 0; c < numeric; c++) x[o + c] = (random() + random() + random() - 1.5) * 2;
    for (let c = 0; c < flags; c++) x[o + numeric + c] = random() < 0.1 ? 1 : 0;
    for (let g = numeric + flags; g < width; g += 8) x[o + g + Math.floor(random() * Math.min(8, width - g))] = 1;
  }
  return x;
}

/** `model.predict` on `rows` rows, as a Float32Array. */
export function predict(model: tf.LayersModel, x: Float32Array, rows: number, width: number): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor2d(x, [rows, width])) as tf.Tensor).dataSync() as Float32Array);
}

/** True when the two arrays hold the same float32 bit patterns. */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
