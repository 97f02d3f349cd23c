import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { normalizeRow, parseSplunkTime, splunkFieldNames, type SplunkRow } from "../../../sidecar/sources/splunk/normalize.ts";
import { buildSpl } from "../../../sidecar/sources/splunk/source.ts";

const meta = {
  _raw: "raw line",
  _time: "2027-01-15T08:00:04.250+00:00",
  _indextime: "1800000010",
  _cd: "0:4",
  _bkt: "netflow~0~X",
  _si: ["emulator", "netflow"],
  _serial: "0",
  index: "netflow",
  sourcetype: "zeek:conn",
  host: "sensor-1",
  source: "/var/log/zeek/conn.log",
  splunk_server: "idx1",
  linecount: "1",
  date_hour: "8",
};

describe("Splunk row normalization", () => {
  it("maps Zeek names to CIM names, keeps values as strings and fills origin from Splunk's fields", () => {
    const n = normalizeRow({ ...meta, "id.orig_h": "10.0.0.1", "id.resp_p": "443", proto: "tcp", orig_bytes: "120", conn_state: "SF" }, {}, "conn", 7);
    assert.ok("event" in n);
    assert.deepEqual(n.event.fields, { src_ip: "10.0.0.1", dest_port: "443", transport: "tcp", bytes_out: "120", conn_state: "SF" });
    assert.equal(n.event.time, 1800000004.25);
    assert.deepEqual(n.event.origin, {
      kind: "splunk", index: "netflow", sourcetype: "zeek:conn", host: "sensor-1", source: "/var/log/zeek/conn.log", cd: "0:4", time: 1800000004.25, raw: "raw line",
    });
  });

  it("keeps a CIM field the row already has over its Zeek twin, and lets field_map win over both", () => {
    const n = normalizeRow({ ...meta, src_ip: "10.0.0.9", "id.orig_h": "10.0.0.1", src: "192.168.1.1", bytes: "99" }, { src_ip: "src", bytes_in: "bytes" }, "conn", 0);
    assert.ok("event" in n);
    assert.deepEqual(n.event.fields, { src_ip: "192.168.1.1", bytes_in: "99" });
  });

  it("leaves out unset values and keeps the first of a multivalue field", () => {
    const n = normalizeRow({ ...meta, service: "-", history: "", tunnel_parents: "(empty)", app: ["dns", "http"] }, {}, "conn", 0);
    assert.ok("event" in n);
    assert.deepEqual(n.event.fields, { app: "dns" });
  });

  it("rejects rows without _raw, _time, a readable _time or index, with the result offset", () => {
    const cases: [SplunkRow, RegExp][] = [
      [{ ...meta, _raw: undefined }, /no _raw/],
      [{ ...meta, _time: null }, /no _time/],
      [{ ...meta, _time: "not-a-time" }, /_time "not-a-time" is not a time/],
      [{ ...meta, index: undefined }, /no index/],
    ];
    for (const [row, reason] of cases) {
      const n = normalizeRow(row, {}, "conn", 42);
      assert.ok("rejected" in n);
      assert.equal(n.rejected.file, "splunk:conn");
      assert.equal(n.rejected.line, 42);
      assert.match(n.rejected.reason, reason);
    }
  });

  it("reads _time with any offset, any fraction digits, or as epoch seconds", () => {
    assert.equal(parseSplunkTime("2027-01-15T10:00:04.000+02:00"), 1800000004);
    assert.equal(parseSplunkTime("2027-01-15T08:00:04.123456+00:00"), 1800000004.123456);
    assert.equal(parseSplunkTime("2027-01-15T08:00:04Z"), 1800000004);
    assert.equal(parseSplunkTime("2027-01-15T03:00:04.5-0500"), 1800000004.5);
    assert.equal(parseSplunkTime("1800000004.5"), 1800000004.5);
    assert.equal(parseSplunkTime("yesterday"), undefined);
  });
});

describe("the SPL of a search", () => {
  it("adds `search` when the query starts with neither `search` nor a pipe", () => {
    assert.equal(buildSpl("index=netflow sourcetype=zeek:conn", undefined, {}), "search index=netflow sourcetype=zeek:conn");
    assert.equal(buildSpl("  search index=netflow ", undefined, {}), "search index=netflow");
    assert.equal(buildSpl("| tstats count", undefined, {}), "| tstats count");
  });

  it("pulls only the wanted fields, under every name they may have, plus the row meta fields", () => {
    assert.deepEqual(splunkFieldNames(["src_ip", "bytes_out", "conn_state"], { bytes_out: "bytes_sent" }), ["src_ip", "id.orig_h", "bytes_out", "orig_bytes", "bytes_sent", "conn_state"]);
    assert.equal(
      buildSpl("index=netflow", ["src_ip", "detailed_label"], {}),
      'search index=netflow | fields _raw, _time, _indextime, _cd, index, sourcetype, host, source, src_ip, id.orig_h, detailed_label, "detailed-label", detailedlabel',
    );
  });
});
