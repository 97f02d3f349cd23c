import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../../sidecar/tf/index.ts";
import { initBackend } from "../../sidecar/tf/backend.ts";
import { buildModel, DEFAULT_ARCHITECTURE, predictRaw } from "../../sidecar/training/model.ts";
import { inputWidthOf } from "../../sidecar/registry/registry.ts";
import { mulberry32 } from "../../sidecar/training/random.ts";

function layerSummary(model: tf.LayersModel): string[] {
  return model.layers.map((l) => {
    const c = l.getConfig();
    return l.getClassName() === "Dense" ? `Dense ${String(c.units)} ${String(c.activation)}` : `${l.getClassName()} ${String(c.rate)}`;
  });
}

describe("buildModel", () => {
  before(async () => {
    await initBackend("wasm");
  });

  it("builds the tutorial's network by default", () => {
    const model = buildModel(12);
    assert.deepEqual(layerSummary(model), ["Dense 64 relu", "Dropout 0.2", "Dense 32 relu", "Dropout 0.2", "Dense 1 sigmoid"]);
    assert.equal(inputWidthOf(model), 12);
    assert.equal(model.loss, "binaryCrossentropy");
    assert.equal(model.optimizer.getConfig().learningRate, DEFAULT_ARCHITECTURE.learning_rate);
    model.dispose();
  });

  it("omits Dropout when the rate is 0 and uses the configured activations and learning rate", () => {
    const model = buildModel(3, { hidden: [{ units: 4, activation: "tanh", dropout: 0 }, { units: 2, activation: "elu", dropout: 0.5 }], learning_rate: 0.05 });
    assert.deepEqual(layerSummary(model), ["Dense 4 tanh", "Dense 2 elu", "Dropout 0.5", "Dense 1 sigmoid"]);
    assert.equal(model.optimizer.getConfig().learningRate, 0.05);
    model.dispose();
  });

  it("initializes identically for the same seed and differently for another", () => {
    const values = (seed: number) => {
      const m = buildModel(5, DEFAULT_ARCHITECTURE, seed);
      const w = m.getWeights().map((t) => Array.from(t.dataSync()));
      m.dispose();
      return w;
    };
    assert.deepEqual(values(1), values(1));
    assert.notDeepEqual(values(1), values(2));
  });

  it("rejects an invalid architecture with the offending key", () => {
    assert.throws(() => buildModel(0), /input width must be a positive integer, got 0/);
    assert.throws(() => buildModel(3, { hidden: [{ units: 4, activation: "relu", dropout: 1 }], learning_rate: 0.1 }), /hidden\[0\]\.dropout/);
  });
});

describe("predictRaw", () => {
  it("matches model.predict whatever the batch size, and leaks no tensors", () => {
    const model = buildModel(4, DEFAULT_ARCHITECTURE, 1);
    const r = mulberry32(2);
    const x = Float32Array.from({ length: 37 * 4 }, () => r() - 0.5);
    const expected = tf.tidy(() => (model.predict(tf.tensor2d(x, [37, 4])) as tf.Tensor).dataSync());
    const before = tf.memory().numTensors;
    for (const batch of [1, 5, 37, 100]) {
      const got = predictRaw(model, x, 37, 4, batch);
      for (let i = 0; i < 37; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-6, `batch ${batch} row ${i}`);
    }
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => predictRaw(model, x, 36, 4), /expected 36 rows × 4 = 144/);
    model.dispose();
  });
});
