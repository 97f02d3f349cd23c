import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fitFeatureSpec, specHash } from "../../sidecar/features/fit.ts";
import { compileFeaturizer, featurizeRows, missingFields } from "../../sidecar/features/featurize.ts";
import { DEFAULT_FEATURE_CONFIG, inferFeatureConfig } from "../../sidecar/features/defaults.ts";
import type { FeatureConfig } from "../../sidecar/features/spec.ts";
import type { Fields } from "../../sidecar/sources/event.ts";

const config: FeatureConfig = {
  numeric: ["bytes_out"],
  categorical: ["transport"],
  derived: [],
  min_category_count: 2,
  max_categories: 10,
  histogram_bins: 4,
};
const rows: Fields[] = [
  { bytes_out: "0", transport: "tcp" },
  { bytes_out: 9, transport: "TCP" },
  { bytes_out: "99", transport: "udp" },
  { transport: "udp" },
  { bytes_out: "abc", transport: "icmp" },
];

function row(spec: ReturnType<typeof fitFeatureSpec>, f: Fields): number[] {
  const out = new Float32Array(spec.columns.length).fill(NaN);
  compileFeaturizer(spec)(f, out, 0);
  return [...out];
}

describe("fitFeatureSpec", () => {
  const spec = fitFeatureSpec(rows, config);

  it("fits log1p mean and std over the numbers only, and counts garbage as missing", () => {
    const s = spec.numeric[0]!;
    const t = [Math.log1p(0), Math.log1p(9), Math.log1p(99)];
    const mean = t.reduce((a, b) => a + b) / 3;
    const std = Math.sqrt(t.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
    assert.ok(Math.abs(s.mean - mean) < 1e-12);
    assert.ok(Math.abs(s.std - std) < 1e-12);
    assert.equal(s.missing_rate, 2 / 5);
    assert.equal(s.histogram.counts.reduce((a, b) => a + b), 3);
    assert.equal(s.histogram.edges.length, 5);
  });

  it("keeps categories seen min_category_count times, case-folded, with the rest in :oov", () => {
    assert.deepEqual(spec.categorical[0]!.vocabulary, ["tcp", "udp"]);
    assert.deepEqual(spec.categorical[0]!.counts, [2, 2]);
    assert.equal(spec.categorical[0]!.oov_count, 1);
    assert.deepEqual(
      spec.columns.map((c) => c.name),
      ["bytes_out", "bytes_out:missing", "transport=tcp", "transport=udp", "transport:oov"],
    );
  });

  it("records each column's training mean as the explanation baseline", () => {
    const byName = Object.fromEntries(spec.columns.map((c) => [c.name, c.mean]));
    assert.ok(Math.abs(byName["bytes_out"]!) < 1e-6);
    assert.ok(Math.abs(byName["bytes_out:missing"]! - 0.4) < 1e-6);
    assert.ok(Math.abs(byName["transport=tcp"]! - 0.4) < 1e-6);
    assert.ok(Math.abs(byName["transport:oov"]! - 0.2) < 1e-6);
  });

  it("hashes the spec stably and changes the hash when a statistic changes", () => {
    assert.equal(spec.hash, specHash(spec));
    assert.equal(fitFeatureSpec(rows, config).hash, spec.hash);
    const changed = fitFeatureSpec([...rows, { bytes_out: "1000", transport: "tcp" }], config);
    assert.notEqual(changed.hash, spec.hash);
    assert.match(spec.hash, /^[0-9a-f]{64}$/);
  });
});

describe("featurize", () => {
  const spec = fitFeatureSpec(rows, config);

  it("gives the same row for a number and its string", () => {
    assert.deepEqual(row(spec, { bytes_out: 9, transport: "tcp" }), row(spec, { bytes_out: "9", transport: "tcp" }));
  });

  it("imputes missing and garbage numbers to the mean with the missing flag set", () => {
    for (const v of [undefined, "", "-", "12abc", "NaN", Number.NaN, Number.POSITIVE_INFINITY]) {
      const r = row(spec, { bytes_out: v, transport: "tcp" });
      assert.deepEqual(r.slice(0, 2), [0, 1], `value ${String(v)}`);
    }
    const r = row(spec, { bytes_out: "99", transport: "tcp" });
    assert.equal(r[1], 0);
    assert.ok(r[0]! > 0);
  });

  it("sends unknown and missing categories to the out-of-vocabulary column", () => {
    assert.deepEqual(row(spec, { bytes_out: 1, transport: "sctp" }).slice(2), [0, 0, 1]);
    assert.deepEqual(row(spec, { bytes_out: 1 }).slice(2), [0, 0, 1]);
    assert.deepEqual(row(spec, { bytes_out: 1, transport: " UDP " }).slice(2), [0, 1, 0]);
  });

  it("writes every column, so a reused buffer never leaks values between events", () => {
    const out = new Float32Array(spec.columns.length);
    const f = compileFeaturizer(spec);
    f({ bytes_out: 1, transport: "tcp" }, out, 0);
    f({ transport: "udp" }, out, 0);
    assert.deepEqual([...out], row(spec, { transport: "udp" }));
  });

  it("lays rows out row-major in featurizeRows", () => {
    const x = featurizeRows(spec, [rows[0]!, rows[2]!]);
    assert.deepEqual([...x.subarray(5, 10)], row(spec, rows[2]!));
  });

  it("names the source fields an input lacks", () => {
    assert.deepEqual(missingFields(spec, ["transport"]), ["bytes_out"]);
    assert.deepEqual(missingFields(spec, ["transport", "bytes_out", "x"]), []);
  });
});

describe("derived features", () => {
  const flowRows: Fields[] = [
    { bytes_out: "100", packets_out: "4", bytes_in: "0", packets_in: "0", dest_port: "23", history: "S", duration: "0" },
    { bytes_out: "10", packets_out: "1", bytes_in: "500", packets_in: "5", dest_port: "52000", history: "ShADadFf", duration: "1.5" },
  ];
  const spec = fitFeatureSpec(flowRows, { ...config, numeric: [], categorical: [], derived: ["dest_port_class", "history_flags", "zero_payload", "duration_zero", "bytes_per_packet_out"] });
  const col = (name: string, f: Fields) => row(spec, f)[spec.columns.findIndex((c) => c.name === name)];

  it("classes destination ports and flags notable services", () => {
    assert.equal(col("dest_port:well_known", flowRows[0]!), 1);
    assert.equal(col("dest_port:telnet", flowRows[0]!), 1);
    assert.equal(col("dest_port:dynamic", flowRows[1]!), 1);
    assert.equal(col("dest_port:missing", {}), 1);
  });

  it("turns Zeek history letters into case-sensitive flags", () => {
    assert.equal(col("history:S", flowRows[0]!), 1);
    assert.equal(col("history:h", flowRows[0]!), 0);
    assert.equal(col("history:d", flowRows[1]!), 1);
    assert.equal(col("history:D", flowRows[1]!), 1);
  });

  it("flags zero payload and zero duration", () => {
    assert.equal(col("zero_payload", { bytes_in: "0", bytes_out: "0" }), 1);
    assert.equal(col("zero_payload", flowRows[1]!), 0);
    assert.equal(col("duration_zero", flowRows[0]!), 1);
  });

  it("attributes every derived column to the source fields it reads", () => {
    const c = spec.columns.find((x) => x.name === "bytes_per_packet_out")!;
    assert.deepEqual(c.fields, ["bytes_out", "packets_out"]);
    assert.ok(spec.fields.includes("history") && spec.fields.includes("dest_port"));
  });
});

describe("feature defaults", () => {
  it("never uses identifiers, addresses or times as features", () => {
    const fields = ["ts", "uid", "src_ip", "dest_ip", "src_port", "dest_port", "duration", "transport", "label", "detailed_label"];
    const sample: Fields[] = [{ ts: "1.5", uid: "Cx", src_ip: "10.0.0.1", dest_ip: "10.0.0.2", src_port: "5", dest_port: "80", duration: "1", transport: "tcp" }];
    const c = inferFeatureConfig(fields, sample);
    assert.deepEqual(c.numeric, ["duration"]);
    assert.deepEqual(c.categorical, ["transport"]);
    assert.ok(c.derived.includes("dest_port_class"));
    for (const f of ["ts", "uid", "src_ip", "dest_ip", "src_port", "label"]) {
      assert.ok(!DEFAULT_FEATURE_CONFIG.numeric.includes(f) && !DEFAULT_FEATURE_CONFIG.categorical.includes(f));
    }
  });
});
