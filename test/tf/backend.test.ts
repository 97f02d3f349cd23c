import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../../sidecar/tf/index.ts";
import { createRequire } from "node:module";
import { initBackend } from "../../sidecar/tf/backend.ts";

/** Whether tfjs-node is installed here (it is optional: its install downloads a native library). */
const HAS_TFJS_NODE = (() => {
  try {
    createRequire(import.meta.url).resolve("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
})();

describe("initBackend", () => {
  it("chooses tensorflow under auto when tfjs-node is installed", { skip: HAS_TFJS_NODE ? false : "tfjs-node is not installed here" }, async () => {
    const choice = await initBackend("auto");
    assert.equal(choice.backend, "tensorflow");
    assert.deepEqual(choice.tried, [{ name: "tensorflow" }]);
  });

  it("chooses wasm under auto without tfjs-node and says why tensorflow was not chosen", { skip: HAS_TFJS_NODE ? "tfjs-node is installed here" : false }, async () => {
    const choice = await initBackend("auto");
    assert.equal(choice.backend, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.deepEqual(
      choice.tried.map((t) => t.name),
      ["tensorflow", "wasm"],
    );
    assert.match(choice.tried[0].error ?? "", /@tensorflow\/tfjs-node is not installed/);
    assert.equal(choice.tried[1].error, undefined);
  });

  it("is idempotent: a second call returns the first result without re-initializing", async () => {
    const first = await initBackend("auto");
    const second = await initBackend("auto");
    assert.equal(second, first);
  });

  it("computes on the chosen backend", async () => {
    await initBackend("auto");
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2])).dataSync());
    assert.deepEqual(Array.from(y), [1, 2, 3, 4]);
  });

  it("honours an explicit cpu preference", async () => {
    const choice = await initBackend("cpu");
    assert.deepEqual(choice, { backend: "cpu", tried: [{ name: "cpu" }] });
    assert.equal(tf.getBackend(), "cpu");
  });

  it("fails with the reason when tensorflow is asked for without tfjs-node", { skip: HAS_TFJS_NODE ? "tfjs-node is installed here" : false }, async () => {
    await assert.rejects(initBackend("tensorflow"), /no TensorFlow\.js backend could start \(tensorflow: @tensorflow\/tfjs-node is not installed/);
  });
});
