import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { rebaseCalibration, rebaseProbability } from "../../sidecar/scoring/base-rate.ts";
import { calibrate } from "../../sidecar/scoring/scorer.ts";
import type { Calibration } from "../../sidecar/registry/metadata.ts";

const fitted: Calibration = { method: "platt", a: 1.7, b: 0.3, prior: 0.7 };
const raws = [1e-6, 0.01, 0.2, 0.5, 0.8, 0.97, 0.999999];

function close(a: number, b: number, eps = 1e-9): void {
  assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);
}

describe("base rate (prior shift)", () => {
  it("gives Bayes' rule: the odds move by the ratio of the prior odds", () => {
    const rebased = rebaseCalibration(fitted, 0.01);
    assert.equal(rebased.base_rate, 0.01);
    for (const r of raws) {
      const p = calibrate(fitted, r);
      const odds = (p / (1 - p)) * ((0.01 / 0.99) / (0.7 / 0.3));
      close(calibrate(rebased, r), odds / (1 + odds));
    }
  });

  it("lowers every score when the site's base rate is below the training data's, and keeps decisions", () => {
    const rebased = rebaseCalibration(fitted, 0.01);
    const threshold = 0.6;
    const moved = rebaseProbability(threshold, 0.7, 0.01);
    for (const r of raws) {
      assert.ok(calibrate(rebased, r) <= calibrate(fitted, r));
      assert.equal(calibrate(rebased, r) >= moved, calibrate(fitted, r) >= threshold, `raw ${r}`);
    }
  });

  it("composes: rebasing twice is rebasing once to the last rate", () => {
    const twice = rebaseCalibration(rebaseCalibration(fitted, 0.1), 0.001);
    const once = rebaseCalibration(fitted, 0.001);
    close(twice.b, once.b);
    assert.equal(twice.a, once.a);
  });

  it("leaves a calibration that records no prior (a model from before base rates) unchanged", () => {
    const old: Calibration = { method: "platt", a: 2, b: -1 };
    assert.deepEqual(rebaseCalibration(old, 0.01), old);
  });

  it("refuses a base rate outside (0, 1)", () => {
    assert.throws(() => rebaseCalibration(fitted, 0), /must be in \(0, 1\)/);
    assert.throws(() => rebaseCalibration(fitted, 1), /got 1/);
  });
});
