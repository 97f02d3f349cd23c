import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../../sidecar/tf/index.ts";
import { initBackend } from "../../sidecar/tf/backend.ts";
import type { ArchitectureConfig, TrainingConfig } from "../../sidecar/registry/metadata.ts";
import { predictRaw } from "../../sidecar/training/model.ts";
import { mulberry32 } from "../../sidecar/training/random.ts";
import { binaryCrossEntropy, classWeights, dropoutSeed, trainModel, type EpochProgress } from "../../sidecar/training/train.ts";

const WIDTH = 4;
const small: ArchitectureConfig = { hidden: [{ units: 8, activation: "relu", dropout: 0 }], learning_rate: 0.05 };
const base: TrainingConfig = { epochs: 30, batch_size: 32, validation_fraction: 0.2, patience: 5, class_weights: true, seed: 11 };

/**
 * Rows with features uniform in [-1, 1); the label is 1 when x0 + x1 > 0.6 (about a quarter), or, when
 * `noisy`, 1 when x0 > 0 with a quarter of the labels flipped.
 */
function dataset(rows: number, seed: number, noisy = false): { x: Float32Array; y: Uint8Array } {
  const r = mulberry32(seed);
  const x = new Float32Array(rows * WIDTH);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < WIDTH; j++) x[i * WIDTH + j] = r() * 2 - 1;
    if (noisy) {
      const clean = x[i * WIDTH] > 0 ? 1 : 0;
      y[i] = r() < 0.25 ? 1 - clean : clean;
    } else {
      y[i] = x[i * WIDTH] + x[i * WIDTH + 1] > 0.6 ? 1 : 0;
    }
  }
  return { x, y };
}

function accuracy(prob: Float32Array, y: Uint8Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) ok += (prob[i] >= 0.5 ? 1 : 0) === y[i] ? 1 : 0;
  return ok / y.length;
}

describe("classWeights", () => {
  it("weights classes inversely to their frequency with a mean of 1 over the rows", () => {
    const y = Uint8Array.from([0, 0, 0, 1]);
    const [w0, w1] = classWeights(y);
    assert.ok(Math.abs(w0 - 4 / 6) < 1e-12 && w1 === 2, `${w0}, ${w1}`);
    assert.ok(Math.abs((3 * w0 + w1) / 4 - 1) < 1e-12);
    assert.deepEqual(classWeights(Uint8Array.from([1, 0])), [1, 1]);
  });

  it("gives 1 to both classes when only one is present", () => {
    assert.deepEqual(classWeights(Uint8Array.from([0, 0, 0])), [1, 1]);
  });
});

describe("binaryCrossEntropy", () => {
  it("is the weighted mean of −log p of the true class, clipped away from 0", () => {
    const p = Float32Array.from([0.5, 0.5]);
    assert.ok(Math.abs(binaryCrossEntropy(p, Uint8Array.from([0, 1])) - Math.LN2) < 1e-12);
    assert.ok(Math.abs(binaryCrossEntropy(p, Uint8Array.from([0, 1]), [1, 3]) - 2 * Math.LN2) < 1e-12);
    assert.ok(Math.abs(binaryCrossEntropy(Float32Array.from([0]), Uint8Array.from([1])) + Math.log(1e-7)) < 1e-9);
  });
});

describe("trainModel", () => {
  before(async () => {
    await initBackend("wasm");
  });

  it("learns a separable set to high accuracy", async () => {
    const tr = dataset(400, 1);
    const va = dataset(100, 2);
    const res = await trainModel({ xTrain: tr.x, yTrain: tr.y, xVal: va.x, yVal: va.y, width: WIDTH, arch: small, training: base });
    const acc = accuracy(predictRaw(res.model, va.x, 100, WIDTH), va.y);
    assert.ok(acc >= 0.93, `validation accuracy ${acc}`);
    assert.ok(res.history[res.bestEpoch - 1].valLoss < 0.3, `best val loss ${res.history[res.bestEpoch - 1].valLoss}`);
    res.model.dispose();
  });

  it("stops after `patience` epochs without improvement and keeps the best epoch's weights", async () => {
    // 40 noisy rows and a wide net: validation loss falls while it learns x0, then rises as it memorizes noise.
    const tr = dataset(40, 3, true);
    const va = dataset(100, 4, true);
    const arch: ArchitectureConfig = { hidden: [{ units: 64, activation: "relu", dropout: 0 }], learning_rate: 0.01 };
    const training = { ...base, epochs: 100, batch_size: 8, patience: 5, class_weights: false };
    const res = await trainModel({ xTrain: tr.x, yTrain: tr.y, xVal: va.x, yVal: va.y, width: WIDTH, arch, training });
    const valLosses = res.history.map((h) => h.valLoss);
    assert.ok(res.bestEpoch > 1 && res.epochsRun < 100, `best ${res.bestEpoch} of ${res.epochsRun} epochs`);
    assert.equal(res.epochsRun, res.bestEpoch + training.patience);
    assert.equal(valLosses[res.bestEpoch - 1], Math.min(...valLosses));
    assert.ok(valLosses[res.epochsRun - 1] > valLosses[res.bestEpoch - 1], "the last epoch was worse than the best");
    // The returned model is the best epoch's: its validation loss is the best recorded, exactly.
    const finalLoss = binaryCrossEntropy(predictRaw(res.model, va.x, 100, WIDTH), va.y);
    assert.equal(finalLoss, valLosses[res.bestEpoch - 1]);
    res.model.dispose();
  });

  it("is reproducible for a seed without dropout: the same batches, the same history", async () => {
    const tr = dataset(120, 5);
    const va = dataset(40, 6);
    const run = async () => {
      const res = await trainModel({ xTrain: tr.x, yTrain: tr.y, xVal: va.x, yVal: va.y, width: WIDTH, arch: small, training: { ...base, epochs: 3 } });
      res.model.dispose();
      return res.history;
    };
    const a = await run();
    assert.deepEqual(await run(), a);
    const other = await trainModel({ xTrain: tr.x, yTrain: tr.y, xVal: va.x, yVal: va.y, width: WIDTH, arch: small, training: { ...base, epochs: 3, seed: 12 } });
    other.model.dispose();
    assert.notDeepEqual(other.history, a);
  });

  it("is reproducible with dropout too: its masks come from per-step seeds, which the model does not keep", async () => {
    const tr = dataset(120, 5);
    const va = dataset(40, 6);
    const arch: ArchitectureConfig = { hidden: [{ units: 8, activation: "relu", dropout: 0.3 }, { units: 4, activation: "relu", dropout: 0.3 }], learning_rate: 0.05 };
    const run = async () => {
      const res = await trainModel({ xTrain: tr.x, yTrain: tr.y, xVal: va.x, yVal: va.y, width: WIDTH, arch, training: { ...base, epochs: 3, patience: 10 } });
      const seeds = res.model.layers.filter((l) => l.getClassName() === "Dropout").map((l) => l.getConfig().seed);
      const out = predictRaw(res.model, va.x, 40, WIDTH);
      res.model.dispose();
      return { history: res.history, out, seeds };
    };
    const a = await run();
    const b = await run();
    assert.deepEqual(b.history, a.history);
    assert.deepEqual(b.out, a.out);
    assert.deepEqual(a.seeds, [undefined, undefined]);
  });

  it("draws a distinct dropout seed per step and layer", () => {
    const seen = new Set<number>();
    for (let step = 1; step <= 500; step++) for (let layer = 0; layer < 3; layer++) seen.add(dropoutSeed(42, step, layer));
    assert.equal(seen.size, 1500);
    assert.equal(dropoutSeed(42, 7, 1), dropoutSeed(42, 7, 1));
    assert.notEqual(dropoutSeed(42, 7, 1), dropoutSeed(43, 7, 1));
  });

  it("reports each epoch, keeps the tensor count flat, and frees everything but the model", async () => {
    const tr = dataset(200, 7);
    const va = dataset(50, 8);
    const arch: ArchitectureConfig = { hidden: [{ units: 8, activation: "relu", dropout: 0.2 }], learning_rate: 0.01 };
    const before = tf.memory().numTensors;
    const seen: EpochProgress[] = [];
    const counts: number[] = [];
    const res = await trainModel({
      xTrain: tr.x,
      yTrain: tr.y,
      xVal: va.x,
      yVal: va.y,
      width: WIDTH,
      arch,
      training: { ...base, epochs: 6, patience: 100 },
      onEpoch: (p) => {
        seen.push(p);
        counts.push(tf.memory().numTensors);
      },
    });
    assert.deepEqual(
      seen.map((p) => [p.epoch, p.epochs]),
      [1, 2, 3, 4, 5, 6].map((e) => [e, 6]),
    );
    assert.ok(seen.every((p) => p.seconds >= 0 && Number.isFinite(p.loss) && Number.isFinite(p.valLoss)));
    assert.equal(seen[0].improved, true);
    assert.deepEqual(
      seen.map((p) => [p.loss, p.valLoss]),
      res.history.map((h) => [h.loss, h.valLoss]),
    );
    assert.equal(new Set(counts).size, 1, `tensor counts per epoch: ${counts.join(", ")}`);
    assert.equal(tf.memory().numTensors, before + res.model.getWeights().length);
    res.model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it("stops when aborted and frees the model", async () => {
    const tr = dataset(200, 9);
    const va = dataset(50, 10);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    await assert.rejects(
      trainModel({
        xTrain: tr.x,
        yTrain: tr.y,
        xVal: va.x,
        yVal: va.y,
        width: WIDTH,
        arch: small,
        training: { ...base, epochs: 50, patience: 100 },
        onEpoch: (p) => {
          if (p.epoch === 2) controller.abort(new Error("shutting down"));
        },
        signal: controller.signal,
      }),
      /shutting down/,
    );
    assert.equal(tf.memory().numTensors, before);
  });

  it("refuses inconsistent shapes and an empty validation split", async () => {
    const tr = dataset(10, 1);
    const common = { xTrain: tr.x, yTrain: tr.y, width: WIDTH, arch: small, training: base };
    await assert.rejects(trainModel({ ...common, xVal: new Float32Array(0), yVal: new Uint8Array(0) }), /no validation rows/);
    await assert.rejects(trainModel({ ...common, xVal: new Float32Array(3), yVal: new Uint8Array(1) }), /xVal has 3 values, expected 1 × 4/);
  });
});
