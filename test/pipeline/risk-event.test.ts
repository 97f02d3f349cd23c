import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildRiskEvent, type RiskContext } from "../../sidecar/pipeline/risk-event.ts";
import type { Fields, NetEvent } from "../../sidecar/sources/event.ts";

const ctx: RiskContext = {
  runId: "run-1",
  scoredAt: "2024-05-28T10:00:00.000Z",
  model: { name: "zeek-conn", kind: "supervised", version: "v0003", featureSchema: "abc123", threshold: 0.42 },
  riskObjectField: "src_ip",
  threatObjectField: "dest_ip",
};

function build(fields: Fields): Record<string, unknown> {
  const event: NetEvent = { fields, time: 1_716_890_000, origin: { kind: "file", file: "/data/conn.log", line: 3, raw: "x" } };
  return buildRiskEvent(event, 0.9, 90, "critical", [], ctx) as unknown as Record<string, unknown>;
}

describe("buildRiskEvent", () => {
  it("copies numeric CIM fields as numbers, whether the source gave numbers or numeric strings", () => {
    const e = build({ dest_port: " 23 ", src_port: 51234, bytes_in: "0", duration: "0.25", packets_out: "1e3" });
    assert.deepEqual([e.dest_port, e.src_port, e.bytes_in, e.duration, e.packets_out], [23, 51234, 0, 0.25, 1000]);
  });

  it("leaves out a numeric CIM field that is not a number (blank, dash, garbage, overflow), never writing 0", () => {
    const e = build({ dest_port: "  ", src_port: "-", bytes_in: "abc", bytes_out: "1e999", duration: "", packets_in: "NaN" });
    for (const f of ["dest_port", "src_port", "bytes_in", "bytes_out", "duration", "packets_in"]) assert.equal(f in e, false, f);
  });

  it("copies text CIM fields as strings, and records the model's kind beside its name", () => {
    const e = build({ src_ip: "10.0.0.5", transport: "tcp", action: "allowed" });
    assert.deepEqual([e.src_ip, e.transport, e.action], ["10.0.0.5", "tcp", "allowed"]);
    assert.deepEqual([e.model_name, e.model_kind], ["zeek-conn", "supervised"]);
  });
});
