import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fitFeatureSpec, specHash } from "../../sidecar/features/fit.ts";
import { featurizeRows } from "../../sidecar/features/featurize.ts";
import { canonicalJson } from "../../sidecar/features/hash.ts";
import { DEFAULT_FEATURE_CONFIG } from "../../sidecar/features/defaults.ts";
import type { FeatureConfig, FeatureSpec } from "../../sidecar/features/spec.ts";
import type { Fields } from "../../sidecar/sources/event.ts";
import { mulberry32 } from "../../sidecar/training/random.ts";

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

const config: FeatureConfig = {
  numeric: ["duration"],
  categorical: ["transport"],
  derived: ["bytes_ratio"],
  min_category_count: 2,
  max_categories: 10,
  histogram_bins: 3,
};
// Hand-computed below: duration log1p values {0, ln 4}, two missing (garbage and absent);
// bytes_ratio {0, ln 10, −ln 10}, one missing; transport tcp ×2, udp ×1, (missing) ×1.
const rows: Fields[] = [
  { duration: "0", transport: "tcp", bytes_in: "0", bytes_out: "0" },
  { duration: 3, transport: "TCP ", bytes_in: "99", bytes_out: "9" },
  { duration: "e", transport: "udp", bytes_in: "9", bytes_out: "99" },
  { bytes_in: "9" },
];

describe("fitFeatureSpec on a hand-computed example", () => {
  const spec = fitFeatureSpec(rows, config);

  it("fits sign-log1p mean, population std, missing rate and histogram of a numeric field", () => {
    const s = spec.numeric[0]!;
    const ln4 = Math.log(4);
    assert.equal(s.field, "duration");
    assert.equal(s.transform, "log1p");
    close(s.mean, ln4 / 2);
    close(s.std, ln4 / 2);
    assert.equal(s.missing_rate, 0.5);
    assert.deepEqual(s.histogram.counts, [1, 0, 1]);
    assert.equal(s.histogram.edges.length, 4);
    [0, ln4 / 3, (2 * ln4) / 3, ln4].forEach((e, i) => close(s.histogram.edges[i]!, e));
  });

  it("fits the numeric output of a derived feature like a numeric field", () => {
    const s = spec.derived_numeric[0]!;
    assert.equal(s.field, "bytes_ratio");
    assert.equal(s.transform, "none");
    close(s.mean, 0);
    close(s.std, Math.log(10) * Math.sqrt(2 / 3));
    assert.equal(s.missing_rate, 0.25);
    assert.deepEqual(s.histogram.counts, [1, 1, 1]);
  });

  it("keeps categories seen min_category_count times, case-folded and trimmed; the rest count as out of vocabulary", () => {
    assert.deepEqual(spec.categorical, [{ field: "transport", vocabulary: ["tcp"], counts: [2], oov_count: 2 }]);
  });

  it("lists the columns in order with their source fields and training means", () => {
    assert.deepEqual(
      spec.columns.map((c) => [c.name, c.fields]),
      [
        ["duration", ["duration"]],
        ["duration:missing", ["duration"]],
        ["transport=tcp", ["transport"]],
        ["transport:oov", ["transport"]],
        ["bytes_ratio", ["bytes_in", "bytes_out"]],
      ],
    );
    const means = spec.columns.map((c) => c.mean);
    [0, 0.5, 0.5, 0.5, 0].forEach((m, j) => close(means[j]!, m, 1e-7));
    assert.deepEqual(spec.fields, ["duration", "transport", "bytes_in", "bytes_out"]);
    assert.equal(spec.rows, 4);
    assert.deepEqual(spec.derived, ["bytes_ratio"]);
    assert.equal(spec.schema_version, 1);
  });

  it("gives standardized values of ±1 for the two non-missing durations", () => {
    const x = featurizeRows(spec, rows);
    const w = spec.columns.length;
    assert.deepEqual([x[0], x[1], x[w], x[w + 1], x[2 * w], x[2 * w + 1]], [-1, 0, 1, 0, 0, 1]);
  });

  it("fails loudly on no rows, a bad config, an unknown derived feature or clashing column names", () => {
    assert.throws(() => fitFeatureSpec([], config), /zero rows/);
    assert.throws(() => fitFeatureSpec(rows, { ...config, histogram_bins: 0 }), /histogram_bins must be an integer >= 1/);
    assert.throws(() => fitFeatureSpec(rows, { ...config, categorical: ["duration"] }), /"duration" is listed twice/);
    assert.throws(() => fitFeatureSpec(rows, { ...config, derived: ["bytes_ratio", "nope"] }), /unknown derived feature "nope"/);
    assert.throws(() => fitFeatureSpec(rows, { ...config, numeric: ["bytes_ratio"] }), /two columns named "bytes_ratio"/);
  });
});

describe("vocabulary", () => {
  const r: Fields[] = [
    ...Array.from({ length: 3 }, () => ({ app: "b" })),
    ...Array.from({ length: 3 }, () => ({ app: "a" })),
    ...Array.from({ length: 5 }, () => ({ app: "c" })),
    ...Array.from({ length: 4 }, () => ({})),
    { app: "d" },
  ];
  const base = { ...config, numeric: [], derived: [], categorical: ["app"], min_category_count: 1 };

  it("keeps the most frequent first, ties by value, at most max_categories", () => {
    const c = fitFeatureSpec(r, { ...base, max_categories: 2 }).categorical[0]!;
    assert.deepEqual(c.vocabulary, ["c", "(missing)"]);
    assert.deepEqual(c.counts, [5, 4]);
    assert.equal(c.oov_count, 7);
    const all = fitFeatureSpec(r, { ...base, max_categories: 50 }).categorical[0]!;
    assert.deepEqual(all.vocabulary, ["c", "(missing)", "a", "b", "d"]);
  });

  it("gives a frequent absence its own column, so missing is not confused with unknown", () => {
    const spec = fitFeatureSpec(r, { ...base, max_categories: 2 });
    const x = featurizeRows(spec, [{}, { app: "zzz" }]);
    assert.deepEqual([...x], [0, 1, 0, 0, 0, 1]);
    assert.deepEqual(spec.columns.map((c) => c.name), ["app=c", "app=(missing)", "app:oov"]);
  });
});

describe("column means", () => {
  it("equal the means of the featurized training rows (the explanation baseline)", () => {
    const rnd = mulberry32(9);
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const data: Fields[] = Array.from({ length: 400 }, () => ({
      duration: pick(["0", "0.5", "12", undefined, "-"]),
      bytes_in: String(Math.floor(rnd() * 1e5)),
      bytes_out: pick([String(Math.floor(rnd() * 1e3)), undefined]),
      packets_in: String(Math.floor(rnd() * 50)),
      packets_out: String(Math.floor(rnd() * 50)),
      transport: pick(["tcp", "udp", "icmp"]),
      app: pick(["dns", "http", undefined, "ssl"]),
      conn_state: pick(["S0", "SF", "REJ", "OTH"]),
      dest_port: pick(["23", "80", "60000", "8080"]),
      history: pick(["S", "ShADadFf", "Dd", undefined]),
    }));
    const spec = fitFeatureSpec(data, DEFAULT_FEATURE_CONFIG);
    const x = featurizeRows(spec, data);
    const w = spec.columns.length;
    spec.columns.forEach((c, j) => {
      let s = 0;
      for (let i = 0; i < data.length; i++) s += x[i * w + j]!;
      close(c.mean, s / data.length, 1e-6);
    });
    for (const s of [...spec.numeric, ...spec.derived_numeric]) {
      assert.equal(s.histogram.counts.reduce((a, b) => a + b), Math.round(data.length * (1 - s.missing_rate)), s.field);
    }
  });
});

describe("rows as any iterable", () => {
  it("fits the same spec from an array, a Set and a one-shot generator", () => {
    const fromArray = fitFeatureSpec(rows, config);
    const fromSet = fitFeatureSpec(new Set(rows), config);
    const fromGenerator = fitFeatureSpec(
      (function* () {
        yield* rows;
      })(),
      config,
    );
    assert.equal(fromSet.hash, fromArray.hash);
    assert.equal(fromGenerator.hash, fromArray.hash);
  });

  it("keeps its own copy of the config", () => {
    const c = { ...config, numeric: ["duration"] };
    const spec = fitFeatureSpec(rows, c);
    c.numeric.push("bytes_in");
    assert.deepEqual(spec.config.numeric, ["duration"]);
  });
});

describe("feature_schema hash", () => {
  const spec = fitFeatureSpec(rows, config);

  it("is the SHA-256 of the canonical JSON without the hash, stable across fits and JSON round trips", () => {
    assert.match(spec.hash, /^[0-9a-f]{64}$/);
    assert.equal(spec.hash, specHash(spec));
    assert.equal(fitFeatureSpec(rows, config).hash, spec.hash);
    const reloaded = JSON.parse(JSON.stringify(spec)) as FeatureSpec;
    assert.equal(specHash(reloaded), spec.hash);
  });

  it("does not depend on key order", () => {
    const reversed = Object.fromEntries(Object.entries(spec).reverse()) as unknown as FeatureSpec;
    assert.equal(specHash(reversed), spec.hash);
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
  });

  it("changes when any statistic changes", () => {
    const tweaks: ((s: FeatureSpec) => void)[] = [
      (s) => (s.numeric[0]!.mean += 1e-12),
      (s) => (s.numeric[0]!.std *= 2),
      (s) => s.numeric[0]!.histogram.counts[0]!++,
      (s) => (s.categorical[0]!.counts[0] = 3),
      (s) => (s.derived_numeric[0]!.mean = 1),
      (s) => (s.columns[1]!.mean = 0.25),
      (s) => (s.config.min_category_count = 3),
    ];
    for (const tweak of tweaks) {
      const copy = structuredClone(spec);
      tweak(copy);
      assert.notEqual(specHash(copy), spec.hash, tweak.toString());
    }
    assert.notEqual(fitFeatureSpec([...rows, { duration: "1000", transport: "tcp" }], config).hash, spec.hash);
  });
});
