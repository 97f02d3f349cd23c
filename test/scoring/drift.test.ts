import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fitFeatureSpec } from "../../sidecar/features/fit.ts";
import type { FeatureConfig } from "../../sidecar/features/spec.ts";
import { DriftMeter, psi } from "../../sidecar/scoring/drift.ts";
import { loadScoringModel } from "../../sidecar/scoring/load.ts";
import { runOnce } from "../../sidecar/pipeline/run-once.ts";
import type { RiskEvent } from "../../sidecar/contract/index.ts";
import type { Sink } from "../../sidecar/sinks/sink.ts";
import type { EventSource } from "../../sidecar/sources/source.ts";
import type { Fields, NetEvent } from "../../sidecar/sources/event.ts";
import { readAllLabeled } from "../../sidecar/sources/file/index.ts";
import { initBackend } from "../../sidecar/tf/backend.ts";

const config: FeatureConfig = { numeric: ["bytes_out", "duration"], categorical: ["transport"], derived: [], min_category_count: 1, max_categories: 10, histogram_bins: 10 };

function rows(n: number, seed: number, shift = 1): Fields[] {
  let s = seed;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => ({ bytes_out: Math.floor(Math.exp(r() * 10) * shift), duration: r() * 10, transport: r() < 0.7 ? "tcp" : "udp" }));
}

describe("drift (PSI)", () => {
  it("is 0 for identical distributions and grows with the shift", () => {
    assert.equal(psi([10, 20, 30], [1, 2, 3]), 0);
    assert.ok(psi([50, 50], [90, 10]) > psi([50, 50], [60, 40]));
  });

  it("a shifted feature crosses the threshold, an unshifted one does not", () => {
    const spec = fitFeatureSpec(rows(3000, 1), config);
    const same = new DriftMeter(spec);
    for (const f of rows(2000, 2)) same.add(f);
    const shifted = new DriftMeter(spec);
    for (const f of rows(2000, 3, 1000)) shifted.add(f);
    const a = same.result();
    const b = shifted.result();
    assert.deepEqual(Object.keys(a.drift).sort(), ["bytes_out", "duration", "transport"]);
    assert.ok(a.max < 0.1, `unshifted data drifts ${JSON.stringify(a.drift)}`);
    assert.ok(b.drift.bytes_out! > 0.25, `bytes_out ×1000: ${b.drift.bytes_out}`);
    assert.ok(b.drift.duration! < 0.1 && b.drift.transport! < 0.1, `the unshifted fields of the shifted run: ${JSON.stringify(b.drift)}`);
    assert.equal(b.top[0]!.field, "bytes_out");
  });

  it("a missing field drifts: its missing bin fills", () => {
    const spec = fitFeatureSpec(rows(2000, 1), config);
    const m = new DriftMeter(spec);
    for (const f of rows(1000, 2)) m.add({ ...f, duration: undefined });
    assert.ok(m.result().drift.duration! > 1);
  });
});

describe("drift in the run event", () => {
  before(async () => {
    await initBackend("wasm");
  });

  it("a run over shifted events suggests retraining and names the field; the same events unshifted do not", async () => {
    const model = await loadScoringModel({ registryDir: "models", ref: "zeek-conn", backend: "wasm", workers: 0 });
    const { events } = await readAllLabeled({ files: ["data/sample/conn.sample.log"] });
    const ok = { kind: "success" } as const;
    const sink: Sink<RiskEvent> = { start: () => Promise.resolve(), send: () => Promise.resolve(ok), flush: () => Promise.resolve(ok), shutdown: () => Promise.resolve() };
    const source = (list: NetEvent[]): EventSource => ({
      name: "test",
      plan: () => Promise.resolve({}),
      endPosition: () => ({}),
      async *read() {
        yield { events: list, rejected: [] };
      },
    });
    // The bundled sample is one capture of the public data the shipped model trained on: its largest PSI
    // against the model's histograms is about 0.26 (duration), so this test's threshold sits above that.
    const drift = { spec: model.metadata.feature_spec, threshold: 0.5 };
    try {
      const plain = await runOnce({ source: source(events), model, sink, minRiskScore: 101, drift });
      const shifted = events.map((e) => ({ ...e, fields: { ...e.fields, duration: Number(e.fields.duration ?? 0) * 1e4 + 1e5 } }));
      const moved = await runOnce({ source: source(shifted), model, sink, minRiskScore: 101, drift });
      assert.equal(plain!.retrain_suggested, false, `unshifted: ${JSON.stringify(plain!.drift)}`);
      assert.equal(plain!.retrain_reason, null);
      assert.equal(moved!.retrain_suggested, true);
      assert.ok(moved!.drift!.duration! >= 0.5);
      assert.equal(moved!.drift_max, Math.max(...Object.values(moved!.drift!)));
      assert.match(moved!.retrain_reason!, /^drift: duration PSI \d/);
    } finally {
      await model.close();
    }
  });
});
