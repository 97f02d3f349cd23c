import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "../../sidecar/tf/index.ts";
import { initBackend } from "../../sidecar/tf/backend.ts";
import type { ArchitectureConfig, TrainingConfig } from "../../sidecar/registry/metadata.ts";
import { ModelRegistry } from "../../sidecar/registry/registry.ts";
import type { NetEvent } from "../../sidecar/sources/event.ts";
import { evaluateModel } from "../../sidecar/training/evaluate-model.ts";
import { eventsTrainingData, fileTrainingData, runTrainingJob, TrainingDataError, type EpochProgress } from "../../sidecar/training/job.ts";

const SAMPLE = "data/sample/conn.sample.log";
const architecture: ArchitectureConfig = { hidden: [{ units: 8, activation: "relu", dropout: 0 }], learning_rate: 0.01 };
const training: TrainingConfig = { epochs: 2, batch_size: 256, validation_fraction: 0.2, patience: 5, class_weights: true, seed: 7 };

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "job-"));
}

describe("runTrainingJob", () => {
  before(async () => {
    await initBackend("wasm");
  });

  it("trains on the bundled sample and registers a version whose metadata holds the metrics and the data description", async () => {
    const dir = tmp();
    const epochs: EpochProgress[] = [];
    const result = await runTrainingJob({
      data: fileTrainingData({ files: [SAMPLE] }),
      architecture,
      training,
      registryDir: dir,
      name: "job",
      onEpoch: (p) => epochs.push(p),
    });
    assert.equal(result.registered, true);
    assert.equal(result.version, "v0001");
    assert.equal(result.current, true, "a model's first version becomes current");
    assert.deepEqual(epochs.map((p) => p.epoch), [1, 2]);
    assert.equal(result.metadata.validation?.used, "none", "the default: one random stratified validation split");

    const saved = new ModelRegistry(dir).readMetadata("job", "v0001");
    assert.deepEqual(saved.validation_metrics, result.metrics);
    assert.deepEqual(result.metadata, saved);
    assert.equal(saved.validation_metrics.rows, result.split.validation);
    assert.ok(saved.validation_metrics.roc_auc > 0.5, `roc_auc ${saved.validation_metrics.roc_auc}`);
    assert.equal(result.split.train + result.split.validation, 3241, "labeled rows of the sample (Background left out)");
    assert.deepEqual(saved.data, result.data);
    assert.equal(saved.data.rows, 3241);
    assert.deepEqual(saved.data.files, [SAMPLE]);
    assert.equal(saved.data.positives + saved.data.negatives, 3241);
    assert.ok(saved.data.excluded > 0, "the sample's Background rows are counted as excluded");
    assert.ok(result.featureConfig.categorical.includes("conn_state"), "flow data gets the flow defaults");
    assert.equal(saved.training.epochs_run, 2);
    assert.ok(result.timings.train_seconds > 0 && result.timings.total_seconds >= result.timings.train_seconds);
    assert.ok(Date.parse(result.finished_at) >= Date.parse(result.started_at));
  });

  it("cross-validates by blocks of time on one file when asked for groups, says so, and refits on every row", async () => {
    const epochs: EpochProgress[] = [];
    const result = await runTrainingJob({
      data: fileTrainingData({ files: [SAMPLE] }),
      architecture,
      training: { ...training, group_by: "auto" },
      register: false,
      onEpoch: (p) => epochs.push(p),
    });
    try {
      const v = result.metadata.validation!;
      assert.equal(v.used, "time", "one file: blocks of time");
      assert.match(v.note ?? "", /single input.*blocks of time/);
      assert.equal(v.folds, 5);
      assert.equal(v.groups.length, 10, "figures for each time block");
      assert.equal(v.groups.reduce((n, g) => n + g.rows, 0), 3241, "every row has an out-of-fold prediction");
      assert.deepEqual(result.split, { train: 3241, validation: 3241 });
      assert.equal(result.metrics.rows, 3241);
      assert.deepEqual(epochs.filter((p) => p.fold === undefined).map((p) => p.epoch).at(-1), result.metadata.training.epochs_run, "the refit reports its epochs without a fold");
      assert.ok(epochs.some((p) => p.fold === 1 && p.folds === 5), "folds report their epochs with the fold");
      assert.equal(result.metadata.threshold_goal?.goal, "balanced_accuracy");
    } finally {
      result.model.dispose();
    }
  });

  it("makes a later version current only when asked", async () => {
    const dir = tmp();
    const events = synthetic(300);
    const job = { data: eventsTrainingData(events), architecture, training, registryDir: dir, name: "m" };
    assert.equal((await runTrainingJob(job)).current, true);
    const second = await runTrainingJob(job);
    assert.deepEqual([second.version, second.current], ["v0002", false]);
    const third = await runTrainingJob({ ...job, makeCurrent: "always" });
    assert.deepEqual([third.version, third.current], ["v0003", true]);
    assert.equal(new ModelRegistry(dir).current("m"), "v0003");
  });

  it("with register: false saves nothing and returns the model, which scores like its metadata says", async () => {
    const before = tf.memory().numTensors;
    const events = synthetic(400);
    const result = await runTrainingJob({ data: eventsTrainingData(events.slice(0, 300)), architecture, training, register: false });
    assert.equal(result.registered, false);
    assert.equal(result.timings.register_seconds, 0);
    const evaluation = evaluateModel(result.model, result.metadata, events.slice(300));
    assert.equal(evaluation.metrics.rows, 100);
    assert.equal(evaluation.metrics.threshold, result.metadata.threshold);
    assert.ok(evaluation.metrics.roc_auc > 0.7, `held-out roc_auc ${evaluation.metrics.roc_auc}`);
    result.model.dispose();
    assert.equal(tf.memory().numTensors, before, "nothing left behind once the caller disposes the model");
  });

  it("refuses one-class data with a TrainingDataError that gives the counts", async () => {
    const dir = tmp();
    const csv = join(dir, "benign.csv");
    writeFileSync(csv, "duration,bytes_in,bytes_out,label\n1,2,3,normal\n4,5,6,normal\n7,8,9,normal\n");
    await assert.rejects(
      runTrainingJob({ data: fileTrainingData({ files: [csv] }), architecture, training, registryDir: join(dir, "models"), name: "x" }),
      (e: unknown) => e instanceof TrainingDataError && /training needs both classes; the data has 3 benign and 0 attack rows/.test(e.message),
    );
    assert.equal(existsSync(join(dir, "models")), false, "nothing registered");
  });

  it("refuses data with a single row of a class (nothing left to validate on) with a TrainingDataError, not a crash", async () => {
    const dir = tmp();
    const csv = join(dir, "two.csv");
    writeFileSync(csv, "duration,bytes_in,bytes_out,label\n1,2,3,normal\n4,5,6,attack\n7,8,9,normal\n");
    await assert.rejects(
      runTrainingJob({ data: fileTrainingData({ files: [csv] }), architecture, training, registryDir: join(dir, "models"), name: "x" }),
      (e: unknown) => e instanceof TrainingDataError && /at least 2 rows of each class .* the data has 2 benign and 1 attack rows/.test(e.message),
    );
    assert.equal(existsSync(join(dir, "models")), false, "nothing registered");
  });

  it("reports unreadable data as a TrainingDataError", async () => {
    await assert.rejects(
      runTrainingJob({ data: fileTrainingData({ files: [join(tmp(), "missing.log")] }), architecture, training, register: false }),
      (e: unknown) => e instanceof TrainingDataError && /missing\.log/.test(e.message),
    );
  });

  it("stops when the signal aborts, registers nothing and frees its tensors", async () => {
    const dir = tmp();
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const reason = new Error("stop now");
    const seen: number[] = [];
    await assert.rejects(
      runTrainingJob({
        data: eventsTrainingData(synthetic(300)),
        architecture,
        training: { ...training, epochs: 50, patience: 50 },
        registryDir: dir,
        name: "a",
        signal: controller.signal,
        onEpoch: (p) => {
          seen.push(p.epoch);
          if (p.epoch === 2) controller.abort(reason);
        },
      }),
      (e: unknown) => e === reason,
    );
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(new ModelRegistry(dir).versions("a"), []);
    assert.equal(tf.memory().numTensors, before);
  });

  it("does not read the data when the signal is already aborted", async () => {
    let reads = 0;
    const controller = new AbortController();
    controller.abort(new Error("cancelled"));
    await assert.rejects(
      runTrainingJob({
        data: { read: () => (reads++, Promise.resolve({ events: [], description: { files: [], rows: 0, positives: 0, negatives: 0, excluded: 0, rejected: 0 } })) },
        architecture,
        training,
        register: false,
        signal: controller.signal,
      }),
      /cancelled/,
    );
    assert.equal(reads, 0);
  });
});

/** Flows in memory: attacks are large UDP uploads (about a fifth of the rows). */
function synthetic(rows: number): NetEvent[] {
  let s = 12345;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: rows }, (_, i) => {
    const transport = r() < 0.5 ? "udp" : "tcp";
    const bytes = Math.floor(Math.exp(r() * 12));
    const label = transport === "udp" && bytes > 3000 ? 1 : 0;
    return {
      fields: { transport, bytes_out: bytes, duration: Number((r() * 10).toFixed(3)) },
      label,
      origin: { kind: "file", file: "synthetic", line: i + 1, raw: "" },
    } satisfies NetEvent;
  });
}
