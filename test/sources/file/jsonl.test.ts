import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { NetEvent, RejectedRow } from "../../../sidecar/sources/event.ts";
import { jsonlFields, readJsonl } from "../../../sidecar/sources/file/jsonl.ts";

const file = join(import.meta.dirname, "../../fixtures/sources/file/splunk-export.jsonl");

async function read(): Promise<{ events: NetEvent[]; rejected: RejectedRow[] }> {
  const events: NetEvent[] = [];
  const rejected: RejectedRow[] = [];
  for await (const b of readJsonl({ file, format: "jsonl" })) {
    events.push(...b.events);
    rejected.push(...b.rejected);
  }
  return { events, rejected };
}

describe("readJsonl", () => {
  it("unwraps Splunk export rows, maps Zeek keys to CIM names and drops Splunk's internal fields", async () => {
    const { events } = await read();
    const [exported] = events;
    assert.deepEqual(exported.fields, {
      host: "sensor-1", index: "zeek", linecount: "1", source: "/opt/zeek/logs/current/conn.log",
      sourcetype: "zeek:conn", splunk_server: "idx1", uid: "CHLXQF2OBY4onAR0Ug", src_ip: "147.32.81.167",
      src_port: "62771", dest_ip: "40.74.108.123", dest_port: "443", transport: "tcp", app: "ssl",
      duration: "1.135424", bytes_out: "1596", bytes_in: "4039", conn_state: "SF", local_orig: "T", local_resp: "F",
      missed_bytes: "5138", history: "ShADdaFf", packets_out: "14", orig_ip_bytes: "1016", packets_in: "16",
      resp_ip_bytes: "1226", detailed_label: "Microsoft",
    });
    assert.equal(exported.time, 1655073598.444);
    assert.equal(exported.label, 0);
    assert.equal(exported.origin.kind === "file" && exported.origin.line, 1);
  });

  it("keeps CIM-named keys, takes an epoch _time, and leaves null values out", async () => {
    const { events } = await read();
    assert.deepEqual(events[1].fields, {
      src_ip: "147.32.81.167", src_port: "62773", dest_ip: "91.228.165.44", dest_port: "80", transport: "tcp",
      bytes_out: "408", bytes_in: "878", packets_out: "10", packets_in: "10", duration: "0.012744", conn_state: "SF",
    });
    assert.equal(events[1].time, 1655071298.195531);
    assert.equal(events[1].label, 0);
  });

  it("reads Zeek JSON logs: numbers stay numbers, booleans become T/F, empty sets and - are absent", async () => {
    const { events } = await read();
    const z = events[2];
    assert.equal(z.time, 1655071231.749548);
    assert.equal(z.label, 1);
    assert.equal(z.fields.src_port, 46563);
    assert.equal(z.fields.duration, 0.00001);
    assert.equal(z.fields.local_orig, "T");
    assert.equal(z.fields.local_resp, "F");
    assert.equal("app" in z.fields, false);
    assert.equal("tunnel_parents" in z.fields, false);
    assert.equal(events.length, 3);
  });

  it("rejects bad JSON, non-objects, export rows without a result and bad times, with line numbers", async () => {
    const { rejected } = await read();
    assert.deepEqual(rejected.map((r) => [r.line, r.reason.replace(/^(bad JSON):.*/, "$1")]), [
      [5, "bad JSON"],
      [6, "Splunk export row without a result"],
      [7, 'bad time in _time: "yesterday"'],
      [8, "not a JSON object"],
    ]);
    assert.ok(rejected.every((r) => r.file === file));
  });

  it("lists the fields of the first rows", async () => {
    const fields = await jsonlFields({ file, format: "jsonl" });
    for (const f of ["src_ip", "dest_ip", "bytes_out", "bytes_in", "transport", "app", "local_orig"]) assert.ok(fields.includes(f), f);
    for (const f of ["_raw", "_cd", "_time", "ts", "label", "id.orig_h", "orig_bytes"]) assert.ok(!fields.includes(f), f);
  });
});
