import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { stratifiedSplit } from "../../sidecar/training/split.ts";
import { mulberry32, shuffle } from "../../sidecar/training/random.ts";

/** 900 negatives and 100 positives, interleaved. */
const labels = Uint8Array.from({ length: 1000 }, (_, i) => (i % 10 === 3 ? 1 : 0));

function count(idx: Uint32Array, y: number): number {
  return idx.reduce((n, i) => n + (labels[i] === y ? 1 : 0), 0);
}

describe("stratifiedSplit", () => {
  it("keeps each class's share on both sides", () => {
    const s = stratifiedSplit(labels, 0.2, 42);
    assert.equal(count(s.validation, 1), 20);
    assert.equal(count(s.validation, 0), 180);
    assert.equal(count(s.train, 1), 80);
    assert.equal(count(s.train, 0), 720);
  });

  it("is disjoint and complete, with indices ascending", () => {
    const s = stratifiedSplit(labels, 0.25, 7);
    const all = [...s.train, ...s.validation].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 1000 }, (_, i) => i));
    assert.deepEqual([...s.train], [...s.train].sort((a, b) => a - b));
    assert.deepEqual([...s.validation], [...s.validation].sort((a, b) => a - b));
  });

  it("is deterministic for a seed and differs across seeds", () => {
    assert.deepEqual(stratifiedSplit(labels, 0.2, 42), stratifiedSplit(labels, 0.2, 42));
    assert.notDeepEqual(stratifiedSplit(labels, 0.2, 42).validation, stratifiedSplit(labels, 0.2, 43).validation);
  });

  it("shuffles: the validation rows are not the first or last rows of a class", () => {
    const v = stratifiedSplit(labels, 0.2, 42).validation;
    const negatives = [...v].filter((i) => labels[i] === 0);
    assert.ok(negatives[0] < 100 && negatives[negatives.length - 1] > 900, `spread over the file: ${negatives[0]}..${negatives.at(-1)}`);
  });

  it("puts a two-row class on both sides and a one-row class in training", () => {
    const tiny = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    const s = stratifiedSplit(tiny, 0.1, 1);
    assert.equal([...s.validation].filter((i) => tiny[i] === 1).length, 1);
    assert.equal([...s.train].filter((i) => tiny[i] === 1).length, 1);
    const single = stratifiedSplit(Uint8Array.from([0, 0, 0, 0, 1]), 0.5, 1);
    assert.ok(single.train.includes(4));
    assert.equal(single.validation.length, 2);
  });

  it("rejects a fraction outside (0, 1)", () => {
    assert.throws(() => stratifiedSplit(labels, 0, 1), /must be in \(0, 1\), got 0/);
    assert.throws(() => stratifiedSplit(labels, 1, 1), /got 1/);
  });
});

describe("mulberry32 and shuffle", () => {
  it("repeats its sequence for a seed and stays in [0, 1)", () => {
    const a = mulberry32(5);
    const b = mulberry32(5);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  });

  it("shuffles into a permutation", () => {
    const a = shuffle(Uint32Array.from({ length: 100 }, (_, i) => i), mulberry32(1));
    assert.notDeepEqual([...a], Array.from({ length: 100 }, (_, i) => i));
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  });
});
