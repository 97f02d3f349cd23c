import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NetEvent } from "../../../sidecar/sources/event.ts";
import { openFileSource, readAllLabeled, type EventBatch } from "../../../sidecar/sources/file/index.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/sources/file");
const fixture = (name: string): string => join(FIXTURES, name);
const dir = mkdtempSync(join(tmpdir(), "filesource-"));

async function all(batches: AsyncIterable<EventBatch>): Promise<EventBatch> {
  const out: EventBatch = { events: [], rejected: [] };
  for await (const b of batches) {
    out.events.push(...b.events);
    out.rejected.push(...b.rejected);
  }
  return out;
}

const where = (e: NetEvent): string => (e.origin.kind === "file" ? `${e.origin.file.split("/").pop()}:${e.origin.line}` : "");

describe("openFileSource", () => {
  it("reads files in order, each in its detected format", async () => {
    const src = openFileSource({ files: [fixture("iot23-42-1.conn.labeled"), fixture("network_traffic.csv"), fixture("splunk-export.jsonl")] });
    const { events, rejected } = await all(src.batches());
    assert.deepEqual(events.map(where), [
      "iot23-42-1.conn.labeled:9", "iot23-42-1.conn.labeled:10", "iot23-42-1.conn.labeled:11",
      "network_traffic.csv:2", "network_traffic.csv:3", "network_traffic.csv:4", "network_traffic.csv:5",
      "splunk-export.jsonl:1", "splunk-export.jsonl:2", "splunk-export.jsonl:3",
    ]);
    assert.equal(rejected.length, 4);
    // batches() starts over on each call.
    assert.equal((await all(src.batches())).events.length, 10);
  });

  it("reports the fields every file provides", async () => {
    const zeek = openFileSource({ files: [fixture("stratosphere-008.conn.labeled")] });
    assert.deepEqual((await zeek.fields()).slice(0, 10), ["uid", "src_ip", "src_port", "dest_ip", "dest_port", "transport", "app", "duration", "bytes_out", "bytes_in"]);
    const mixed = openFileSource({ files: [fixture("iot23-34-1.conn.labeled.gz"), fixture("network_traffic.csv")] });
    assert.deepEqual(await mixed.fields(), ["dest_port", "duration", "bytes_out", "bytes_in", "packets_out", "packets_in"]);
  });

  it("applies --format to every file, and refuses an unknown one before reading", async () => {
    assert.throws(() => openFileSource({ files: [fixture("network_traffic.csv")], format: "excel" }), /unknown format "excel"/);
    const src = openFileSource({ files: [fixture("network_traffic.csv")], format: "nsl-kdd" });
    const { events, rejected } = await all(src.batches());
    assert.equal(events.length, 0);
    assert.deepEqual(rejected.map((r) => r.line), [1, 2, 3, 4, 5]);
    assert.equal(rejected[0].reason, "expected 42 to 43 columns, found 7");
  });

  it("applies a config mapping over the defaults", async () => {
    const src = openFileSource({ files: [fixture("iot23-42-1.conn.labeled")], mapping: { rename: { history: "tcp_flags" }, drop: ["uid"] } });
    const { events } = await all(src.batches());
    assert.equal(events[2].fields.tcp_flags, "ShADadttFf");
    assert.equal(events[2].fields.uid, undefined);
    assert.ok((await src.fields()).includes("tcp_flags"));
  });

  it("fails on an undetectable file after the batches of the files before it", async () => {
    const odd = join(dir, "odd.txt");
    writeFileSync(odd, "hello\n");
    const seen: EventBatch[] = [];
    await assert.rejects(
      (async () => {
        for await (const b of openFileSource({ files: [fixture("network_traffic.csv"), odd] }).batches()) seen.push(b);
      })(),
      /odd\.txt: cannot tell the input format/,
    );
    assert.equal(seen.flatMap((b) => b.events).length, 4);
  });
});

describe("readAllLabeled", () => {
  it("keeps events labeled 0/1 and counts what it leaves out", async () => {
    const r = await readAllLabeled({ files: [fixture("concatenated.conn.labeled"), fixture("stratosphere-008.conn.labeled"), fixture("splunk-export.jsonl")] });
    assert.deepEqual(r.counts, { benign: 3 + 2 + 2, attack: 1 + 2 + 1, excluded: 1 + 1, unlabeled: 0, rejected: 4 });
    assert.equal(r.events.length, 11);
    assert.ok(r.events.every((e) => e.label === 0 || e.label === 1));
    assert.deepEqual(r.rejected.map((r) => r.line), [5, 6, 7, 8]);
  });

  it("refuses a file without a label column, naming the flag", async () => {
    const file = join(dir, "nolabel.csv");
    writeFileSync(file, "bytes_in,bytes_out\n1,2\n");
    await assert.rejects(readAllLabeled({ files: [file] }), {
      message: `${file}: no row carries a label (looked for the column label); training needs labels: name the label column with --label-column`,
    });
  });

  it("fails on a truncated gzip rather than train on part of it", async () => {
    await assert.rejects(readAllLabeled({ files: [fixture("iot23-34-1.truncated.gz")] }), /gzip stream is truncated after line 182/);
  });
});
