import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { averagePrecision, calibrateAll, chooseThreshold, computeMetrics, fitPlatt, rocAuc } from "../../sidecar/training/evaluate.ts";
import { mulberry32 } from "../../sidecar/training/random.ts";

function bruteAuc(p: Float32Array, y: Uint8Array): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < p.length; i++) {
    if (!y[i]) continue;
    for (let j = 0; j < p.length; j++) {
      if (y[j]) continue;
      n++;
      s += p[i]! > p[j]! ? 1 : p[i] === p[j] ? 0.5 : 0;
    }
  }
  return s / n;
}

describe("metrics", () => {
  it("computes the confusion matrix and the rates at a threshold", () => {
    const p = Float32Array.from([0.9, 0.8, 0.3, 0.6, 0.1]);
    const y = Uint8Array.from([1, 1, 1, 0, 0]);
    const m = computeMetrics(p, y, 0.5);
    assert.deepEqual(m.confusion, { tp: 2, fp: 1, tn: 1, fn: 1 });
    assert.equal(m.accuracy, 0.6);
    assert.equal(m.precision, 0.6667);
    assert.equal(m.recall, 0.6667);
    assert.equal(m.roc_auc, 0.8333);
  });

  it("matches a brute-force pairwise ROC-AUC, ties counted half", () => {
    const r = mulberry32(7);
    const p = Float32Array.from({ length: 300 }, () => Math.round(r() * 20) / 20);
    const y = Uint8Array.from(p, (v) => (r() < v ? 1 : 0));
    assert.ok(Math.abs(rocAuc(p, y) - bruteAuc(p, y)) < 1e-12);
  });

  it("computes average precision over distinct thresholds", () => {
    const p = Float32Array.from([0.9, 0.8, 0.7, 0.6]);
    const y = Uint8Array.from([1, 0, 1, 0]);
    assert.ok(Math.abs(averagePrecision(p, y) - (0.5 * 1 + 0.5 * (2 / 3))) < 1e-12);
  });
});

describe("threshold", () => {
  it("maximizes F1 (checked against every cut)", () => {
    const r = mulberry32(3);
    const p = Float32Array.from({ length: 500 }, () => r());
    const y = Uint8Array.from(p, (v) => (r() < v * v ? 1 : 0));
    const t = chooseThreshold(p, y);
    const f1 = computeMetrics(p, y, t).f1;
    for (const cut of p) assert.ok(computeMetrics(p, y, cut).f1 <= f1 + 1e-4);
    assert.ok(t > 0 && t < 1);
  });
});

describe("Platt calibration", () => {
  it("recovers a known slope and intercept from synthetic data", () => {
    const r = mulberry32(11);
    const n = 20000;
    const raw = new Float32Array(n);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const z = (r() - 0.5) * 8;
      raw[i] = 1 / (1 + Math.exp(-z));
      y[i] = r() < 1 / (1 + Math.exp(-(0.5 * z - 1))) ? 1 : 0;
    }
    const c = fitPlatt(raw, y);
    assert.ok(Math.abs(c.a - 0.5) < 0.06, `a=${c.a}`);
    assert.ok(Math.abs(c.b + 1) < 0.08, `b=${c.b}`);
  });

  it("stays finite on a perfectly separated validation set and keeps the order", () => {
    const raw = Float32Array.from([0, 0.001, 0.2, 0.8, 0.999, 1]);
    const y = Uint8Array.from([0, 0, 0, 1, 1, 1]);
    const c = fitPlatt(raw, y);
    assert.ok(Number.isFinite(c.a) && Number.isFinite(c.b) && c.a > 0);
    const p = calibrateAll(c, raw);
    for (let i = 1; i < p.length; i++) assert.ok(p[i]! >= p[i - 1]!);
  });
});
