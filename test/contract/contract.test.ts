import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as contract from "../../sidecar/contract/index.ts";
import {
  CIM_COPY_FIELDS,
  CIM_NUMERIC_FIELDS,
  LOG_EVENT_FIELDS,
  MODEL_EVENT_FIELDS,
  RISK_BANDS,
  RISK_EVENT_FIELDS,
  RISK_EVENT_REQUIRED_FIELDS,
  RUN_EVENT_FIELDS,
  SOURCETYPES,
  type LogEvent,
  type ModelEvent,
  type RiskEvent,
  type RunEvent,
} from "../../sidecar/contract/index.ts";
import { buildRiskEvent, type RiskContext } from "../../sidecar/pipeline/risk-event.ts";
import { riskBand } from "../../sidecar/scoring/risk.ts";
import type { NetEvent } from "../../sidecar/sources/event.ts";

// Compile-time: every field of each interface is in its list (the lists are checked against the keys where
// they are declared, so together the list and the interface name the same fields).
type Unlisted<T, L extends readonly unknown[]> = Exclude<keyof T, L[number]>;
const everyRiskField: [Unlisted<RiskEvent, typeof RISK_EVENT_FIELDS>] extends [never] ? true : false = true;
const everyRunField: [Unlisted<RunEvent, typeof RUN_EVENT_FIELDS>] extends [never] ? true : false = true;
const everyModelField: [Unlisted<ModelEvent, typeof MODEL_EVENT_FIELDS>] extends [never] ? true : false = true;
const everyLogField: [Exclude<"timestamp" | "level" | "event" | "message", (typeof LOG_EVENT_FIELDS)[number]>] extends [never] ? true : false = true;
void [everyRiskField, everyRunField, everyModelField, everyLogField];

const CONTRACT_DIR = join(import.meta.dirname, "../../sidecar/contract");

/** The module specifiers a TypeScript source imports or re-exports, static or dynamic. */
function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/gms)) out.push(m[1]!);
  for (const m of source.matchAll(/^\s*import\s+["']([^"']+)["']/gm)) out.push(m[1]!);
  for (const m of source.matchAll(/\b(?:import|require)\s*\(\s*["'`]([^"'`]+)["'`]/g)) out.push(m[1]!);
  return out;
}

describe("the contract module", () => {
  const files = readdirSync(CONTRACT_DIR).filter((f) => f.endsWith(".ts"));

  it("imports nothing but its sibling files, so the app's build can load it", () => {
    assert.ok(files.includes("index.ts") && files.includes("risk-event.ts"), `found ${files.join(", ")}`);
    for (const file of files) {
      const source = readFileSync(join(CONTRACT_DIR, file), "utf8");
      for (const spec of specifiers(source)) {
        const sibling = /^\.\/([\w-]+\.ts)$/.exec(spec);
        assert.ok(sibling && files.includes(sibling[1]!), `${file} imports ${JSON.stringify(spec)}; the contract may import only its sibling files`);
      }
    }
  });

  it("sees an import of anything else (the check above can fail)", () => {
    assert.deepEqual(specifiers(`import { createHash } from "node:crypto";\nimport type {\n  X,\n} from "../sources/event.ts";\nexport * from "./a.ts";\nconst m = await import("node:path");`), [
      "node:crypto",
      "../sources/event.ts",
      "./a.ts",
      "node:path",
    ]);
  });

  it("exports all four sourcetypes from the entry point", () => {
    assert.deepEqual([...SOURCETYPES], ["soc_assistant:risk", "soc_assistant:run", "soc_assistant:model", "soc_assistant:log"]);
    assert.equal(contract.RISK_SOURCETYPE, "soc_assistant:risk");
    assert.equal(contract.RUN_SOURCETYPE, "soc_assistant:run");
    assert.equal(contract.MODEL_SOURCETYPE, "soc_assistant:model");
    assert.equal(contract.LOG_SOURCETYPE, "soc_assistant:log");
  });

  for (const [name, list] of [
    ["RISK_EVENT_FIELDS", RISK_EVENT_FIELDS],
    ["RUN_EVENT_FIELDS", RUN_EVENT_FIELDS],
    ["MODEL_EVENT_FIELDS", MODEL_EVENT_FIELDS],
    ["LOG_EVENT_FIELDS", LOG_EVENT_FIELDS],
    ["CIM_COPY_FIELDS", CIM_COPY_FIELDS],
    ["SOURCETYPES", SOURCETYPES],
  ] as const) {
    it(`has no duplicate in ${name}`, () => {
      const seen = new Set<string>();
      const dups = list.filter((f) => seen.has(f) || !seen.add(f));
      assert.deepEqual(dups, []);
      assert.ok(list.length > 0);
    });
  }

  it("places model_kind beside model_name in the risk and run events", () => {
    for (const list of [RISK_EVENT_FIELDS, RUN_EVENT_FIELDS] as readonly (readonly string[])[]) {
      assert.equal(list.indexOf("model_kind"), list.indexOf("model_name") + 1);
    }
  });

  it("lists the numeric CIM copies among the CIM copies", () => {
    for (const f of CIM_NUMERIC_FIELDS) assert.ok((CIM_COPY_FIELDS as readonly string[]).includes(f), f);
  });

  it("covers 0–100 with the risk bands, edge to edge, and scoring uses the same edges", () => {
    assert.deepEqual(
      RISK_BANDS.map((b) => [b.band, b.min, b.max]),
      [["informational", 0, 20], ["low", 21, 40], ["medium", 41, 60], ["high", 61, 80], ["critical", 81, 100]],
    );
    for (const b of RISK_BANDS) {
      assert.equal(riskBand(b.min), b.band);
      assert.equal(riskBand(b.max), b.band);
    }
  });

  it("describes the log line the sidecar writes (json format)", () => {
    const line: LogEvent = { timestamp: "2024-05-28T10:00:00.000Z", level: "info", event: "run_finished", message: "Scoring run finished.", run_id: "r1" };
    assert.deepEqual(Object.keys(line).slice(0, 4), [...LOG_EVENT_FIELDS]);
  });
});

describe("the risk event builder against the contract", () => {
  const ctx: RiskContext = {
    runId: "run-1",
    scoredAt: "2024-05-28T10:00:00.000Z",
    model: { name: "zeek-conn", kind: "supervised", version: "v0003", featureSchema: "abc123", threshold: 0.42 },
    riskObjectField: "src_ip",
    threatObjectField: "dest_ip",
  };
  const top = [{ feature: "conn_state", value: "S0", contribution: 1.25 }];
  const splunkEvent: NetEvent = {
    fields: {
      src_ip: "10.0.0.5", src_port: "51234", dest_ip: "10.0.0.9", dest_port: 23, transport: "tcp", app: "telnet",
      bytes_in: "0", bytes_out: 12, packets_in: "1", packets_out: "2", duration: "0.5", action: "allowed", conn_state: "S0",
    },
    time: 1_716_890_000,
    origin: { kind: "splunk", index: "zeek", sourcetype: "zeek:conn", host: "sensor-1", source: "/var/log/conn.log", cd: "12:34", time: 1_716_890_000, raw: "raw line" },
  };
  const bareFileEvent: NetEvent = { fields: {}, origin: { kind: "file", file: "/data/conn.log", line: 7, raw: "x" } };

  it("writes only contract fields, and every field the contract requires, for a Splunk event with every CIM field", () => {
    const e = buildRiskEvent(splunkEvent, 0.93, 93, "critical", top, ctx);
    const keys = Object.keys(e);
    assert.deepEqual(keys.filter((k) => !(RISK_EVENT_FIELDS as readonly string[]).includes(k)), []);
    assert.deepEqual(RISK_EVENT_FIELDS.filter((f) => !keys.includes(f)), [], "a Splunk event with every CIM field gets every field");
    assert.equal(e.model_kind, "supervised");
    assert.equal(e.model_name, "zeek-conn");
  });

  it("writes every required field for a file event without any CIM field", () => {
    const e = buildRiskEvent(bareFileEvent, 0.3, 30, "low", [], ctx);
    const keys = Object.keys(e);
    assert.deepEqual(keys.filter((k) => !(RISK_EVENT_FIELDS as readonly string[]).includes(k)), []);
    assert.deepEqual(RISK_EVENT_REQUIRED_FIELDS.filter((f) => !keys.includes(f)), []);
    assert.deepEqual(keys.filter((k) => (CIM_COPY_FIELDS as readonly string[]).includes(k)), []);
  });
});
