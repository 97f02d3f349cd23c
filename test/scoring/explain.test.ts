import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../../sidecar/tf/index.ts";
import type { ColumnSpec, FeatureSpec } from "../../sidecar/features/spec.ts";
import type { Fields } from "../../sidecar/sources/event.ts";
import { explanationText } from "../../sidecar/pipeline/risk-event.ts";
import { distinctRows, Explainer } from "../../sidecar/scoring/explain.ts";
import { Scorer } from "../../sidecar/scoring/scorer.ts";
import { seeded, useWasm } from "./helpers.ts";

/** A spec shaped like featurize's: numerics with a missing flag, a derived ratio of two fields, a one-hot group. */
const COLUMNS: ColumnSpec[] = [
  { name: "duration", fields: ["duration"], mean: 0 },
  { name: "duration:missing", fields: ["duration"], mean: 0.1 },
  { name: "bytes_out", fields: ["bytes_out"], mean: 0 },
  { name: "packets_out", fields: ["packets_out"], mean: 0 },
  { name: "bytes_per_packet_out", fields: ["bytes_out", "packets_out"], mean: 0.05 },
  { name: "conn_state=SF", fields: ["conn_state"], mean: 0.7 },
  { name: "conn_state=S0", fields: ["conn_state"], mean: 0.2 },
  { name: "conn_state:oov", fields: ["conn_state"], mean: 0.1 },
];
const SPEC = {
  columns: COLUMNS,
  // dest_port is read by the spec but feeds no column: it can never be a reason.
  fields: ["duration", "bytes_out", "packets_out", "conn_state", "dest_port"],
  numeric: ["duration", "bytes_out", "packets_out"].map((field) => ({ field })),
} as unknown as FeatureSpec;
const WIDTH = COLUMNS.length;
const IDENTITY = { method: "platt", a: 1, b: 0 } as const;

/** A network whose output is sigmoid(w·x + b): contributions have a closed form to check against. */
const W = [0.8, 1.5, 0.3, 0.2, 0.6, -1.0, 1.2, 0.4];
const B = -0.5;
function linearModel(): tf.Sequential {
  const m = tf.sequential();
  const l1 = tf.layers.dense({ inputShape: [WIDTH], units: 2, activation: "linear" });
  const l2 = tf.layers.dense({ units: 1, activation: "sigmoid" });
  m.add(l1);
  m.add(l2);
  const k1 = new Float32Array(WIDTH * 2);
  W.forEach((w, i) => (k1[i * 2] = w));
  l1.setWeights([tf.tensor2d(k1, [WIDTH, 2]), tf.tensor1d([0, 0])]);
  l2.setWeights([tf.tensor2d([1, 0], [2, 1]), tf.tensor1d([B])]);
  return m;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
/** p(x) − p(x with the field's columns at their means), in float64. */
function expectedContribution(x: number[], field: string): number {
  const z = W.reduce((s, w, i) => s + w * x[i]!, B);
  const dz = COLUMNS.reduce((s, c, i) => (c.fields.includes(field) ? s + W[i]! * (x[i]! - c.mean) : s), 0);
  return sigmoid(z) - sigmoid(z - dz);
}

const EVENT_A: { x: number[]; fields: Fields } = {
  // duration 12.5 s, bytes_out 5000, packets_out 3, conn_state S0 (standardized values made up for the test).
  x: [2.0, 0, 1.0, -0.5, 1.2, 0, 1, 0],
  fields: { duration: "12.5", bytes_out: 5000, packets_out: "3", conn_state: "S0", dest_port: "443" },
};
const EVENT_B: { x: number[]; fields: Fields } = {
  // duration missing, conn_state REJ (out of vocabulary).
  x: [0, 1, -0.3, 0.4, -0.2, 0, 0, 1],
  fields: { bytes_out: "12", packets_out: 1, conn_state: "REJ" },
};

describe("Explainer", () => {
  before(useWasm);

  it("explains only source fields that feed a column, in spec order", () => {
    const e = new Explainer(SPEC);
    assert.deepEqual(e.fields, ["duration", "bytes_out", "packets_out", "conn_state"]);
    assert.equal(e.variantsPerEvent, 5);
  });

  it("builds one variant per field with that field's columns at the training mean", () => {
    const e = new Explainer(SPEC);
    const v = e.occlude(Float32Array.from(EVENT_A.x), 1);
    const rows = Array.from({ length: 5 }, (_, i) => Array.from(v.subarray(i * WIDTH, (i + 1) * WIDTH)));
    assert.deepEqual(rows[0], EVENT_A.x.map(Math.fround));
    assert.deepEqual(rows[1], [0, 0.1, 1.0, -0.5, 1.2, 0, 1, 0].map(Math.fround)); // duration
    assert.deepEqual(rows[2], [2.0, 0, 0, -0.5, 0.05, 0, 1, 0].map(Math.fround)); // bytes_out, and the ratio it feeds
    assert.deepEqual(rows[3], [2.0, 0, 1.0, 0, 0.05, 0, 1, 0].map(Math.fround)); // packets_out, and the ratio
    assert.deepEqual(rows[4], [2.0, 0, 1.0, -0.5, 1.2, 0.7, 0.2, 0.1].map(Math.fround)); // the whole one-hot group
  });

  it("sums one-hot and derived columns into their source field, sorted descending, values in original units", async () => {
    const scorer = Scorer.fromModel(linearModel(), { calibration: IDENTITY });
    const e = new Explainer(SPEC);
    const x = Float32Array.from([...EVENT_A.x, ...EVENT_B.x]);
    const [a, b] = await e.explain(x, 2, [EVENT_A, EVENT_B], (v, n) => scorer.score(v, n));

    for (const [top, ev] of [[a!, EVENT_A], [b!, EVENT_B]] as const) {
      const expected = e.fields
        .map((f) => ({ feature: f, c: expectedContribution(ev.x, f) }))
        .filter((t) => t.c > 0)
        .sort((p, q) => q.c - p.c);
      assert.deepEqual(top.map((t) => t.feature), expected.map((t) => t.feature));
      top.forEach((t, i) => assert.ok(Math.abs(t.contribution - expected[i]!.c) < 2e-6, `${t.feature}: ${t.contribution} vs ${expected[i]!.c}`));
      for (let i = 1; i < top.length; i++) assert.ok(top[i - 1]!.contribution >= top[i]!.contribution);
    }
    // Event A: conn_state sums its three one-hot columns (S0 on, SF off); bytes_out and packets_out each get
    // the ratio column they feed. Values come back in original units, numeric strings as numbers.
    assert.deepEqual(a!.map((t) => [t.feature, t.value]), [
      ["conn_state", "S0"],
      ["duration", 12.5],
      ["bytes_out", 5000],
      ["packets_out", 3],
    ]);
    // Event B: bytes_out and packets_out pull the score down, so they are not reasons; missing duration is.
    assert.deepEqual(b!.map((t) => [t.feature, t.value]), [
      ["duration", null],
      ["conn_state", "REJ"],
    ]);
    assert.equal(
      explanationText(a!),
      a!.map((t) => `${t.feature}=${t.value} (+${t.contribution.toFixed(2)})`).join(", "),
    );
    assert.match(explanationText(b!), /^duration=missing \(\+0\.\d\d\), conn_state=REJ \(\+0\.\d\d\)$/);
  });

  it("keeps at most topK fields", async () => {
    const scorer = Scorer.fromModel(linearModel(), { calibration: IDENTITY });
    const [top] = await new Explainer(SPEC, { topK: 2 }).explain(Float32Array.from(EVENT_A.x), 1, [EVENT_A], (v, n) => scorer.score(v, n));
    assert.deepEqual(top!.map((t) => t.feature), ["conn_state", "duration"]);
  });

  it("gives the same explanations when the events are scored in several passes", async () => {
    const scorer = Scorer.fromModel(linearModel(), { calibration: IDENTITY });
    const x = Float32Array.from([...EVENT_A.x, ...EVENT_B.x, ...EVENT_A.x]);
    const events = [EVENT_A, EVENT_B, EVENT_A];
    const calls: number[] = [];
    const score = (v: Float32Array, n: number): Float32Array => {
      calls.push(n);
      return scorer.score(v, n);
    };
    const one = await new Explainer(SPEC).explain(x, 3, events, score);
    assert.deepEqual(calls, [15]);
    const many = await new Explainer(SPEC, { maxRowsPerPass: 10 }).explain(x, 3, events, score);
    assert.deepEqual(calls, [15, 10, 5]);
    assert.deepEqual(many, one);
  });

  it("puts a field forced to an extreme value on top, for a trained network", async () => {
    // Attacks in this toy data are long connections in state S0; the other columns are noise.
    const random = seeded(42);
    const n = 2000;
    const x = new Float32Array(n * WIDTH);
    const y = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      const o = r * WIDTH;
      for (let c = 0; c < 4; c++) x[o + c] = random() * 4 - 2;
      x[o + 4] = x[o + 2]! - x[o + 3]!;
      x[o + 5 + Math.floor(random() * 3)] = 1;
      y[r] = x[o]! > 1 && x[o + 6] === 1 ? 1 : 0;
    }
    const model = tf.sequential();
    model.add(tf.layers.dense({ inputShape: [WIDTH], units: 16, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    model.add(tf.layers.dense({ units: 1, activation: "sigmoid", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    model.compile({ optimizer: tf.train.adam(0.05), loss: "binaryCrossentropy" });
    const xs = tf.tensor2d(x, [n, WIDTH]);
    const ys = tf.tensor2d(y, [n, 1]);
    await model.fit(xs, ys, { epochs: 30, batchSize: 128, shuffle: false, verbose: 0 });
    tf.dispose([xs, ys]);

    const scorer = Scorer.fromModel(model, { calibration: IDENTITY });
    const extreme = Float32Array.from([6, 0, 0.1, -0.2, 0.3, 0, 1, 0]);
    assert.ok(scorer.score(extreme, 1)[0]! > 0.9, "the toy model learned the rule");
    const fields: Fields = { duration: 86400, bytes_out: 300, packets_out: 2, conn_state: "S0" };
    const [top] = await new Explainer(SPEC).explain(extreme, 1, [{ fields }], (v, k) => scorer.score(v, k));
    assert.equal(top![0]!.feature, "duration");
    assert.equal(top![0]!.value, 86400);
    assert.ok(top![0]!.contribution > 0.5, `duration contributes ${top![0]!.contribution}`);
  });
  it("gives the same lists through top + fromTop (what the pool's workers run) as through explain", async () => {
    const scorer = Scorer.fromModel(linearModel(), { calibration: IDENTITY });
    const x = Float32Array.from([...EVENT_A.x, ...EVENT_B.x, ...EVENT_A.x]);
    const events = [EVENT_A, EVENT_B, EVENT_A];
    for (const topK of [1, 2, 5]) {
      for (const maxRowsPerPass of [10, 16_384]) {
        const e = new Explainer(SPEC, { topK, maxRowsPerPass });
        const expected = await e.explain(x, 3, events, (v, n) => scorer.score(v, n));
        const top = e.top(x, 3, (v, n) => scorer.score(v, n));
        assert.equal(top.k, topK);
        assert.deepEqual(e.fromTop(top, events), expected, `topK ${topK}, ${maxRowsPerPass} rows per pass`);
        // Unused slots say so: event B has two reasons only.
        if (topK === 5) assert.deepEqual(Array.from(top.fields.subarray(5, 10)), [0, 3, -1, -1, -1]);
      }
    }
  });

  it("breaks ties between equal contributions in spec order and drops contributions that round to zero", () => {
    const e = new Explainer(SPEC, { topK: 3 });
    // Variants: the event, then without duration, bytes_out, packets_out, conn_state.
    const p = Float32Array.from([1, 0.5, 0.75, 0.5, 1 - 4e-7]);
    assert.deepEqual(
      e.rank(p, 0, EVENT_A.fields).map((t) => [t.feature, t.contribution]),
      [
        ["duration", 0.5],
        ["packets_out", 0.5],
        ["bytes_out", 0.25],
      ],
    );
    const tiny = Float32Array.from([1, 1, 1, 1, 1 - 4e-7]);
    assert.deepEqual(e.rank(tiny, 0, EVENT_A.fields), []);
  });
  it("shows a numeric field's value as the featurizer read it: blank is null (missing), garbage is shown as it came in, never 0", () => {
    const e = new Explainer(SPEC, { topK: 4 });
    // Variants: the event, then without duration, bytes_out, packets_out, conn_state; all four are reasons.
    const p = Float32Array.from([1, 0.6, 0.7, 0.8, 0.9]);
    const top = e.rank(p, 0, { duration: "  ", bytes_out: "12abc", packets_out: " 7 ", conn_state: " S0 " });
    assert.deepEqual(top.map((t) => [t.feature, t.value]), [
      ["duration", null],
      ["bytes_out", "12abc"],
      ["packets_out", 7],
      ["conn_state", " S0 "],
    ]);
    assert.match(explanationText(top), /^duration=missing \(\+0\.40\), bytes_out=12abc \(\+0\.30\), packets_out=7 /);
  });

  it("explains identical rows once per call and gives each its own list", async () => {
    const scorer = Scorer.fromModel(linearModel(), { calibration: IDENTITY });
    const x = Float32Array.from([...EVENT_A.x, ...EVENT_B.x, ...EVENT_A.x, ...EVENT_A.x, ...EVENT_B.x]);
    const events = [EVENT_A, EVENT_B, EVENT_A, EVENT_A, EVENT_B];
    const e = new Explainer(SPEC);
    const calls: number[] = [];
    const top = e.top(x, 5, (v, n) => {
      calls.push(n);
      return scorer.score(v, n);
    });
    assert.deepEqual(calls, [2 * e.variantsPerEvent]);
    assert.deepEqual(e.fromTop(top, events), await e.explain(x, 5, events, (v, n) => scorer.score(v, n)));
  });

  it("finds distinct rows bit for bit", () => {
    const x = Float32Array.from([1, 2, 3, 4, 1, 2, 0, 0, -0, 0, 3, 4]);
    const { first, of } = distinctRows(x, 6, 2);
    assert.deepEqual(Array.from(first), [0, 1, 3, 4]);
    assert.deepEqual(Array.from(of), [0, 1, 0, 2, 3, 1]);
  });
});
