import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../../sidecar/tf/index.ts";
import { extractDense, validateDense } from "../../sidecar/scoring/dense.ts";
import { buildModel, defaultModel, useWasm } from "./helpers.ts";

describe("extractDense", () => {
  before(useWasm);

  it("copies each Dense layer's kernel, bias and activation and skips Dropout", () => {
    const model = defaultModel(10, 1);
    const net = extractDense(model);
    assert.deepEqual(
      net.layers.map((l) => [l.inputs, l.units, l.activation]),
      [[10, 64, "relu"], [64, 32, "relu"], [32, 1, "sigmoid"]],
    );
    const dense = model.layers.filter((l) => l.getClassName() === "Dense");
    dense.forEach((layer, i) => {
      const [kernel, bias] = layer.getWeights();
      assert.deepEqual(net.layers[i]!.kernel, kernel!.dataSync());
      assert.deepEqual(net.layers[i]!.bias, bias!.dataSync());
    });
  });

  it("gives a description that survives structured cloning", () => {
    const net = extractDense(buildModel(4, [{ units: 3, activation: "tanh" }, { units: 1, activation: "sigmoid" }], 2));
    const copy = structuredClone(net);
    assert.deepEqual(copy, net);
    assert.ok(copy.layers[0]!.kernel instanceof Float32Array);
  });

  it("refuses a layer it cannot reproduce, naming it", () => {
    const model = tf.sequential();
    model.add(tf.layers.dense({ inputShape: [4], units: 8, activation: "relu" }));
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.dense({ units: 1, activation: "sigmoid" }));
    assert.throws(() => extractDense(model), /is a BatchNormalization; the scorer supports Dense and Dropout layers only/);
  });

  it("refuses an activation it does not implement", () => {
    const model = buildModel(4, [{ units: 3, activation: "relu" }, { units: 1, activation: "sigmoid" }], 3);
    const m2 = tf.sequential();
    m2.add(tf.layers.dense({ inputShape: [4], units: 3, activation: "softplus" }));
    m2.add(tf.layers.dense({ units: 1, activation: "sigmoid" }));
    assert.throws(() => extractDense(m2), /uses activation softplus/);
    assert.doesNotThrow(() => extractDense(model));
  });

  it("refuses a network whose output is not a single unit", () => {
    const model = buildModel(4, [{ units: 2, activation: "sigmoid" }], 4);
    assert.throws(() => extractDense(model), /last Dense layer has 2 units/);
  });

  it("rejects an inconsistent description", () => {
    const net = extractDense(buildModel(4, [{ units: 3, activation: "relu" }, { units: 1, activation: "sigmoid" }], 5));
    net.layers[1]!.inputs = 5;
    assert.throws(() => validateDense(net), /layer 1: kernel has 3 values, expected 5×1/);
  });
});
