import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { riskBand, riskScore } from "../../sidecar/scoring/risk.ts";

describe("riskScore", () => {
  const cases: [number, number][] = [
    [0, 0],
    [0.004, 0],
    [0.005, 1],
    [0.2, 20],
    [0.204, 20],
    [0.205, 21],
    [0.5, 50],
    [0.994, 99],
    [0.995, 100],
    [1, 100],
    [1.2, 100],
    [-0.1, 0],
    [Number.NaN, 0],
  ];
  for (const [p, score] of cases) {
    it(`scores probability ${p} as ${score}`, () => assert.equal(riskScore(p), score));
  }
});

describe("riskBand", () => {
  const cases: [number, string][] = [
    [0, "informational"],
    [20, "informational"],
    [21, "low"],
    [40, "low"],
    [41, "medium"],
    [60, "medium"],
    [61, "high"],
    [80, "high"],
    [81, "critical"],
    [100, "critical"],
    [-5, "informational"],
    [150, "critical"],
  ];
  for (const [score, band] of cases) {
    it(`puts score ${score} in band ${band}`, () => assert.equal(riskBand(score), band));
  }
});
