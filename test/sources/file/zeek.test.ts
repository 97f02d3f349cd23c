import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NetEvent, RejectedRow } from "../../../sidecar/sources/event.ts";
import { readZeek, unescapeZeek, zeekFields } from "../../../sidecar/sources/file/zeek.ts";
import type { ReaderOptions } from "../../../sidecar/sources/file/row.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/sources/file");
const fixture = (name: string): string => join(FIXTURES, name);
const dir = mkdtempSync(join(tmpdir(), "zeek-"));

async function read(file: string, extra: Partial<ReaderOptions> = {}): Promise<{ events: NetEvent[]; rejected: RejectedRow[] }> {
  const events: NetEvent[] = [];
  const rejected: RejectedRow[] = [];
  for await (const b of readZeek({ file, format: "zeek", ...extra })) {
    events.push(...b.events);
    rejected.push(...b.rejected);
  }
  return { events, rejected };
}

describe("readZeek", () => {
  it("reads a Stratosphere conn.log: CIM names, (empty) and - absent, ts as time, labels", async () => {
    const { events, rejected } = await read(fixture("stratosphere-008.conn.labeled"));
    assert.deepEqual(rejected, []);
    assert.equal(events.length, 5);
    const [first] = events;
    assert.deepEqual(first.fields, {
      uid: "CHLXQF2OBY4onAR0Ug", src_ip: "147.32.81.167", src_port: "62771", dest_ip: "40.74.108.123",
      dest_port: "443", transport: "tcp", app: "ssl", duration: "1.135424", bytes_out: "1596", bytes_in: "4039",
      conn_state: "SF", local_orig: "T", local_resp: "F", missed_bytes: "5138", history: "ShADdaFf",
      packets_out: "14", orig_ip_bytes: "1016", packets_in: "16", resp_ip_bytes: "1226", detailed_label: "Microsoft",
    });
    assert.equal(first.time, 1655071198.444458);
    assert.equal(first.label, 0);
    assert.equal(first.origin.kind, "file");
    assert.deepEqual(
      first.origin.kind === "file" ? [first.origin.line, first.origin.raw.split("\t")[1]] : [],
      [9, "CHLXQF2OBY4onAR0Ug"],
    );
    // service "-" on the malicious rows: absent, not "-".
    assert.equal("app" in events[2].fields, false);
    assert.equal("tunnel_parents" in events[2].fields, false);
    assert.deepEqual(events.map((e) => e.label), [0, 0, 1, 1, null]);
    // Background's detailed label is (empty): absent.
    assert.equal(events[4].fields.detailed_label, undefined);
  });

  it("splits IoT-23's three-space joined last columns, in #fields and in rows, without a #close", async () => {
    const { events, rejected } = await read(fixture("iot23-34-1.conn.labeled"));
    assert.deepEqual(rejected, []);
    assert.equal(events.length, 7);
    assert.deepEqual(events.map((e) => e.label), [0, 0, 0, 0, 1, 1, 1]);
    assert.deepEqual(events.map((e) => e.fields.detailed_label), [undefined, undefined, undefined, undefined, "DDoS", "C&C", "PartOfAHorizontalPortScan"]);
    const http = events[3].fields;
    assert.equal(http.app, "http");
    assert.equal(http.bytes_out, "149");
    assert.equal(http.bytes_in, "128252");
    assert.equal(http.history, "ShADadttcfF");
    assert.equal(http.tunnel_parents, undefined);
    // Unset duration and bytes are absent.
    assert.deepEqual(Object.keys(events[1].fields).filter((k) => ["duration", "bytes_out", "bytes_in"].includes(k)), []);
    assert.equal(events[6].time, 1545426295.412093);
    assert.deepEqual(await zeekFields({ file: fixture("iot23-34-1.conn.labeled"), format: "zeek" }), [
      "uid", "src_ip", "src_port", "dest_ip", "dest_port", "transport", "app", "duration", "bytes_out", "bytes_in",
      "conn_state", "local_orig", "local_resp", "missed_bytes", "history", "packets_out", "orig_ip_bytes",
      "packets_in", "resp_ip_bytes", "tunnel_parents", "detailed_label",
    ]);
  });

  it("reads the same rows from a .gz as from the plain file", async () => {
    const plain = await read(fixture("iot23-34-1.conn.labeled"));
    const gz = await read(fixture("iot23-34-1.conn.labeled.gz"));
    assert.deepEqual(gz.events.map((e) => [e.fields, e.label, e.time]), plain.events.map((e) => [e.fields, e.label, e.time]));
  });

  it("keeps the rows before a gzip truncation, then fails with the line", async () => {
    const file = fixture("iot23-34-1.truncated.gz");
    const events: NetEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const b of readZeek({ file, format: "zeek" })) events.push(...b.events);
      })(),
      { message: `${file}: gzip stream is truncated after line 182` },
    );
    // 8 header lines, then 174 complete rows.
    assert.equal(events.length, 174);
    assert.equal(events[173].fields.detailed_label, "C&C");
  });

  it("skips #close (even IoT-23's three-space one) and re-reads headers of concatenated logs", async () => {
    const { events, rejected } = await read(fixture("concatenated.conn.labeled"));
    assert.deepEqual(rejected, []);
    assert.deepEqual(events.map((e) => e.label), [0, 0, null, 1, 0]);
    assert.deepEqual(events.map((e) => (e.origin.kind === "file" ? e.origin.line : 0)), [9, 10, 20, 21, 22]);
    assert.equal(events[2].fields.src_ip, "fd2d:ab8c:225:0:81d3:fd3e:7f62:aec8");
    assert.equal(events[3].fields.detailed_label, "CC");
    const closed = await read(fixture("iot23-42-1.conn.labeled"));
    assert.deepEqual(closed.events.map((e) => [e.fields.app, e.label]), [[undefined, 0], ["dns", 0], ["http", 1]]);
  });

  it("rejects malformed rows with their line numbers and keeps reading", async () => {
    const lines = readFileSync(fixture("stratosphere-008.conn.labeled"), "utf8").split("\n");
    const rows = lines.filter((l) => l.length > 0 && !l.startsWith("#"));
    const header = lines.filter((l) => l.startsWith("#"));
    const bad = [
      rows[0],
      rows[1].split("\t").slice(0, 10).join("\t"), // too few columns
      `yesterday\t${rows[2].split("\t").slice(1).join("\t")}`, // bad ts
      `${rows[3]}\textra`, // too many columns
      rows[4],
    ];
    const file = join(dir, "bad.conn.labeled");
    writeFileSync(file, `${rows[0]}\n${header.join("\n")}\n${bad.join("\n")}\n`);
    const { events, rejected } = await read(file);
    assert.deepEqual(events.map((e) => (e.origin.kind === "file" ? e.origin.line : 0)), [10, 14]);
    assert.deepEqual(rejected, [
      { file, line: 1, reason: "data row before any #fields header" },
      { file, line: 11, reason: "expected 23 columns, found 10" },
      { file, line: 12, reason: 'bad number in ts: "yesterday"' },
      { file, line: 13, reason: "expected 23 columns, found 24" },
    ]);
  });

  it("honours #unset_field and #empty_field when a log declares its own", async () => {
    const file = join(dir, "custom.log.txt");
    writeFileSync(file, [
      "#separator \\x09", "#unset_field\tNONE", "#empty_field\tEMPTY",
      "#fields\tts\tid.orig_h\tservice\ttunnel_parents\thistory\tlabel",
      "1.5\t10.0.0.1\tNONE\tEMPTY\t-\tbenign",
      "2.5\t10.0.0.2\tdns\ta,b\tDd\tNONE",
    ].join("\n"));
    const { events } = await read(file);
    // "-" is a value here: the header said unset is NONE.
    assert.deepEqual(events.map((e) => e.fields), [
      { src_ip: "10.0.0.1", history: "-" },
      { src_ip: "10.0.0.2", app: "dns", tunnel_parents: "a,b", history: "Dd" },
    ]);
    assert.deepEqual(events.map((e) => e.label), [0, undefined]);
  });

  it("reads a log whose #separator is not a tab", async () => {
    assert.equal(unescapeZeek("\\x09"), "\t");
    const file = join(dir, "comma.log.txt");
    writeFileSync(file, "#separator \\x2c\n#fields,ts,id.orig_h,proto\n7,10.0.0.9,udp\n");
    const { events } = await read(file);
    assert.deepEqual(events.map((e) => [e.time, e.fields]), [[7, { src_ip: "10.0.0.9", transport: "udp" }]]);
  });

  it("takes the label from --label-column", async () => {
    const { events } = await read(fixture("stratosphere-008.conn.labeled"), { labelColumn: "detailedlabel" });
    // Every non-empty detailed label is "anything else": 1; the label column is then a plain field.
    assert.deepEqual(events.map((e) => e.label), [1, 1, 1, 1, undefined]);
    assert.equal(events[0].fields.label, "Benign");
  });
});
