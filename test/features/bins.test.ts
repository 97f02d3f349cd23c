import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fitFeatureSpec, quantileEdges, QUANTILE_SAMPLE } from "../../sidecar/features/fit.ts";
import { compileFeaturizer, featurizeRows } from "../../sidecar/features/featurize.ts";
import type { FeatureConfig } from "../../sidecar/features/spec.ts";
import type { Fields } from "../../sidecar/sources/event.ts";

const config: FeatureConfig = {
  numeric: ["bytes_out"],
  categorical: ["transport"],
  derived: ["bytes_per_packet_out"],
  min_category_count: 1,
  max_categories: 10,
  histogram_bins: 4,
  numeric_bins: 4,
};
/** bytes_out 0..99 (log1p-transformed before binning), packets 1. */
const rows: Fields[] = Array.from({ length: 100 }, (_, i) => ({ bytes_out: String(i), packets_out: "1", transport: i % 2 ? "tcp" : "udp" }));

function row(spec: ReturnType<typeof fitFeatureSpec>, f: Fields): Record<string, number> {
  const out = new Float32Array(spec.columns.length).fill(NaN);
  compileFeaturizer(spec)(f, out, 0);
  return Object.fromEntries(spec.columns.map((c, j) => [c.name, out[j]!]));
}

describe("quantileEdges", () => {
  it("takes the 0, 1/k, …, 1 quantiles and merges repeated edges", () => {
    assert.deepEqual(quantileEdges(Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8]), 4), [0, 2, 4, 6, 8]);
    assert.deepEqual(quantileEdges(Float64Array.from([0, 0, 0, 0, 0, 0, 1, 5]), 4), [0, 5]);
    assert.deepEqual(quantileEdges(Float64Array.from([0, 0, 0, 0, 0, 1, 2, 3, 4]), 4), [0, 2, 4]);
  });

  it("gives no edges for a constant, an empty sample or zero bins", () => {
    assert.deepEqual(quantileEdges(Float64Array.from([3, 3, 3]), 4), []);
    assert.deepEqual(quantileEdges(new Float64Array(0), 4), []);
    assert.deepEqual(quantileEdges(Float64Array.from([1, 2]), 0), []);
  });
});

describe("quantile bin columns (numeric_bins)", () => {
  const spec = fitFeatureSpec(rows, config);

  it("appends one column per bin for each numeric field and numeric derived output, reading the same fields", () => {
    const names = spec.columns.map((c) => c.name);
    const base = ["bytes_out", "bytes_out:missing", "transport=tcp", "transport=udp", "transport:oov", "bytes_per_packet_out"];
    assert.deepEqual(names.slice(0, base.length), base);
    assert.deepEqual(names.slice(base.length), ["bytes_out:q1", "bytes_out:q2", "bytes_out:q3", "bytes_out:q4", "bytes_per_packet_out:q1", "bytes_per_packet_out:q2", "bytes_per_packet_out:q3", "bytes_per_packet_out:q4"]);
    assert.deepEqual(spec.columns.find((c) => c.name === "bytes_out:q2")!.fields, ["bytes_out"]);
    assert.deepEqual(spec.columns.find((c) => c.name === "bytes_per_packet_out:q1")!.fields, ["bytes_out", "packets_out"]);
    assert.equal(spec.numeric[0]!.bins!.length, 5);
    assert.equal(spec.numeric[0]!.bins![0], 0);
    assert.equal(spec.numeric[0]!.bins![4], Math.log1p(99));
  });

  it("encodes piecewise-linearly: 0 below a bin, 1 above it, the fraction inside it; all 0 when missing", () => {
    const e = spec.numeric[0]!.bins!;
    const at = (v: number) => row(spec, { bytes_out: String(Math.expm1(v)), packets_out: "1", transport: "tcp" });
    const mid = at((e[1]! + e[2]!) / 2);
    assert.equal(mid["bytes_out:q1"], 1);
    assert.ok(Math.abs(mid["bytes_out:q2"]! - 0.5) < 1e-5);
    assert.equal(mid["bytes_out:q3"], 0);
    assert.equal(mid["bytes_out:q4"], 0);
    const low = at(e[0]!);
    assert.deepEqual([low["bytes_out:q1"], low["bytes_out:q2"]], [0, 0]);
    const high = row(spec, { bytes_out: "1e9", packets_out: "1", transport: "tcp" });
    assert.deepEqual([high["bytes_out:q1"], high["bytes_out:q4"]], [1, 1], "beyond the training range saturates at 1");
    const missing = row(spec, { packets_out: "1", transport: "tcp" });
    assert.deepEqual([1, 2, 3, 4].map((t) => missing[`bytes_out:q${t}`]), [0, 0, 0, 0]);
    assert.equal(missing["bytes_out:missing"], 1);
  });

  it("changes nothing when numeric_bins is absent or 0: same columns, same spec", () => {
    const { numeric_bins: _n, ...without } = config;
    const a = fitFeatureSpec(rows, without);
    const b = fitFeatureSpec(rows, { ...config, numeric_bins: 0 });
    assert.equal(a.columns.length, 6);
    assert.ok(a.numeric.every((s) => s.bins === undefined));
    assert.deepEqual(b.columns.map((c) => c.name), a.columns.map((c) => c.name));
  });

  it("is deterministic and bounded: a stream longer than the sample gives the same edges on every fit", () => {
    const many: Fields[] = Array.from({ length: QUANTILE_SAMPLE + 5000 }, (_, i) => ({ bytes_out: String((i * 7919) % 100_003), packets_out: "1", transport: "tcp" }));
    const a = fitFeatureSpec(many, config);
    const b = fitFeatureSpec(many, config);
    assert.equal(a.hash, b.hash);
    assert.equal(a.numeric[0]!.bins!.length, 5);
    const x = featurizeRows(a, many.slice(0, 1000));
    assert.ok(x.every((v) => Number.isFinite(v)));
  });

  it("refuses a negative or fractional numeric_bins", () => {
    assert.throws(() => fitFeatureSpec(rows, { ...config, numeric_bins: -1 }), /numeric_bins must be an integer >= 0/);
    assert.throws(() => fitFeatureSpec(rows, { ...config, numeric_bins: 2.5 }), /numeric_bins must be an integer >= 0/);
  });
});
