/**
 * Numbers that are not numbers: read as missing by the model, counted per field in the run event, shown as
 * they came in where the analyst reads reasons, and absent from the risk event's numeric CIM fields. A CSV
 * `-` is missing, as in Zeek.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseConfig } from "../../sidecar/config/load.ts";
import { Sidecar } from "../../sidecar/service/sidecar.ts";
import { readCsv } from "../../sidecar/sources/file/csv.ts";

const SAMPLE = readFileSync("data/sample/conn.sample.log", "utf8").split("\n");
const HEADER = SAMPLE.filter((l) => l.startsWith("#fields") || l.startsWith("#separator") || l.startsWith("#types"));
const FIELDS = HEADER.find((l) => l.startsWith("#fields"))!.split("\t").slice(1);
const ROW = SAMPLE.find((l) => l.includes("\tMalicious\t"))!;

function withCells(cells: Record<string, string>): string {
  const parts = ROW.split("\t");
  for (const [k, v] of Object.entries(cells)) parts[FIELDS.indexOf(k)] = v;
  return parts.join("\t");
}

describe("values that are not numbers", () => {
  it("are counted per field in the run event, shown raw in the reasons, and left out of the numeric CIM fields", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nan-"));
    const log = join(dir, "conn.log");
    writeFileSync(log, `${[...HEADER, withCells({ duration: "abc", orig_bytes: "NaN", "id.resp_p": "http", orig_pkts: "1e999" }), withCells({ duration: "xyz" }), ROW].join("\n")}\n`);
    const config = parseConfig(
      {
        source: { type: "file", file: { paths: [log] } },
        sink: { type: "file", min_risk_score: 0, file: { path: join(dir, "risk.jsonl"), runs_path: join(dir, "runs.jsonl") } },
        model: { registry_dir: resolve("models"), name: "zeek-conn", workers: 0 },
        state_dir: join(dir, "var"),
        api: { enabled: false },
      },
      "test",
      {},
    );
    const s = new Sidecar(config, () => undefined);
    try {
      assert.equal(await s.start({ once: true }), true);
    } finally {
      await s.shutdown();
    }
    const [run] = readFileSync(join(dir, "runs.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { invalid_values: Record<string, number> });
    assert.deepEqual(run!.invalid_values, { duration: 2, bytes_out: 1, dest_port: 1, packets_out: 1 });
    const [bad, , good] = readFileSync(join(dir, "risk.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const f of ["duration", "bytes_out", "dest_port", "packets_out"]) assert.equal(f in bad!, false, `${f} left out`);
    assert.equal(typeof good!.dest_port, "number");
    const shown = new Map((bad!.top_features as { feature: string; value: unknown }[]).map((t) => [t.feature, t.value]));
    for (const [f, raw] of [["duration", "abc"], ["bytes_out", "NaN"], ["packets_out", "1e999"]] as const) {
      if (shown.has(f)) {
        assert.equal(shown.get(f), raw, `${f} shown as it came in`);
        assert.match(bad!.explanation as string, new RegExp(`${f}=${raw}`));
      }
    }
  });

  it("reads a CSV '-' as missing, as in Zeek", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nan-"));
    const csv = join(dir, "conn.csv");
    writeFileSync(csv, "ts,duration,orig_bytes,conn_state\n1700000000,-,12,S0\n");
    const events = [];
    for await (const b of readCsv({ file: csv, format: "csv" })) events.push(...b.events);
    assert.deepEqual(events[0]!.fields, { bytes_out: "12", conn_state: "S0" });
  });
});
