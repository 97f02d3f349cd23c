/**
 * The training loop. Our own, not `model.fit`, because tfjs 4.22's `fit` shuffles with `Math.random` and its
 * `EarlyStopping` cannot restore the best weights (see ADR 0005). Per epoch:
 *
 * 1. shuffle the training rows with the generator seeded from `training.seed` (reproducible batch order);
 * 2. one Adam step per batch on the (class-)weighted binary cross-entropy, dropout active, its masks drawn
 *    from a seed derived from `training.seed` and the batch's step number (see `dropoutSeed`);
 * 3. validation loss on `xVal` in inference mode, with the same class weights as training, so that early
 *    stopping watches the objective being optimized;
 * 4. when it improves, snapshot the weights; after `patience` epochs without improvement, stop.
 *
 * The returned model holds the best epoch's weights and nothing else: the optimizer's slots are freed, so
 * disposing the model returns `tf.memory().numTensors` to where it was (and the count stays flat across
 * epochs during training). The loop yields to the event loop every ~20 ms so a process that also
 * scores or serves HTTP stays responsive.
 */
import * as tf from "../tf/index.ts";
import type { ArchitectureConfig, TrainingConfig } from "../registry/metadata.ts";
import { buildModel, predictRaw } from "./model.ts";
import { mulberry32, shuffle } from "./random.ts";

/** tfjs's `epsilon()`: probabilities are clipped to [EPS, 1 − EPS] before the log. */
const EPS = 1e-7;
/** Longest stretch of synchronous work between yields to the event loop, in milliseconds. */
const YIELD_EVERY_MS = 20;
/** Rows per inference batch for the validation loss. */
const EVAL_BATCH = 4096;

export interface EpochProgress {
  /** 1-based. */
  epoch: number;
  /** The configured maximum; early stopping may end sooner. */
  epochs: number;
  /** Mean weighted training loss over the epoch's batches (dropout active). */
  loss: number;
  /** Weighted validation loss after the epoch (inference mode). */
  valLoss: number;
  /** Wall time of this epoch, in seconds. */
  seconds: number;
  /** True when this epoch has the best validation loss so far (its weights are the ones kept). */
  improved: boolean;
  /** Set while cross-validating by group: the 1-based fold being trained, of `folds`; absent for the model that ships. */
  fold?: number;
  folds?: number;
}

export interface TrainInput {
  /** Row-major, `yTrain.length` rows of `width` values. */
  xTrain: Float32Array;
  /** 0/1 labels. */
  yTrain: Uint8Array;
  xVal: Float32Array;
  yVal: Uint8Array;
  width: number;
  arch: ArchitectureConfig;
  training: TrainingConfig;
  onEpoch?: (progress: EpochProgress) => void;
  /**
   * Train without validation rows (`xVal` and `yVal` empty): every one of `training.epochs` epochs runs and the
   * last weights are kept (the refit on all rows once cross-validation has chosen the epoch count).
   */
  withoutValidation?: boolean;
  /** Aborting stops training at the next yield point; `trainModel` then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface TrainResult {
  /** Holds the weights of `bestEpoch`. */
  model: tf.LayersModel;
  epochsRun: number;
  /** 1-based epoch whose weights the model holds. */
  bestEpoch: number;
  /** One entry per epoch run, in order. */
  history: { loss: number; valLoss: number }[];
  /** Wall time of the whole run, in seconds. */
  seconds: number;
}

/**
 * Per-class sample weights, inversely proportional to class frequency and normalized so that their mean over
 * the rows of `y` is 1 (`n / (classes · n_c)`, scikit-learn's "balanced"). With one class present both are 1.
 */
export function classWeights(y: Uint8Array): [number, number] {
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i] === 1 ? 1 : 0;
  const negatives = y.length - positives;
  if (positives === 0 || negatives === 0) return [1, 1];
  return [y.length / (2 * negatives), y.length / (2 * positives)];
}

/** The dropout seed of layer `layer` at training step `step` (1-based): distinct per step and layer, a
 * pure function of the training seed. */
export function dropoutSeed(seed: number, step: number, layer: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(step, 0xc2b2ae35) ^ Math.imul(layer + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Mean weighted binary cross-entropy of probabilities `prob` against 0/1 labels `y`, computed in float64:
 * Σ w_y · −log(p_y) / n, the same reduction as the training loss.
 */
export function binaryCrossEntropy(prob: Float32Array, y: Uint8Array, weights: [number, number] = [1, 1]): number {
  if (prob.length !== y.length) throw new RangeError(`${prob.length} probabilities for ${y.length} labels`);
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(1 - EPS, Math.max(EPS, prob[i]));
    sum += y[i] === 1 ? -weights[1] * Math.log(p) : -weights[0] * Math.log(1 - p);
  }
  return y.length === 0 ? NaN : sum / y.length;
}

export async function trainModel(input: TrainInput): Promise<TrainResult> {
  const { xTrain, yTrain, xVal, yVal, width, arch, training, onEpoch, signal } = input;
  const nTrain = yTrain.length;
  const nVal = yVal.length;
  if (xTrain.length !== nTrain * width) throw new RangeError(`xTrain has ${xTrain.length} values, expected ${nTrain} × ${width}`);
  if (xVal.length !== nVal * width) throw new RangeError(`xVal has ${xVal.length} values, expected ${nVal} × ${width}`);
  if (nTrain === 0) throw new RangeError("no training rows");
  if (nVal === 0 && !input.withoutValidation) throw new RangeError("no validation rows: early stopping needs a validation split");
  if (!(Number.isInteger(training.batch_size) && training.batch_size >= 1)) throw new RangeError(`batch_size must be a positive integer, got ${training.batch_size}`);

  const started = performance.now();
  const weights = training.class_weights ? classWeights(yTrain) : ([1, 1] as [number, number]);
  const model = buildModel(width, arch, training.seed);
  const optimizer = model.optimizer;
  // tfjs's Dropout draws its mask from `layer.seed` when set: a fresh seed per step and layer makes every
  // mask reproducible without repeating one (a fixed seed would drop the same units in every batch).
  const dropouts = model.layers.filter((l) => l.getClassName() === "Dropout") as unknown as { seed?: number }[];
  let step = 0;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const random = mulberry32(training.seed);
  const order = new Uint32Array(nTrain);
  for (let i = 0; i < nTrain; i++) order[i] = i;

  const history: TrainResult["history"] = [];
  let best = { valLoss: Infinity, epoch: 0 };
  let snapshot: tf.Tensor[] | undefined;
  let lastYield = performance.now();
  let epoch = 0;

  try {
    while (epoch < training.epochs) {
      epoch++;
      const epochStart = performance.now();
      shuffle(order, random);
      let lossSum: tf.Scalar = tf.scalar(0);
      for (let start = 0; start < nTrain; start += training.batch_size) {
        const b = Math.min(training.batch_size, nTrain - start);
        // Fresh buffers per batch: the cpu backend keeps a reference to a tensor's source array.
        const xb = new Float32Array(b * width);
        const pos = new Float32Array(b); // w₁ · y
        const neg = new Float32Array(b); // w₀ · (1 − y)
        for (let k = 0; k < b; k++) {
          const row = order[start + k];
          xb.set(xTrain.subarray(row * width, (row + 1) * width), k * width);
          if (yTrain[row] === 1) pos[k] = weights[1];
          else neg[k] = weights[0];
        }
        step++;
        dropouts.forEach((layer, j) => (layer.seed = dropoutSeed(training.seed, step, j)));
        const next = tf.tidy(() => {
          const x = tf.tensor2d(xb, [b, width]);
          const wPos = tf.tensor2d(pos, [b, 1]);
          const wNeg = tf.tensor2d(neg, [b, 1]);
          const cost = optimizer.minimize(
            () => {
              const p = tf.clipByValue(model.apply(x, { training: true }) as tf.Tensor, EPS, 1 - EPS);
              const total = tf.add(tf.sum(tf.mul(wPos, tf.log(p))), tf.sum(tf.mul(wNeg, tf.log(tf.sub(1, p)))));
              return tf.div(tf.neg(total), b) as tf.Scalar;
            },
            true,
            variables,
          )!;
          return tf.add(lossSum, tf.mul(cost, b)) as tf.Scalar;
        });
        lossSum.dispose();
        lossSum = next;
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
          signal?.throwIfAborted();
        }
      }
      const loss = lossSum.dataSync()[0] / nTrain;
      lossSum.dispose();
      const valLoss = binaryCrossEntropy(predictRaw(model, xVal, nVal, width, EVAL_BATCH), yVal, weights);
      history.push({ loss, valLoss });
      const improved = valLoss < best.valLoss;
      if (improved) {
        best = { valLoss, epoch };
        tf.dispose(snapshot);
        snapshot = model.getWeights().map((w) => tf.clone(w));
      }
      onEpoch?.({ epoch, epochs: training.epochs, loss, valLoss, seconds: (performance.now() - epochStart) / 1000, improved });
      signal?.throwIfAborted();
      if (!input.withoutValidation && epoch - best.epoch >= training.patience) break;
    }
    // A NaN validation loss on every epoch leaves no snapshot: keep the last weights and say so by bestEpoch.
    if (snapshot) model.setWeights(snapshot);
    // The saved model must not carry a training seed in its Dropout config.
    for (const layer of dropouts) layer.seed = undefined;
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose(snapshot);
    // Adam's moment slots are only needed to continue training, which nothing does: free them.
    optimizer.dispose();
  }
  return {
    model,
    epochsRun: epoch,
    bestEpoch: best.epoch === 0 ? epoch : best.epoch,
    history,
    seconds: (performance.now() - started) / 1000,
  };
}
