import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DERIVED, derivedByName } from "../../sidecar/features/derived.ts";
import type { Fields } from "../../sidecar/sources/event.ts";

/** The raw outputs of one derived feature for one event, by column name. */
function outputs(name: string, f: Fields): Record<string, number> {
  const d = derivedByName(name);
  const out = new Float64Array(d.outputs.length + 2).fill(-7);
  d.compute(f, out, 1);
  assert.equal(out[0], -7, "writes nothing before its offset");
  assert.equal(out[out.length - 1], -7, "writes nothing after its outputs");
  return Object.fromEntries(d.columns.map((c, k) => [c, out[1 + k]!]));
}

/** Only the columns that are 1. */
function flagsSet(name: string, f: Fields): string[] {
  return Object.entries(outputs(name, f))
    .filter(([, v]) => v === 1)
    .map(([k]) => k);
}

describe("derived features", () => {
  it("divides bytes by packets each way; 0 packets gives 0, a missing side gives NaN (imputed later)", () => {
    assert.deepEqual(outputs("bytes_per_packet_out", { bytes_out: "300", packets_out: "4" }), { bytes_per_packet_out: 75 });
    assert.deepEqual(outputs("bytes_per_packet_in", { bytes_in: 90, packets_in: "3" }), { bytes_per_packet_in: 30 });
    assert.deepEqual(outputs("bytes_per_packet_out", { bytes_out: "0", packets_out: "0" }), { bytes_per_packet_out: 0 });
    assert.ok(Number.isNaN(outputs("bytes_per_packet_in", { bytes_in: "90" }).bytes_per_packet_in!));
    assert.ok(Number.isNaN(outputs("bytes_per_packet_out", { bytes_out: "-", packets_out: "2" }).bytes_per_packet_out!));
  });

  it("takes log((in + 1) / (out + 1)) for bytes and packets", () => {
    assert.equal(outputs("bytes_ratio", { bytes_in: "99", bytes_out: "9" }).bytes_ratio, Math.log(100 / 10));
    assert.equal(outputs("bytes_ratio", { bytes_in: "0", bytes_out: "0" }).bytes_ratio, 0);
    assert.equal(outputs("packets_ratio", { packets_in: "1", packets_out: "7" }).packets_ratio, Math.log(2 / 8));
    assert.ok(Number.isNaN(outputs("packets_ratio", { packets_in: "1" }).packets_ratio!));
  });

  it("classes the destination port and flags notable services", () => {
    assert.deepEqual(flagsSet("dest_port_class", { dest_port: "23" }), ["dest_port:well_known", "dest_port:telnet"]);
    assert.deepEqual(flagsSet("dest_port_class", { dest_port: "2323" }), ["dest_port:registered", "dest_port:telnet"]);
    assert.deepEqual(flagsSet("dest_port_class", { dest_port: 22 }), ["dest_port:well_known", "dest_port:ssh"]);
    assert.deepEqual(flagsSet("dest_port_class", { dest_port: "80" }), ["dest_port:well_known", "dest_port:http"]);
    assert.deepEqual(flagsSet("dest_port_class", { dest_port: "8080" }), ["dest_port:registered", "dest_port:http"]);
    assert.deepEqual(flagsSet("dest_port_class", { dest_port: "443" }), ["dest_port:well_known", "dest_port:https"]);
    assert.deepEqual(flagsSet("dest_port_class", { dest_port: "53" }), ["dest_port:well_known", "dest_port:dns"]);
    assert.deepEqual(flagsSet("dest_port_class", { dest_port: "1023" }), ["dest_port:well_known"]);
    assert.deepEqual(flagsSet("dest_port_class", { dest_port: "1024" }), ["dest_port:registered"]);
    assert.deepEqual(flagsSet("dest_port_class", { dest_port: "49151" }), ["dest_port:registered"]);
    assert.deepEqual(flagsSet("dest_port_class", { dest_port: "49152" }), ["dest_port:dynamic"]);
    assert.deepEqual(flagsSet("dest_port_class", {}), ["dest_port:missing"]);
    assert.deepEqual(flagsSet("dest_port_class", { dest_port: "http" }), ["dest_port:missing"]);
  });

  it("turns the Zeek history into one case-sensitive flag per letter plus its length", () => {
    const o = outputs("history_flags", { history: "ShADadfF^" });
    const set = Object.keys(o).filter((k) => o[k] === 1 && k !== "history:length");
    assert.deepEqual(set.sort(), ["history:A", "history:D", "history:F", "history:S", "history:^", "history:a", "history:d", "history:f", "history:h"].sort());
    assert.equal(o["history:length"], 9);
    assert.equal(o["history:s"], undefined, "no column for letters Zeek does not use in that case");
    assert.equal(o["history:R"], 0);
    assert.equal(o["history:r"], 0);
    const columns = derivedByName("history_flags").columns;
    assert.equal(columns.length, "ShADadFfRrTtCcIiQqWw^".length + 1);
    const none = outputs("history_flags", {});
    assert.ok(Object.values(none).every((v) => v === 0), "absent history: no flags, length 0");
    assert.deepEqual(flagsSet("history_flags", { history: "Srx" }), ["history:S", "history:r"]);
  });

  it("flags zero payload and zero duration, counting Zeek's unset values as zero", () => {
    assert.equal(outputs("zero_payload", { bytes_in: "0", bytes_out: "0" }).zero_payload, 1);
    assert.equal(outputs("zero_payload", { bytes_in: "0", bytes_out: "1" }).zero_payload, 0);
    assert.equal(outputs("zero_payload", { bytes_in: "5" }).zero_payload, 0);
    assert.equal(outputs("zero_payload", {}).zero_payload, 1);
    assert.equal(outputs("duration_zero", { duration: "0" }).duration_zero, 1);
    assert.equal(outputs("duration_zero", { duration: "0.000004" }).duration_zero, 0);
    assert.equal(outputs("duration_zero", {}).duration_zero, 1);
  });

  it("overwrites every output, so a reused buffer carries nothing over", () => {
    for (const d of DERIVED) {
      const out = new Float64Array(d.outputs.length).fill(5);
      d.compute({ dest_port: "80", history: "S", bytes_in: "1", bytes_out: "1", packets_in: "1", packets_out: "1", duration: "1" }, out, 0);
      assert.ok(out.every((v) => v !== 5), d.name);
    }
  });

  it("declares its source fields, its input kinds and unique column names", () => {
    const names = new Set<string>();
    for (const d of DERIVED) {
      assert.equal(d.inputs.length, d.fields.length, d.name);
      assert.deepEqual(d.columns, d.outputs.map((o) => o.name));
      for (const c of d.columns) {
        assert.ok(!names.has(c), c);
        names.add(c);
      }
    }
    assert.deepEqual(derivedByName("bytes_ratio").fields, ["bytes_in", "bytes_out"]);
    assert.deepEqual(derivedByName("dest_port_class").fields, ["dest_port"]);
    assert.throws(() => derivedByName("nope"), /unknown derived feature "nope"; known: bytes_per_packet_out/);
  });
});
