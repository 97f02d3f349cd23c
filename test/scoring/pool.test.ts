import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Worker } from "node:worker_threads";
import { extractDense, type DenseNet } from "../../sidecar/scoring/dense.ts";
import { Explainer, type ExplainerSpec } from "../../sidecar/scoring/explain.ts";
import { ScoringPool } from "../../sidecar/scoring/pool.ts";
import { Scorer } from "../../sidecar/scoring/scorer.ts";
import { defaultModel, featureRows, sameBits, useWasm } from "./helpers.ts";

const WIDTH = 70;
const CALIBRATION = { method: "platt", a: 1.3, b: -0.2 } as const;
/** 70 columns over 9 fields; every seventh column is derived from two fields. */
const SPEC: ExplainerSpec = {
  columns: Array.from({ length: WIDTH }, (_, i) => ({
    name: `c${i}`,
    fields: i % 7 === 6 ? [`f${i % 9}`, `f${(i + 1) % 9}`] : [`f${i % 9}`],
    mean: ((i % 5) - 2) / 4,
  })),
  fields: Array.from({ length: 9 }, (_, i) => `f${i}`),
  numeric: [],
} as unknown as ExplainerSpec;

describe("ScoringPool", () => {
  let pool: ScoringPool;
  let scorer: Scorer;
  let net: DenseNet;

  before(async () => {
    await useWasm();
    net = extractDense(defaultModel(WIDTH, 3));
    scorer = new Scorer({ net, metadata: { calibration: CALIBRATION } });
    pool = await ScoringPool.create({ net, calibration: CALIBRATION, size: 2, backend: "wasm" });
  });
  after(() => pool.close());

  it("starts the requested number of workers on the requested backend", () => {
    assert.equal(pool.size, 2);
    assert.equal(pool.backend, "wasm");
    assert.equal(pool.width, WIDTH);
  });

  it("gives bit-identical probabilities to the single-thread scorer", async () => {
    const x = featureRows(20_000, WIDTH, 1);
    const expected = scorer.score(x, 20_000);
    const got = await pool.score(x.slice(), 20_000);
    assert.ok(sameBits(got, expected));
    const raw = await pool.scoreRaw(x.slice(), 20_000);
    assert.ok(sameBits(raw, scorer.scoreRaw(x, 20_000)));
  });

  it("answers each of many concurrent calls with its own batch's results", async () => {
    const sizes = [1, 500, 37, 4096, 3, 1000, 8192, 250, 64, 2];
    const batches = sizes.map((n, i) => featureRows(n, WIDTH, 100 + i));
    const expected = batches.map((x, i) => scorer.score(x, sizes[i]!));
    const inFlight = batches.map((x, i) => pool.score(x, sizes[i]!));
    const results: Float32Array[] = [];
    for (const p of inFlight) results.push(await p);
    results.forEach((r, i) => assert.ok(sameBits(r, expected[i]!), `call ${i} (${sizes[i]} rows)`));
  });

  it("transfers a batch that owns its buffer and copies a view into a larger one", async () => {
    const owned = featureRows(10, WIDTH, 5);
    const p1 = pool.score(owned, 10);
    assert.equal(owned.length, 0, "the buffer moved to the worker");
    assert.equal((await p1).length, 10);

    const big = featureRows(20, WIDTH, 6);
    const view = big.subarray(5 * WIDTH, 15 * WIDTH);
    const p2 = await pool.score(view, 10);
    assert.equal(view.length, 10 * WIDTH, "a view is copied, not detached");
    assert.ok(sameBits(p2, scorer.score(view, 10)));
  });

  it("explains in the workers exactly as Explainer.top does with the single-thread scorer's log-odds", async () => {
    const local = await ScoringPool.create({ net, calibration: CALIBRATION, size: 2, backend: "wasm", explain: { spec: SPEC, topK: 4 } });
    try {
      const explainer = new Explainer(SPEC, { topK: 4 });
      const sizes = [1, 300, 2000, 7];
      const batches = sizes.map((n, i) => featureRows(n, WIDTH, 200 + i));
      const expected = batches.map((x, i) => explainer.top(x, sizes[i]!, (v, n) => scorer.scoreLogit(v, n)));
      const got = await Promise.all(batches.map((x, i) => local.explain(x.slice(), sizes[i]!)));
      got.forEach((g, i) => {
        assert.equal(g.rows, sizes[i]);
        assert.equal(g.k, 4);
        assert.deepEqual(g.fields, expected[i]!.fields, `call ${i}`);
        assert.deepEqual(g.contributions, expected[i]!.contributions, `call ${i}`);
      });
      assert.ok(got.some((g) => g.fields.some((f) => f >= 0)), "some rows have reasons");
      assert.deepEqual(await local.explain(new Float32Array(0), 0), { rows: 0, k: 4, fields: new Int16Array(0), contributions: new Float64Array(0) });
    } finally {
      await local.close();
    }
  });

  it("assesses a batch in one call: probabilities, the rows at or above the risk score, their top fields", async () => {
    const local = await ScoringPool.create({ net, calibration: CALIBRATION, size: 1, backend: "wasm", explain: { spec: SPEC, topK: 3 } });
    try {
      const explainer = new Explainer(SPEC, { topK: 3 });
      const x = featureRows(3000, WIDTH, 300);
      const a = await local.assess(x.slice(), 3000, 60);
      assert.ok(sameBits(a.probs, scorer.score(x, 3000)));
      const expected = explainer.assess(x, 3000, 60, (v, n) => scorer.score(v, n), (v, n) => scorer.scoreLogit(v, n));
      assert.deepEqual(a.keep, expected.keep);
      assert.ok(a.keep.length > 0 && a.keep.length < 3000, `${a.keep.length} rows kept`);
      for (const i of a.keep) assert.ok(Math.round(100 * a.probs[i]!) >= 60);
      assert.deepEqual(a.top, expected.top);
    } finally {
      await local.close();
    }
  });

  it("refuses to explain when created without an explainer", async () => {
    await assert.rejects(pool.explain(featureRows(1, WIDTH, 1), 1), /created without `explain`/);
    await assert.rejects(pool.assess(featureRows(1, WIDTH, 1), 1, 20), /created without `explain`/);
  });

  it("rejects a batch of the wrong size without sending it", async () => {
    await assert.rejects(pool.score(new Float32Array(WIDTH * 2 + 1), 2), /expected 2 rows of 70 columns \(140 values\), got 141/);
    assert.deepEqual(await pool.score(new Float32Array(0), 0), new Float32Array(0));
  });

  it("rejects the calls a dead worker held with a clear message and keeps serving", async () => {
    const local = await ScoringPool.create({ net, calibration: CALIBRATION, size: 1, backend: "wasm" });
    try {
      const pending = local.score(featureRows(50_000, WIDTH, 7), 50_000);
      const slots = (local as unknown as { slots: { worker: Worker }[] }).slots;
      await slots[0]!.worker.terminate();
      await assert.rejects(pending, /^Error: scoring worker 0 exited with code 1$/);
      // The replacement starts on demand and answers correctly.
      const x = featureRows(100, WIDTH, 8);
      assert.ok(sameBits(await local.score(x.slice(), 100), scorer.score(x, 100)));
    } finally {
      await local.close();
    }
  });

  it("fails to start with the worker's reason when a worker cannot build its scorer", async () => {
    await assert.rejects(
      ScoringPool.create({ net, calibration: { method: "platt", a: Number.NaN, b: 0 }, size: 1, backend: "wasm" }),
      /^Error: scoring worker 0 could not start: unsupported calibration/,
    );
  });

  it("survives close: idempotent, and pending and later calls reject", async () => {
    const local = await ScoringPool.create({ net, calibration: CALIBRATION, size: 2, backend: "wasm" });
    const pending = local.score(featureRows(50_000, WIDTH, 9), 50_000);
    await Promise.all([local.close(), local.close()]);
    await assert.rejects(pending, /the scoring pool was closed/);
    await assert.rejects(local.score(featureRows(1, WIDTH, 1), 1), /the scoring pool is closed/);
    await local.close();
  });
});
