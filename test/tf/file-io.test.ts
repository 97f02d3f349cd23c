import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "../../sidecar/tf/index.ts";
import { initBackend } from "../../sidecar/tf/backend.ts";
import { fileHandler } from "../../sidecar/tf/file-io.ts";
import { buildModel, predictRaw } from "../../sidecar/training/model.ts";
import { mulberry32 } from "../../sidecar/training/random.ts";

const WIDTH = 7;
const arch = { hidden: [{ units: 5, activation: "relu" as const, dropout: 0.2 }], learning_rate: 0.01 };

function randomRows(rows: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: rows * WIDTH }, () => r() * 4 - 2);
}

describe("fileHandler", () => {
  before(async () => {
    await initBackend("wasm");
  });

  it("round-trips a model so that predictions are bit-for-bit identical", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "fileio-")), "m");
    const model = buildModel(WIDTH, arch, 3);
    await model.save(fileHandler(dir));
    const loaded = await tf.loadLayersModel(fileHandler(dir));
    const x = randomRows(50, 9);
    const before = predictRaw(model, x, 50, WIDTH, 16);
    const after = predictRaw(loaded, x, 50, WIDTH, 16);
    assert.deepEqual(after, before);
    assert.ok(before.some((v) => v !== before[0]), "predictions vary, so equality means something");
    model.dispose();
    loaded.dispose();
  });

  it("writes tfjs's own format: model.json with a weights.bin manifest, and nothing else", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "fileio-")), "m");
    const model = buildModel(WIDTH, arch, 3);
    await model.save(fileHandler(dir));
    assert.deepEqual(readdirSync(dir).sort(), ["model.json", "weights.bin"]);
    const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as tf.io.ModelJSON;
    assert.equal(json.format, "layers-model");
    assert.equal(json.weightsManifest.length, 1);
    assert.deepEqual(json.weightsManifest[0].paths, ["weights.bin"]);
    const specs = json.weightsManifest[0].weights;
    assert.deepEqual(
      specs.map((s) => s.shape),
      [[WIDTH, 5], [5], [5, 1], [1]],
    );
    // float32 weights: (7·5 + 5 + 5 + 1) · 4 bytes
    assert.equal(statSync(join(dir, "weights.bin")).size, 46 * 4);
    model.dispose();
  });

  it("names the weights file when it is missing", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "fileio-")), "m");
    const model = buildModel(WIDTH, arch);
    await model.save(fileHandler(dir));
    model.dispose();
    rmSync(join(dir, "weights.bin"));
    await assert.rejects(tf.loadLayersModel(fileHandler(dir)), /weights file .*weights\.bin named by .*model\.json is missing/);
  });

  it("refuses truncated weights", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "fileio-")), "m");
    const model = buildModel(WIDTH, arch);
    await model.save(fileHandler(dir));
    model.dispose();
    truncateSync(join(dir, "weights.bin"), 20);
    await assert.rejects(tf.loadLayersModel(fileHandler(dir)), /hold 20 bytes but .*model\.json describes 184/);
  });

  it("names model.json when it does not exist", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fileio-"));
    await assert.rejects(tf.loadLayersModel(fileHandler(dir)), /model\.json does not exist/);
  });
});
