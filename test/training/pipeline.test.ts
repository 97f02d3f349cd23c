import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initBackend } from "../../sidecar/tf/backend.ts";
import type { FeatureConfig } from "../../sidecar/features/spec.ts";
import { featurizeRows } from "../../sidecar/features/featurize.ts";
import type { TrainingConfig } from "../../sidecar/registry/metadata.ts";
import { ModelRegistry } from "../../sidecar/registry/registry.ts";
import { mulberry32 } from "../../sidecar/training/random.ts";
import { trainFromEvents, type LabeledEvent } from "../../sidecar/training/pipeline.ts";
import { predictRaw } from "../../sidecar/training/model.ts";

const featureConfig: FeatureConfig = {
  numeric: ["duration", "bytes_out"],
  categorical: ["transport"],
  derived: [],
  min_category_count: 1,
  max_categories: 10,
  histogram_bins: 8,
};
const arch = { hidden: [{ units: 8, activation: "relu" as const, dropout: 0 }], learning_rate: 0.05 };
const training: TrainingConfig = { epochs: 25, batch_size: 32, validation_fraction: 0.25, patience: 5, class_weights: true, seed: 3 };
const data = { files: ["synthetic"], rows: 400, positives: 0, negatives: 0, excluded: 0, rejected: 0 };

/** 400 flows; attacks are large UDP uploads (about a fifth of the rows). */
function events(): LabeledEvent[] {
  const r = mulberry32(21);
  return Array.from({ length: 400 }, () => {
    const transport = r() < 0.5 ? "udp" : "tcp";
    const bytes = Math.floor(Math.exp(r() * 12));
    const label = transport === "udp" && bytes > 3000 ? 1 : 0;
    return { fields: { transport, bytes_out: String(bytes), duration: (r() * 10).toFixed(3) }, label };
  });
}

describe("trainFromEvents", () => {
  before(async () => {
    await initBackend("wasm");
  });

  it("splits, fits features on the training split only, trains, calibrates and describes the model", async () => {
    const evs = events();
    const positives = evs.filter((e) => e.label === 1).length;
    const res = await trainFromEvents({ events: evs, featureConfig, arch, training, data: { ...data, positives, negatives: 400 - positives } });
    const m = res.metadata;
    assert.equal(res.split.train + res.split.validation, 400);
    assert.equal(res.split.validation, 100);
    assert.equal(m.feature_spec.rows, res.split.train, "feature statistics come from the training rows only");
    assert.equal(m.feature_schema, m.feature_spec.hash);
    assert.equal(m.validation_metrics.rows, 100);
    assert.equal(m.validation_metrics.positives, Math.round(positives / 4));
    assert.equal(m.validation_metrics.threshold, m.threshold);
    assert.ok(m.validation_metrics.roc_auc > 0.9, `roc_auc ${m.validation_metrics.roc_auc}`);
    assert.equal(m.calibration.method, "platt");
    assert.equal(m.training.backend, "wasm");
    assert.equal(m.training.seed, 3);
    assert.ok(m.training.best_epoch >= 1 && m.training.best_epoch <= m.training.epochs_run);
    assert.equal(res.history.length, m.training.epochs_run);
    assert.deepEqual(m.data, { ...data, positives, negatives: 400 - positives });
    assert.deepEqual(m.architecture, arch);

    // The registry takes the result as is, and the loaded model scores like the trained one.
    const reg = new ModelRegistry(mkdtempSync(join(tmpdir(), "pipeline-")));
    assert.equal(await reg.save("zeek", res.model, m), "v0001");
    const loaded = await reg.load("zeek");
    const rows = evs.slice(0, 20).map((e) => e.fields);
    const x = featurizeRows(loaded.metadata.feature_spec, rows);
    const width = loaded.metadata.feature_spec.columns.length;
    assert.deepEqual(predictRaw(loaded.model, x, 20, width, 256), predictRaw(res.model, x, 20, width, 256));
    loaded.model.dispose();
    res.model.dispose();
  });

  it("refuses a set with one class and a label that is not 0 or 1", async () => {
    const evs = events().map((e) => ({ ...e, label: 0 as const }));
    await assert.rejects(trainFromEvents({ events: evs, featureConfig, arch, training, data }), /needs both classes; got 0 positive and 400 negative/);
    const bad = [...events(), { fields: {}, label: null as unknown as 0 }];
    await assert.rejects(trainFromEvents({ events: bad, featureConfig, arch, training, data }), /event 400 has label null/);
  });
});
