/**
 * Model construction (a pure function of the architecture config) and batched inference.
 */
import * as tf from "../tf/index.ts";
import type { ArchitectureConfig } from "../registry/metadata.ts";

/** The original tutorial's network: Dense 64 relu → Dropout 0.2 → Dense 32 relu → Dropout 0.2 → Dense 1 sigmoid. */
export const DEFAULT_ARCHITECTURE: ArchitectureConfig = Object.freeze({
  hidden: [
    { units: 64, activation: "relu", dropout: 0.2 },
    { units: 32, activation: "relu", dropout: 0.2 },
  ],
  learning_rate: 0.001,
}) as ArchitectureConfig;

/**
 * A compiled binary classifier: the hidden Dense layers of `arch`, each followed by Dropout when its rate is
 * above 0, then Dense(1, sigmoid); Adam(`learning_rate`), binary cross-entropy. The output is the raw
 * (uncalibrated) probability of the positive class.
 *
 * With a `seed`, kernel initializers are seeded (layer i uses `seed + i`), so the initial weights are
 * reproducible. Dropout is not seeded here: tfjs draws a seeded dropout mask from a fresh generator on every
 * call, which would drop the same units in every batch; the training loop sets a fresh seed per step instead.
 */
export function buildModel(inputWidth: number, arch: ArchitectureConfig = DEFAULT_ARCHITECTURE, seed?: number): tf.LayersModel {
  if (!Number.isInteger(inputWidth) || inputWidth < 1) throw new RangeError(`input width must be a positive integer, got ${inputWidth}`);
  if (!(arch.learning_rate > 0)) throw new RangeError(`learning_rate must be positive, got ${arch.learning_rate}`);
  const init = (i: number) => (seed === undefined ? "glorotUniform" : tf.initializers.glorotUniform({ seed: seed + i }));
  const model = tf.sequential();
  arch.hidden.forEach((h, i) => {
    if (!Number.isInteger(h.units) || h.units < 1) throw new RangeError(`hidden[${i}].units must be a positive integer, got ${h.units}`);
    if (!(h.dropout >= 0 && h.dropout < 1)) throw new RangeError(`hidden[${i}].dropout must be in [0, 1), got ${h.dropout}`);
    model.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [inputWidth] } : {}),
        units: h.units,
        activation: h.activation,
        kernelInitializer: init(i),
      }),
    );
    if (h.dropout > 0) model.add(tf.layers.dropout({ rate: h.dropout }));
  });
  model.add(
    tf.layers.dense({
      ...(arch.hidden.length === 0 ? { inputShape: [inputWidth] } : {}),
      units: 1,
      activation: "sigmoid",
      kernelInitializer: init(arch.hidden.length),
    }),
  );
  model.compile({ optimizer: tf.train.adam(arch.learning_rate), loss: "binaryCrossentropy" });
  return model;
}


/**
 * Raw model outputs for `rows` row-major rows of `width` values, computed `batchSize` rows at a time in
 * inference mode (no dropout). Allocates no tensors that outlive the call.
 */
export function predictRaw(model: tf.LayersModel, x: Float32Array, rows: number, width: number, batchSize = 4096): Float32Array {
  if (x.length !== rows * width) throw new RangeError(`x has ${x.length} values, expected ${rows} rows × ${width} = ${rows * width}`);
  const out = new Float32Array(rows);
  for (let start = 0; start < rows; start += batchSize) {
    const n = Math.min(batchSize, rows - start);
    const values = tf.tidy(() => {
      const xb = tf.tensor2d(x.subarray(start * width, (start + n) * width), [n, width]);
      return (model.predict(xb) as tf.Tensor).dataSync();
    });
    out.set(values, start);
  }
  return out;
}
