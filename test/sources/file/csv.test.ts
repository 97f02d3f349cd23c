import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NetEvent, RejectedRow } from "../../../sidecar/sources/event.ts";
import { csvFields, parseCsvRecord, readCsv } from "../../../sidecar/sources/file/csv.ts";
import type { ReaderOptions } from "../../../sidecar/sources/file/row.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/sources/file");
const fixture = (name: string): string => join(FIXTURES, name);
const dir = mkdtempSync(join(tmpdir(), "csv-"));

async function read(options: ReaderOptions): Promise<{ events: NetEvent[]; rejected: RejectedRow[] }> {
  const events: NetEvent[] = [];
  const rejected: RejectedRow[] = [];
  for await (const b of readCsv(options)) {
    events.push(...b.events);
    rejected.push(...b.rejected);
  }
  return { events, rejected };
}

const lineOf = (e: NetEvent): number => (e.origin.kind === "file" ? e.origin.line : -1);

describe("parseCsvRecord", () => {
  it("follows RFC 4180 quoting", () => {
    assert.deepEqual(parseCsvRecord("a,b,,c"), ["a", "b", "", "c"]);
    assert.deepEqual(parseCsvRecord('"a,b","say ""hi""",,"",x'), ["a,b", 'say "hi"', "", "", "x"]);
    assert.deepEqual(parseCsvRecord('"ends with comma",'), ["ends with comma", ""]);
    assert.equal(parseCsvRecord('"open cell, no close'), null);
    assert.deepEqual(parseCsvRecord('"two\nlines",2'), ["two\nlines", "2"]);
  });
});

describe("readCsv", () => {
  it("reads UNSW-NB15 with its BOM and CRLF: CIM renames, id and attack_cat dropped, 0/1 labels", async () => {
    const file = fixture("unsw-nb15.csv");
    const { events, rejected } = await read({ file, format: "unsw-nb15" });
    assert.deepEqual(rejected, []);
    assert.deepEqual(events.map((e) => e.label), [0, 0, 0, 1, 1]);
    const f = events[0].fields;
    assert.equal(f.duration, "0.000011");
    assert.equal(f.transport, "udp");
    assert.equal(f.app, undefined); // UNSW's "-" service
    assert.equal(f.state, "INT");
    assert.equal(f.bytes_out, "496");
    assert.equal(f.bytes_in, "0");
    assert.equal(f.packets_out, "2");
    assert.equal(f.is_sm_ips_ports, "0"); // the last feature, before attack_cat: no CR left on it
    assert.equal("id" in f || "attack_cat" in f || "label" in f || "\uFEFFid" in f, false);
    assert.equal(Object.keys(f).length, 41);
    assert.equal(lineOf(events[0]), 2);
    assert.equal(events[0].origin.kind === "file" && events[0].origin.raw.endsWith("Normal,0"), true);
    const fields = await csvFields({ file, format: "unsw-nb15" });
    assert.equal(fields.length, 42);
    assert.deepEqual(fields.slice(0, 8), ["duration", "transport", "app", "state", "packets_out", "packets_in", "bytes_out", "bytes_in"]);
  });

  it("reads header-less NSL-KDD with the 43 column names", async () => {
    const { events, rejected } = await read({ file: fixture("KDDTrain+.head.txt"), format: "nsl-kdd" });
    assert.deepEqual(rejected, []);
    assert.deepEqual(events.map((e) => e.label), [0, 0, 1, 0, 0]);
    const f = events[2].fields;
    assert.deepEqual([f.duration, f.transport, f.app, f.flag, f.bytes_out, f.bytes_in, f.count, f.dst_host_srv_rerror_rate],
      ["0", "tcp", "private", "S0", "0", "0", "123", "0.00"]);
    assert.equal("difficulty" in f || "label" in f, false);
    assert.equal(Object.keys(f).length, 41);
    assert.equal(lineOf(events[0]), 1);
  });

  it("accepts KDD Cup 99 rows without the difficulty column", async () => {
    const file = join(dir, "kddcup.txt");
    writeFileSync(file, "0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal.\n0,tcp\n");
    const { events, rejected } = await read({ file, format: "nsl-kdd" });
    assert.deepEqual(events.map((e) => [e.label, e.fields.bytes_in]), [[0, "5450"]]);
    assert.deepEqual(rejected, [{ file, line: 2, reason: "expected 42 to 43 columns, found 2" }]);
  });

  it("reads the tutorial's network_traffic.csv shape: names kept, normal/attack labels, empty cells absent", async () => {
    const { events, rejected } = await read({ file: fixture("network_traffic.csv"), format: "csv" });
    assert.deepEqual(rejected, []);
    assert.deepEqual(events.map((e) => e.label), [0, 1, 0, 1]);
    assert.deepEqual(events[0].fields, { duration: "0.12", bytes_in: "1520", bytes_out: "340", packets_in: "4", packets_out: "3", dest_port: "443" });
    assert.equal("bytes_in" in events[2].fields, false);
    assert.equal(events[0].time, undefined);
  });

  it("reads a quoted Splunk CSV export: quoted cells, a cell over two lines, _time as time, _raw dropped", async () => {
    const file = fixture("splunk-export.csv");
    const { events, rejected } = await read({ file, format: "csv" });
    assert.deepEqual(events.map((e) => [lineOf(e), e.label, e.time]), [
      [2, 0, 1655073598.444],
      [3, 1, 1655073631.749],
      [5, 0, 1655073698.195],
    ]);
    assert.deepEqual(events[1].fields, { src_ip: "193.201.9.232", dest_ip: "147.32.81.167", dest_port: "3933", transport: "tcp", bytes_out: "0", bytes_in: "0" });
    assert.equal(events[1].origin.kind === "file" && events[1].origin.raw.includes('"note ""quoted"", with a comma\nand a second line"'), true);
    assert.deepEqual(rejected, [
      { file, line: 6, reason: "expected 9 columns, found 3" },
      { file, line: 7, reason: 'bad time in _time: "not a time"' },
    ]);
  });

  it("rejects a quoted cell never closed, and keeps the rows before it", async () => {
    const file = join(dir, "open.csv");
    writeFileSync(file, 'a,b,label\n1,2,normal\n3,"never closed,attack\n5,6,normal\n');
    const { events, rejected } = await read({ file, format: "csv" });
    assert.deepEqual(events.map((e) => e.fields.a), ["1"]);
    assert.deepEqual(rejected, [{ file, line: 3, reason: "quoted cell not closed by the end of the file" }]);
  });

  it("takes the label from --label-column and keeps the default label column as a field", async () => {
    const file = join(dir, "two-labels.csv");
    writeFileSync(file, "bytes_in,label,verdict\n10,x,Benign\n20,y,Background\n30,z,evil\n");
    const { events } = await read({ file, format: "csv", labelColumn: "verdict" });
    assert.deepEqual(events.map((e) => [e.fields.label, e.label]), [["x", 0], ["y", null], ["z", 1]]);
  });
});
