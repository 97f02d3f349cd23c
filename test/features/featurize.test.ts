import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fitFeatureSpec } from "../../sidecar/features/fit.ts";
import { compileFeaturizer, featurizeRows, missingFields } from "../../sidecar/features/featurize.ts";
import { DEFAULT_FEATURE_CONFIG } from "../../sidecar/features/defaults.ts";
import type { FeatureConfig, FeatureSpec } from "../../sidecar/features/spec.ts";
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

function row(spec: FeatureSpec, f: Fields): number[] {
  const out = new Float32Array(spec.columns.length).fill(NaN);
  compileFeaturizer(spec)(f, out, 0);
  return [...out];
}

/** Zeek-like flows over every default feature. */
const flows: Fields[] = Array.from({ length: 40 }, (_, i) => ({
  duration: String((i % 7) * 0.25),
  bytes_in: String(i * 37),
  bytes_out: String(i * 11 + 1),
  packets_in: String(i % 5),
  packets_out: String((i % 3) + 1),
  missed_bytes: "0",
  orig_ip_bytes: String(i * 11 + 41),
  resp_ip_bytes: String(i * 37 + 40),
  transport: ["tcp", "udp", "icmp"][i % 3],
  app: i % 4 === 0 ? undefined : ["dns", "http", "ssl"][i % 3],
  conn_state: ["S0", "SF", "REJ", "OTH"][i % 4],
  dest_port: ["23", "80", "443", "53", "60000"][i % 5],
  history: ["S", "ShADadFf", "Dd", "ShR"][i % 4],
}));
const NUMERIC_FIELDS = DEFAULT_FEATURE_CONFIG.numeric;

describe("featurize", () => {
  const spec = fitFeatureSpec(rows, config);
  const flowSpec = fitFeatureSpec(flows, DEFAULT_FEATURE_CONFIG);

  it("gives the same row for numbers and their strings, over every default feature", () => {
    for (const f of flows) {
      const asNumbers: Fields = { ...f };
      for (const k of [...NUMERIC_FIELDS, "dest_port"]) if (f[k] !== undefined) asNumbers[k] = Number(f[k]);
      assert.deepEqual(row(flowSpec, asNumbers), row(flowSpec, f));
    }
    assert.deepEqual(row(spec, { bytes_out: 9, transport: "tcp" }), row(spec, { bytes_out: "9", transport: "tcp" }));
  });

  it("imputes missing and garbage numbers to the mean with the missing flag set", () => {
    for (const v of [undefined, "", " ", "-", "12abc", "NaN", "Infinity", Number.NaN, Number.POSITIVE_INFINITY]) {
      const r = row(spec, { bytes_out: v, transport: "tcp" });
      assert.deepEqual(r.slice(0, 2), [0, 1], `value ${String(v)}`);
    }
    const s = spec.numeric[0]!;
    const r = row(spec, { bytes_out: "99", transport: "tcp" });
    assert.equal(r[0], Math.fround((Math.log1p(99) - s.mean) / s.std));
    assert.equal(r[1], 0);
    const neg = row(spec, { bytes_out: "-99", transport: "tcp" });
    assert.equal(neg[0], Math.fround((-Math.log1p(99) - s.mean) / s.std), "sign-preserving log1p");
  });

  it("treats a blank string as missing (missing flag set), not as 0", () => {
    const blank = row(spec, { bytes_out: "  ", transport: "tcp" });
    assert.deepEqual(blank.slice(0, 2), [0, 1], "standardized 0 (the training mean) with the missing flag");
    assert.deepEqual(blank, row(spec, { transport: "tcp" }), "the same row as an absent field");
    const zero = row(spec, { bytes_out: "0", transport: "tcp" });
    assert.equal(zero[1], 0, "a real 0 is not missing");
    assert.notDeepEqual(blank, zero);
  });

  it("treats garbage in every numeric field of a flow exactly like the field being absent", () => {
    const f = flows[5]!;
    for (const k of NUMERIC_FIELDS) {
      const absent = { ...f, [k]: undefined };
      for (const g of ["12abc", "-", "", "  ", "NaN", "1e999", Number.NaN]) assert.deepEqual(row(flowSpec, { ...f, [k]: g }), row(flowSpec, absent), `${k}=${String(g)}`);
    }
  });

  it("sends unknown and missing categories to the out-of-vocabulary column, after trimming and lower-casing", () => {
    assert.deepEqual(row(spec, { bytes_out: 1, transport: "sctp" }).slice(2), [0, 0, 1]);
    assert.deepEqual(row(spec, { bytes_out: 1 }).slice(2), [0, 0, 1]);
    assert.deepEqual(row(spec, { bytes_out: 1, transport: "" }).slice(2), [0, 0, 1]);
    assert.deepEqual(row(spec, { bytes_out: 1, transport: " UDP " }).slice(2), [0, 1, 0]);
    assert.deepEqual(row(spec, { bytes_out: 1, transport: "Tcp" }).slice(2), [1, 0, 0]);
  });

  it("gives the same answer for a raw spelling before and after it is remembered, and past the memory limit", () => {
    const f = compileFeaturizer(spec);
    const out = new Float32Array(spec.columns.length);
    const cat = (v: string) => {
      f({ bytes_out: 1, transport: v }, out, 0);
      return [...out.slice(2)];
    };
    assert.deepEqual(cat("UDP"), [0, 1, 0]);
    assert.deepEqual(cat("UDP"), [0, 1, 0]);
    for (let i = 0; i < 3000; i++) assert.deepEqual(cat(`proto${i}`), [0, 0, 1]);
    assert.deepEqual(cat(" TCP"), [1, 0, 0]);
    assert.deepEqual(cat("proto7"), [0, 0, 1]);
  });

  it("writes every column, so a reused buffer never leaks values between events", () => {
    const out = new Float32Array(flowSpec.columns.length);
    const f = compileFeaturizer(flowSpec);
    f(flows[1]!, out, 0);
    f({}, out, 0);
    assert.deepEqual([...out], row(flowSpec, {}));
    assert.ok(out.every((v) => Number.isFinite(v)));
  });

  it("writes only its own row at an offset, and featurizeRows lays rows out row-major", () => {
    const w = spec.columns.length;
    const out = new Float32Array(3 * w).fill(7);
    compileFeaturizer(spec)(rows[2]!, out, w);
    assert.deepEqual([...out.subarray(0, w)], new Array(w).fill(7));
    assert.deepEqual([...out.subarray(w, 2 * w)], row(spec, rows[2]!));
    assert.deepEqual([...out.subarray(2 * w)], new Array(w).fill(7));
    const x = featurizeRows(spec, [rows[0]!, rows[2]!]);
    assert.equal(x.length, 2 * w);
    assert.deepEqual([...x.subarray(w, 2 * w)], row(spec, rows[2]!));
  });

  it("puts the derived columns after the numeric and categorical ones, as the spec lists them", () => {
    const r = row(flowSpec, { ...flows[0]!, dest_port: "23", history: "S" });
    const at = (name: string) => r[flowSpec.columns.findIndex((c) => c.name === name)];
    assert.equal(at("dest_port:telnet"), 1);
    assert.equal(at("dest_port:well_known"), 1);
    assert.equal(at("history:S"), 1);
    assert.equal(at("history:h"), 0);
    const firstDerived = flowSpec.columns.findIndex((c) => c.name === "bytes_per_packet_out");
    assert.equal(firstDerived, 2 * NUMERIC_FIELDS.length + flowSpec.categorical.reduce((n, c) => n + c.vocabulary.length + 1, 0));
  });

  it("refuses a spec whose statistics do not give the columns it lists, or that names an unknown derived feature", () => {
    assert.throws(() => compileFeaturizer({ ...spec, columns: spec.columns.slice(1) }), /statistics give 5 columns but it lists 4/);
    assert.throws(() => compileFeaturizer({ ...flowSpec, derived_numeric: [] }), /lacks statistics for derived column bytes_per_packet_out/);
    assert.throws(() => compileFeaturizer({ ...spec, derived: ["future_feature"] }), /unknown derived feature "future_feature"/);
  });
});

describe("missingFields", () => {
  const spec = fitFeatureSpec(flows, DEFAULT_FEATURE_CONFIG);

  it("names the spec's source fields an input lacks, sorted", () => {
    assert.deepEqual(missingFields(spec, ["duration", "bytes_in", "bytes_out", "packets_in", "packets_out", "transport"]), [
      "app",
      "conn_state",
      "dest_port",
      "history",
      "missed_bytes",
      "orig_ip_bytes",
      "resp_ip_bytes",
    ]);
    assert.deepEqual(missingFields(spec, new Set([...spec.fields, "src_ip"])), []);
    assert.deepEqual(missingFields({ fields: ["b", "a"] }, []), ["a", "b"]);
  });
});
