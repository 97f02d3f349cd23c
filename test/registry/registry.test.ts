import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "../../sidecar/tf/index.ts";
import { initBackend } from "../../sidecar/tf/backend.ts";
import type { FeatureSpec } from "../../sidecar/features/spec.ts";
import { ModelRegistry, type NewModelMetadata } from "../../sidecar/registry/registry.ts";
import { buildModel, predictRaw } from "../../sidecar/training/model.ts";

const arch = { hidden: [{ units: 3, activation: "relu" as const, dropout: 0 }], learning_rate: 0.01 };

function metadata(width: number, prAuc = 0.9): NewModelMetadata {
  const columns = Array.from({ length: width }, (_, i) => ({ name: `f${i}`, fields: [`f${i}`], mean: 0 }));
  const spec: FeatureSpec = {
    schema_version: 1,
    config: { numeric: columns.map((c) => c.name), categorical: [], derived: [], min_category_count: 1, max_categories: 10, histogram_bins: 4 },
    numeric: [],
    categorical: [],
    derived: [],
    derived_numeric: [],
    columns,
    fields: columns.map((c) => c.name),
    rows: 10,
    hash: `hash-${width}`,
  };
  const metrics = { rows: 10, positives: 3, accuracy: 0.9, precision: 0.8, recall: 0.7, f1: 0.75, roc_auc: 0.95, pr_auc: prAuc, threshold: 0.4, confusion: { tp: 2, fp: 1, tn: 6, fn: 1 } };
  return {
    feature_spec: spec,
    feature_schema: spec.hash,
    architecture: arch,
    training: { epochs: 2, batch_size: 4, validation_fraction: 0.2, patience: 1, class_weights: true, seed: 1, epochs_run: 2, best_epoch: 1, seconds: 0.1, backend: "wasm" },
    calibration: { method: "platt", a: 1, b: 0 },
    threshold: 0.4,
    validation_metrics: metrics,
    data: { files: ["x.log"], rows: 12, positives: 3, negatives: 9, excluded: 0, rejected: 0 },
  };
}

function newRegistry(): ModelRegistry {
  return new ModelRegistry(mkdtempSync(join(tmpdir(), "registry-")));
}

async function saveN(reg: ModelRegistry, name: string, n: number, width = 4): Promise<string[]> {
  const versions: string[] = [];
  for (let i = 0; i < n; i++) {
    const model = buildModel(width, arch, i);
    versions.push(await reg.save(name, model, metadata(width, 0.5 + i / 10)));
    model.dispose();
  }
  return versions;
}

describe("ModelRegistry", () => {
  before(async () => {
    await initBackend("wasm");
  });

  it("numbers versions v0001, v0002, ... and makes the first one current", async () => {
    const reg = newRegistry();
    assert.deepEqual(await saveN(reg, "zeek", 3), ["v0001", "v0002", "v0003"]);
    assert.equal(reg.current("zeek"), "v0001");
    assert.deepEqual(reg.versions("zeek"), ["v0001", "v0002", "v0003"]);
    assert.equal(readFileSync(join(reg.root, "zeek", "CURRENT"), "utf8"), "v0001\n");
    assert.deepEqual(readdirSync(join(reg.root, "zeek", "v0002")).sort(), ["metadata.json", "model.json", "weights.bin"]);
    assert.deepEqual(readdirSync(join(reg.root, "zeek")).sort(), ["CURRENT", "history.jsonl", "v0001", "v0002", "v0003"], "no temporary files left");
    const meta = reg.readMetadata("zeek", "v0002");
    assert.equal(meta.name, "zeek");
    assert.equal(meta.version, "v0002");
    assert.ok(!Number.isNaN(Date.parse(meta.created_at)));
  });

  it("continues after the highest version, even one whose files were removed", async () => {
    const reg = newRegistry();
    await saveN(reg, "m", 2);
    rmSync(join(reg.root, "m", "v0002", "model.json"));
    assert.deepEqual(await saveN(reg, "m", 1), ["v0003"]);
  });

  it("makes a new version current always, never, or only when there is none", async () => {
    const reg = newRegistry();
    const model = buildModel(4, arch, 1);
    assert.equal(await reg.save("m", model, metadata(4), { makeCurrent: "never" }), "v0001");
    assert.equal(reg.current("m"), undefined);
    await reg.save("m", model, metadata(4));
    assert.equal(reg.current("m"), "v0002");
    await reg.save("m", model, metadata(4));
    assert.equal(reg.current("m"), "v0002");
    await reg.save("m", model, metadata(4), { makeCurrent: "always" });
    assert.equal(reg.current("m"), "v0004");
    model.dispose();
  });

  it("lists versions with the current flag and key metrics", async () => {
    const reg = newRegistry();
    await saveN(reg, "b", 2);
    await saveN(reg, "a", 1);
    const list = reg.list();
    assert.deepEqual(
      list.map((e) => [e.name, e.version, e.current, e.metrics?.pr_auc]),
      [
        ["a", "v0001", true, 0.5],
        ["b", "v0001", true, 0.5],
        ["b", "v0002", false, 0.6],
      ],
    );
    assert.equal(list[0].feature_schema, "hash-4");
    assert.deepEqual(reg.list("b").map((e) => e.version), ["v0001", "v0002"]);
  });

  it("loads the current version, or a named one, with predictions identical to the saved model", async () => {
    const reg = newRegistry();
    const saved = [buildModel(4, arch, 1), buildModel(4, arch, 2)];
    for (const m of saved) await reg.save("m", m, metadata(4));
    const x = Float32Array.from({ length: 20 }, (_, i) => Math.sin(i));
    for (const [ref, index, version] of [["m", 0, "v0001"], ["m@v0002", 1, "v0002"], ["m@2", 1, "v0002"]] as const) {
      const { model, metadata: meta } = await reg.load(ref);
      assert.equal(meta.version, version);
      assert.deepEqual(predictRaw(model, x, 5, 4), predictRaw(saved[index], x, 5, 4));
      model.dispose();
    }
    saved.forEach((m) => m.dispose());
  });

  it("promotes, rolls back step by step through the history, and records each move", async () => {
    const reg = newRegistry();
    await saveN(reg, "m", 3);
    reg.promote("m", "v0002");
    reg.promote("m", "v0003");
    assert.equal(reg.current("m"), "v0003");
    assert.deepEqual(reg.rollback("m").to, "v0002");
    assert.equal(reg.current("m"), "v0002");
    assert.deepEqual(reg.rollback("m").to, "v0001");
    assert.equal(reg.current("m"), "v0001");
    assert.throws(() => reg.rollback("m"), /model m has no earlier current version to roll back to \(current: v0001\)/);
    assert.deepEqual(
      reg.history("m").map((r) => [r.action, r.from, r.to]),
      [
        ["promote", null, "v0001"],
        ["promote", "v0001", "v0002"],
        ["promote", "v0002", "v0003"],
        ["rollback", "v0003", "v0002"],
        ["rollback", "v0002", "v0001"],
      ],
    );
    assert.ok(reg.history("m").every((r) => !Number.isNaN(Date.parse(r.time))));
  });

  it("does not record promoting the version that is already current", async () => {
    const reg = newRegistry();
    await saveN(reg, "m", 1);
    reg.promote("m", "v0001");
    assert.equal(reg.history("m").length, 1);
  });

  it("names the known models when the model is unknown, and the known versions when the version is", async () => {
    const reg = newRegistry();
    await saveN(reg, "alpha", 2);
    await saveN(reg, "beta", 1);
    await assert.rejects(reg.load("gamma"), /no model named "gamma" in .*; known models: alpha, beta/);
    await assert.rejects(reg.load("alpha@v0009"), /model alpha has no version "v0009"; known versions: v0001, v0002/);
    assert.throws(() => reg.promote("alpha", "v0003"), /known versions: v0001, v0002/);
    assert.throws(() => newRegistry().resolveRef("x"), /known models: \(none\)/);
  });

  it("explains a model without a current version", async () => {
    const reg = newRegistry();
    const model = buildModel(4, arch);
    await reg.save("m", model, metadata(4), { makeCurrent: "never" });
    model.dispose();
    await assert.rejects(reg.load("m"), /model m has no current version; promote one of: v0001/);
  });

  it("refuses a version whose model.json input width differs from its feature spec", async () => {
    const reg = newRegistry();
    await saveN(reg, "m", 1, 4);
    await saveN(reg, "other", 1, 6);
    for (const f of ["model.json", "weights.bin"]) copyFileSync(join(reg.root, "other", "v0001", f), join(reg.root, "m", "v0001", f));
    const before = tf.memory().numTensors;
    await assert.rejects(reg.load("m"), /m\/v0001\/model\.json takes rows of 6 values but .*metadata\.json describes 4 feature columns; .*restore this version's files or delete/);
    assert.equal(tf.memory().numTensors, before, "the refused model is disposed");
  });

  it("refuses a version whose weights file is missing, naming it", async () => {
    const reg = newRegistry();
    await saveN(reg, "m", 1);
    rmSync(join(reg.root, "m", "v0001", "weights.bin"));
    await assert.rejects(reg.load("m@v0001"), /weights file .*m\/v0001\/weights\.bin named by .*model\.json is missing/);
  });

  it("refuses to save a model whose width differs from its feature spec", async () => {
    const reg = newRegistry();
    const model = buildModel(5, arch);
    await assert.rejects(reg.save("m", model, metadata(4)), /takes rows of 5 values but its feature spec has 4 columns/);
    model.dispose();
    assert.deepEqual(reg.names(), []);
  });

  it("refuses names that are not plain file names", async () => {
    const reg = newRegistry();
    const model = buildModel(4, arch);
    await assert.rejects(reg.save("../evil", model, metadata(4)), /must match \[A-Za-z0-9_\.-\]\+/);
    assert.throws(() => reg.resolveRef(".."), /must match/);
    model.dispose();
  });
});
