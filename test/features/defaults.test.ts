import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_FEATURE_CONFIG, inferFeatureConfig } from "../../sidecar/features/defaults.ts";
import { DERIVED } from "../../sidecar/features/derived.ts";
import type { Fields } from "../../sidecar/sources/event.ts";

describe("default feature config for network flows", () => {
  it("uses the CIM volumes and durations, protocol/service/state and every derived feature", () => {
    assert.deepEqual(DEFAULT_FEATURE_CONFIG, {
      numeric: ["duration", "bytes_in", "bytes_out", "packets_in", "packets_out", "missed_bytes", "orig_ip_bytes", "resp_ip_bytes"],
      categorical: ["transport", "app", "conn_state"],
      derived: ["bytes_per_packet_out", "bytes_per_packet_in", "bytes_ratio", "packets_ratio", "dest_port_class", "history_flags", "zero_payload", "duration_zero"],
      min_category_count: 5,
      max_categories: 50,
      histogram_bins: 20,
      unfamiliar_as_missing: true,
    });
    assert.deepEqual(DEFAULT_FEATURE_CONFIG.derived, DERIVED.map((d) => d.name));
  });

  it("never uses identifiers, addresses, times or labels", () => {
    const all = [...DEFAULT_FEATURE_CONFIG.numeric, ...DEFAULT_FEATURE_CONFIG.categorical];
    for (const f of ["ts", "uid", "src_ip", "dest_ip", "src_port", "dest_port", "label", "detailed_label", "history"]) assert.ok(!all.includes(f), f);
  });
});

describe("inferFeatureConfig", () => {
  it("skips identifiers, addresses and times, and uses dest_port only through its class", () => {
    const fields = ["ts", "uid", "src_ip", "dest_ip", "src_port", "dest_port", "duration", "transport", "label", "detailed_label"];
    const sample: Fields[] = [{ ts: "1.5", uid: "Cx", src_ip: "10.0.0.1", dest_ip: "10.0.0.2", src_port: "5", dest_port: "80", duration: "1", transport: "tcp" }];
    const c = inferFeatureConfig(fields, sample);
    assert.deepEqual(c.numeric, ["duration"]);
    assert.deepEqual(c.categorical, ["transport"]);
    assert.deepEqual(c.derived, ["dest_port_class", "duration_zero"]);
  });

  it("reads the tutorial CSV shape: volumes numeric, the flow ratios and port class derived", () => {
    const fields = ["duration", "bytes_in", "bytes_out", "packets_in", "packets_out", "dest_port"];
    const sample: Fields[] = [
      { duration: "0.12", bytes_in: "1520", bytes_out: "340", packets_in: "4", packets_out: "3", dest_port: "443" },
      { duration: "3.5", bytes_out: "12", packets_in: "0", packets_out: "1", dest_port: "23" },
    ];
    const c = inferFeatureConfig(fields, sample);
    assert.deepEqual(c.numeric, ["duration", "bytes_in", "bytes_out", "packets_in", "packets_out"]);
    assert.deepEqual(c.categorical, []);
    assert.deepEqual(c.derived, ["bytes_per_packet_out", "bytes_per_packet_in", "bytes_ratio", "packets_ratio", "dest_port_class", "zero_payload", "duration_zero"]);
    assert.equal(c.min_category_count, 5);
    assert.equal(c.max_categories, 50);
    assert.equal(c.histogram_bins, 20);
    assert.equal(c.numeric_bins, 8, "tabular inputs get quantile bins; the flow defaults do not");
    assert.equal(DEFAULT_FEATURE_CONFIG.numeric_bins, undefined);
  });

  it("splits NSL-KDD-like columns into numeric and categorical by their sampled values", () => {
    const fields = ["duration", "transport", "app", "flag", "bytes_out", "bytes_in", "land", "serror_rate"];
    const sample: Fields[] = [
      { duration: "0", transport: "tcp", app: "ftp_data", flag: "SF", bytes_out: "491", bytes_in: "0", land: "0", serror_rate: "0.00" },
      { duration: "0", transport: "udp", app: "other", flag: "SF", bytes_out: "146", bytes_in: "0", land: "0", serror_rate: "1.00" },
      { duration: "2", transport: "tcp", app: "private", flag: "S0", bytes_out: "0", bytes_in: "0", land: "1", serror_rate: "0.5" },
    ];
    const c = inferFeatureConfig(fields, sample);
    assert.deepEqual(c.numeric, ["duration", "bytes_out", "bytes_in", "land", "serror_rate"]);
    assert.deepEqual(c.categorical, ["transport", "app", "flag"]);
    assert.deepEqual(c.derived, ["bytes_ratio", "zero_payload", "duration_zero"]);
  });

  it("treats a column with any non-number as categorical, and skips columns never set in the sample", () => {
    const c = inferFeatureConfig(["mixed", "empty", "n"], [{ mixed: "1", n: 2 }, { mixed: "x", empty: "", n: "3" }, { mixed: "2" }]);
    assert.deepEqual(c.numeric, ["n"]);
    assert.deepEqual(c.categorical, ["mixed"]);
  });

  it("skips address columns by name or by value, identifier-like text columns, and timestamp names", () => {
    const fields = ["client_ip", "peer", "session", "state", "timestamp", "id.orig_h", "src_mac", "response_time", "orig_ip_bytes"];
    const sample: Fields[] = Array.from({ length: 200 }, (_, i) => ({
      client_ip: `10.0.0.${i % 250}`,
      peer: i % 2 ? `fe80::${i.toString(16)}` : `192.168.1.${i % 250}`,
      session: `sess-${i}`,
      state: ["open", "closed"][i % 2],
      timestamp: "2026-11-25T00:00:00Z",
      "id.orig_h": "10.1.1.1",
      src_mac: "aa:bb:cc:dd:ee:ff",
      response_time: String(i / 10),
      orig_ip_bytes: String(i * 40),
    }));
    const c = inferFeatureConfig(fields, sample);
    assert.deepEqual(c.numeric, ["response_time", "orig_ip_bytes"]);
    assert.deepEqual(c.categorical, ["state"]);
  });

  it("includes a derived feature only when every field it reads is present", () => {
    assert.deepEqual(inferFeatureConfig(["history"], [{ history: "ShAD" }]).derived, ["history_flags"]);
    assert.deepEqual(inferFeatureConfig(["history"], [{ history: "ShAD" }]).categorical, [], "history enters only through its flags");
    assert.deepEqual(inferFeatureConfig(["bytes_in"], [{ bytes_in: "1" }]).derived, []);
  });
});
