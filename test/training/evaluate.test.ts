import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  averagePrecision,
  calibrateAll,
  chooseThreshold,
  computeMetrics,
  fitPlatt,
  formatMetricsTable,
  rocAuc,
} from "../../sidecar/training/evaluate.ts";
import { calibrate } from "../../sidecar/scoring/scorer.ts";
import { mulberry32 } from "../../sidecar/training/random.ts";

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

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

/** F1 at every distinct cut (attack when p >= cut), by counting. */
function bruteBestF1(p: Float32Array, y: Uint8Array): { f1: number; cut: number } {
  let best = { f1: -1, cut: NaN };
  for (const cut of [...new Set(p)].sort((a, b) => b - a)) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < p.length; i++) {
      if (p[i]! >= cut) {
        if (y[i]) tp++;
        else fp++;
      } else if (y[i]) fn++;
    }
    const f1 = (2 * tp) / (2 * tp + fp + fn);
    if (f1 > best.f1) best = { f1, cut };
  }
  return best;
}

function synthetic(seed: number, n: number, levels = 0): { p: Float32Array; y: Uint8Array } {
  const r = mulberry32(seed);
  const p = Float32Array.from({ length: n }, () => (levels > 0 ? Math.round(r() * levels) / levels : r()));
  const y = Uint8Array.from(p, (v) => (r() < v * v ? 1 : 0));
  return { p, y };
}

describe("metrics", () => {
  it("computes the confusion matrix and exact rates at a threshold", () => {
    const p = Float32Array.from([0.9, 0.8, 0.3, 0.6, 0.1]);
    const y = Uint8Array.from([1, 1, 1, 0, 0]);
    const m = computeMetrics(p, y, 0.5);
    assert.deepEqual(m.confusion, { tp: 2, fp: 1, tn: 1, fn: 1 });
    assert.equal(m.rows, 5);
    assert.equal(m.positives, 3);
    assert.equal(m.threshold, 0.5);
    assert.equal(m.accuracy, 3 / 5);
    assert.equal(m.precision, 2 / 3);
    assert.equal(m.recall, 2 / 3);
    assert.equal(m.f1, 2 / 3);
    // Pairs (attack, benign) ranked right: 0.9 and 0.8 beat both; 0.3 beats 0.1 only: 5 of 6.
    assert.equal(m.roc_auc, 5 / 6);
    // Ranked 0.9 (1), 0.8 (1), 0.6 (0), 0.3 (1), 0.1 (0): AP = (1 + 1 + 3/4) / 3.
    close(m.pr_auc, (1 + 1 + 3 / 4) / 3);
  });

  it("counts a score equal to the threshold as an attack", () => {
    const m = computeMetrics(Float32Array.from([0.5, 0.25]), Uint8Array.from([1, 0]), 0.5);
    assert.deepEqual(m.confusion, { tp: 1, fp: 0, tn: 1, fn: 0 });
  });

  it("counts tied scores half in ROC-AUC, by hand and against brute force on random data", () => {
    // Attack scores {0.5, 0.5}, benign {0.5, 0.2}: pairs 0.5 vs 0.5 count ½ (twice), 0.5 vs 0.2 count 1 (twice).
    assert.equal(rocAuc(Float32Array.from([0.5, 0.5, 0.5, 0.2]), Uint8Array.from([1, 1, 0, 0])), 3 / 4);
    for (const [seed, levels] of [[7, 20], [8, 3], [9, 0]] as const) {
      const { p, y } = synthetic(seed, 300, levels);
      close(rocAuc(p, y), bruteAuc(p, y));
    }
  });

  it("computes average precision over distinct thresholds, tied scores entering together", () => {
    close(averagePrecision(Float32Array.from([0.9, 0.8, 0.7, 0.6]), Uint8Array.from([1, 0, 1, 0])), 0.5 * 1 + 0.5 * (2 / 3));
    // All tied: one step to recall 1 at precision 2/4.
    close(averagePrecision(Float32Array.from([0.5, 0.5, 0.5, 0.5]), Uint8Array.from([1, 0, 1, 0])), 0.5);
    // Tie of an attack and a benign at the top: recall ½ at precision ½, then recall 1 at precision 2/3.
    close(averagePrecision(Float32Array.from([0.9, 0.9, 0.5]), Uint8Array.from([1, 0, 1])), 0.5 * 0.5 + 0.5 * (2 / 3));
  });

  it("answers NaN for the rank metrics when a class is absent, and 0 for empty rates", () => {
    const m = computeMetrics(Float32Array.from([0.2, 0.7]), Uint8Array.from([0, 0]), 0.5);
    assert.ok(Number.isNaN(m.roc_auc) && Number.isNaN(m.pr_auc));
    assert.equal(m.recall, 0);
    assert.equal(m.f1, 0);
    assert.equal(m.precision, 0);
    assert.equal(computeMetrics(new Float32Array(0), new Uint8Array(0), 0.5).accuracy, 0);
  });

  it("formats an aligned table with every metric and the confusion matrix", () => {
    const t = formatMetricsTable(computeMetrics(Float32Array.from([0.9, 0.8, 0.3, 0.6, 0.1]), Uint8Array.from([1, 1, 1, 0, 0]), 0.5));
    assert.equal(
      t,
      [
        "  rows       5 (3 attack, 2 benign)",
        "  accuracy   0.6000    precision  0.6667    recall     0.6667",
        "  f1         0.6667    roc_auc    0.8333    pr_auc     0.9167",
        "  threshold  0.5000",
        "                predicted attack  predicted benign",
        "  actual attack                2                 1",
        "  actual benign                1                 1",
      ].join("\n"),
    );
    assert.ok(formatMetricsTable(computeMetrics(Float32Array.from([0.2]), Uint8Array.from([0]), 0.5)).includes("roc_auc       n/a"));
  });
});

describe("threshold", () => {
  it("maximizes F1, checked against every cut by brute force, with and without tied scores", () => {
    for (const [seed, levels] of [[3, 0], [4, 10], [5, 2]] as const) {
      const { p, y } = synthetic(seed, 500, levels);
      const t = chooseThreshold(p, y);
      const best = bruteBestF1(p, y);
      assert.equal(computeMetrics(p, y, t).f1, best.f1, `seed ${seed}`);
      assert.ok(t > 0 && t < 1);
    }
  });

  it("sits halfway between the lowest included score and the next lower one", () => {
    const p = Float32Array.from([0.9, 0.7, 0.4, 0.1]);
    const y = Uint8Array.from([1, 1, 0, 0]);
    close(chooseThreshold(p, y), (Math.fround(0.7) + Math.fround(0.4)) / 2);
  });

  it("prefers the highest threshold among equal F1 (fewer alerts)", () => {
    // Cut at 0.8: tp 1, fp 0, fn 1 → F1 2/3. Cut at 0.4: tp 2, fp 2, fn 0 → F1 2/3 as well.
    const p = Float32Array.from([0.8, 0.6, 0.5, 0.4]);
    const y = Uint8Array.from([1, 0, 0, 1]);
    close(chooseThreshold(p, y), (Math.fround(0.8) + Math.fround(0.6)) / 2);
  });

  it("maximizes balanced accuracy when asked, checked against every cut by brute force", () => {
    for (const [seed, levels] of [[3, 0], [4, 10], [6, 3]] as const) {
      const { p, y } = synthetic(seed, 500, levels);
      const t = chooseThreshold(p, y, "balanced_accuracy");
      const bal = (th: number) => {
        const c = computeMetrics(p, y, th).confusion;
        return (c.tp / (c.tp + c.fn) + c.tn / (c.tn + c.fp)) / 2;
      };
      let best = -1;
      for (const v of [...p, 2]) best = Math.max(best, bal(v));
      assert.equal(bal(t), best, `seed ${seed}`);
    }
  });

  it("gives the most recall within a false-positive budget", () => {
    // Benign at 0.9 (1 of 10 benign = 10%), attacks at 0.8 and 0.3. Budget 10%: cut below 0.8 keeps fp 1 and
    // catches one attack; going to 0.3 adds benign rows at 0.5 and 0.4 (30%).
    const p = Float32Array.from([0.9, 0.8, 0.5, 0.4, 0.3, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1]);
    const y = Uint8Array.from([0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    close(chooseThreshold(p, y, { goal: "false_positive_rate", max_false_positive_rate: 0.1 }), (Math.fround(0.8) + Math.fround(0.5)) / 2);
    // Budget 0: nothing benign may pass; the top score is benign, so the cut sits above every score.
    assert.ok(chooseThreshold(p, y, { goal: "false_positive_rate", max_false_positive_rate: 0 }) > Math.fround(0.9));
  });

  it("stays strictly inside (0, 1) at the extremes", () => {
    const all = chooseThreshold(Float32Array.from([0, 0, 1]), Uint8Array.from([1, 1, 1]));
    assert.ok(all > 0 && all < 1, String(all));
    const top = chooseThreshold(Float32Array.from([1, 0]), Uint8Array.from([1, 0]));
    assert.equal(top, 0.5);
    const lowest = chooseThreshold(Float32Array.from([0.3, 0.2]), Uint8Array.from([1, 1]));
    close(lowest, Math.fround(0.2) / 2);
    assert.equal(chooseThreshold(Float32Array.from([0.3, 0.2]), Uint8Array.from([0, 0])), 0.5, "no attacks: F1 is 0 everywhere");
    assert.equal(chooseThreshold(new Float32Array(0), new Uint8Array(0)), 0.5);
  });
});

describe("Platt calibration", () => {
  function plattData(seed: number, n: number, a: number, b: number, spread = 8): { raw: Float32Array; y: Uint8Array } {
    const r = mulberry32(seed);
    const raw = new Float32Array(n);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const z = (r() - 0.5) * spread;
      raw[i] = 1 / (1 + Math.exp(-z));
      y[i] = r() < 1 / (1 + Math.exp(-(a * z + b))) ? 1 : 0;
    }
    return { raw, y };
  }

  it("recovers a known slope and intercept from synthetic data", () => {
    for (const [a, b] of [
      [0.5, -1],
      [2, 0.5],
    ] as const) {
      const { raw, y } = plattData(11, 20000, a, b);
      const c = fitPlatt(raw, y);
      assert.equal(c.method, "platt");
      assert.ok(Math.abs(c.a - a) < 0.08 * a, `a=${c.a} want ${a}`);
      assert.ok(Math.abs(c.b - b) < 0.08, `b=${c.b} want ${b}`);
    }
  });

  it("leaves an already calibrated model nearly unchanged", () => {
    const { raw, y } = plattData(12, 20000, 1, 0);
    const c = fitPlatt(raw, y);
    assert.ok(Math.abs(c.a - 1) < 0.06 && Math.abs(c.b) < 0.06, `a=${c.a} b=${c.b}`);
  });

  it("stays finite on a perfectly separated set with raw 0 and 1, and keeps the order", () => {
    const raw = Float32Array.from([0, 0, 0.001, 0.2, 0.8, 0.999, 1, 1]);
    const y = Uint8Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
    const c = fitPlatt(raw, y);
    assert.ok(Number.isFinite(c.a) && Number.isFinite(c.b) && c.a > 0, JSON.stringify(c));
    const p = calibrateAll(c, raw);
    for (let i = 1; i < p.length; i++) assert.ok(p[i]! >= p[i - 1]!);
    // Platt's smoothed targets bound the extremes: never exactly 0 or 1 from four rows per class.
    assert.ok(p[0]! > 0 && p[p.length - 1]! < 1);
  });

  it("returns the identity with no rows, and a finite map when every score is the same", () => {
    assert.deepEqual(fitPlatt(new Float32Array(0), new Uint8Array(0)), { method: "platt", a: 1, b: 0 });
    const c = fitPlatt(new Float32Array(100).fill(0.7), Uint8Array.from({ length: 100 }, (_, i) => (i < 30 ? 1 : 0)));
    assert.ok(Number.isFinite(c.a) && Number.isFinite(c.b));
    // The best constant is the smoothed base rate, (30 + 1) / (30 + 2) · 30% + ..., close to 0.3.
    close(calibrate(c, 0.7), (30 * (31 / 32) + 70 * (1 / 72)) / 100, 1e-6);
  });

  it("calibrates one value and an array the same way", () => {
    const c = { method: "platt" as const, a: 1.5, b: -0.25 };
    const raw = Float32Array.from([0, 0.1, 0.5, 0.9, 1]);
    const all = calibrateAll(c, raw);
    raw.forEach((v, i) => assert.equal(all[i], Math.fround(calibrate(c, v))));
    close(calibrate(c, 0.5), 1 / (1 + Math.exp(0.25)));
  });
});
