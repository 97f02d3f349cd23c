import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { extractDense } from "../../sidecar/scoring/dense.ts";
import { calibrate, Scorer } from "../../sidecar/scoring/scorer.ts";
import type { FeatureSpec } from "../../sidecar/features/spec.ts";
import { buildModel, defaultModel, featureRows, predict, sameBits, useWasm } from "./helpers.ts";

const IDENTITY = { method: "platt", a: 1, b: 0 } as const;

describe("Scorer", () => {
  before(useWasm);

  it("gives exactly model.predict's outputs for the default network on 70 and 120 columns", () => {
    for (const width of [70, 120]) {
      const model = defaultModel(width, width);
      const rows = 1000;
      const x = featureRows(rows, width, 7);
      const expected = predict(model, x, rows, width);
      const scorer = Scorer.fromModel(model, { calibration: IDENTITY });
      const raw = scorer.scoreRaw(x, rows);
      assert.equal(raw.length, rows);
      assert.ok(sameBits(raw, expected), `width ${width}: scoreRaw differs from model.predict`);
      assert.ok(Math.max(...raw) > 0.6 && Math.min(...raw) < 0.4, "the fixture spreads the scores");
      scorer.dispose();
    }
  });

  it("gives exactly model.predict's outputs for tanh, elu and linear hidden layers", () => {
    const model = buildModel(12, [
      { units: 9, activation: "tanh" },
      { units: 7, activation: "elu" },
      { units: 5, activation: "linear" },
      { units: 1, activation: "sigmoid" },
    ], 11);
    const x = featureRows(300, 12, 3);
    const scorer = Scorer.fromModel(model, { calibration: IDENTITY });
    assert.ok(sameBits(scorer.scoreRaw(x, 300), predict(model, x, 300, 12)));
  });

  it("scores a row the same whatever batch it is in and however the call is chunked", () => {
    const model = defaultModel(70, 5);
    const x = featureRows(999, 70, 9);
    const whole = new Scorer({ net: extractDense(model), metadata: { calibration: IDENTITY } }).scoreRaw(x, 999);
    const chunked = new Scorer({ net: extractDense(model), metadata: { calibration: IDENTITY }, batchSize: 100 }).scoreRaw(x, 999);
    assert.ok(sameBits(whole, chunked));
    const single = Scorer.fromModel(model, { calibration: IDENTITY });
    for (const r of [0, 1, 500, 998]) {
      assert.ok(sameBits(single.scoreRaw(x.slice(r * 70, (r + 1) * 70), 1), whole.subarray(r, r + 1)), `row ${r}`);
    }
  });

  it("gives bit-identical scores from two scorers built from the same weights", () => {
    const model = defaultModel(80, 21);
    const x = featureRows(2000, 80, 4);
    const calibration = { method: "platt", a: 1.7, b: -0.4 } as const;
    const a = new Scorer({ net: extractDense(model), metadata: { calibration } });
    const b = new Scorer({ net: structuredClone(extractDense(model)), metadata: { calibration } });
    assert.ok(sameBits(a.score(x, 2000), b.score(x, 2000)));
  });

  it("calibrates with Platt scaling on the clamped logit of the raw output", () => {
    const model = defaultModel(20, 8);
    const x = featureRows(200, 20, 1);
    const c = { method: "platt", a: 1.5, b: -0.7 } as const;
    const scorer = Scorer.fromModel(model, { calibration: c });
    const raw = predict(model, x, 200, 20);
    const p = scorer.score(x, 200);
    for (let i = 0; i < 200; i++) {
      const z = 1.5 * Math.log(raw[i]! / (1 - raw[i]!)) - 0.7;
      assert.ok(Math.abs(p[i]! - 1 / (1 + Math.exp(-z))) < 1e-6, `row ${i}`);
    }
    assert.equal(calibrate(c, 0), 1 / (1 + Math.exp(-(1.5 * Math.log(1e-7 / (1 - 1e-7)) - 0.7))));
    assert.equal(calibrate(c, 1), 1 / (1 + Math.exp(-(1.5 * Math.log((1 - 1e-7) / 1e-7) - 0.7))));
    assert.equal(calibrate(IDENTITY, 0.25), 0.25);
  });

  it("refuses a feature spec whose width is not the network's", () => {
    const net = extractDense(defaultModel(10, 1));
    const spec = { columns: Array.from({ length: 11 }, (_, i) => ({ name: `c${i}`, fields: [`f${i}`], mean: 0 })) } as FeatureSpec;
    assert.throws(() => new Scorer({ net, metadata: { calibration: IDENTITY, feature_spec: spec } }), /takes 10 inputs but the feature spec has 11 columns/);
  });

  it("refuses input of the wrong size and use after dispose", () => {
    const scorer = Scorer.fromModel(defaultModel(10, 1), { calibration: IDENTITY });
    assert.throws(() => scorer.score(new Float32Array(25), 3), /expected 3 rows of 10 columns \(30 values\), got 25/);
    assert.equal(scorer.score(new Float32Array(0), 0).length, 0);
    scorer.dispose();
    scorer.dispose();
    assert.throws(() => scorer.score(new Float32Array(10), 1), /disposed/);
  });
});
