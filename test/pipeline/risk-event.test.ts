import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildRiskEvent, RiskEventWriter, type RiskContext } from "../../sidecar/pipeline/risk-event.ts";
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

describe("RiskEventWriter", () => {
  const splunk = (fields: Fields, raw = "1716890000.1\tCabc\t10.0.0.5"): NetEvent => ({
    fields,
    time: 1_716_890_000.123456,
    origin: { kind: "splunk", index: "zeek", sourcetype: "zeek:conn", host: "sensor-1", source: "/var/log/conn.log", cd: "12:34", time: 1_716_890_000.123456, raw },
  });
  const file = (fields: Fields, time?: number): NetEvent => ({ fields, time, origin: { kind: "file", file: "/data/conn \"q\".log", line: 7, raw: "x" } });
  const tops = [
    [],
    [{ feature: "conn_state", value: "S0", contribution: 1.25 }],
    [
      { feature: "duration", value: 0.000004, contribution: 5.051007 },
      { feature: "bytes_out", value: 0, contribution: 1.759441 },
      { feature: "history", value: null, contribution: 1.32324 },
      { feature: "conn_state", value: "S\"0\\\u0001", contribution: 1e-6 },
      { feature: "packets_in", value: 123456.789, contribution: 0.1 },
    ],
  ];
  const events = [
    splunk({ src_ip: "10.0.0.5", src_port: "51234", dest_ip: "10.0.0.9", dest_port: 23, transport: "tcp", app: "telnet", bytes_in: "0", bytes_out: 12, packets_in: "1", packets_out: "2", duration: "0.5", action: "allowed" }),
    splunk({ dest_port: "  ", src_port: "-", bytes_in: "abc", bytes_out: "1e999", duration: "", packets_in: "NaN", packets_out: "1e3" }),
    splunk({ src_ip: "fe80::1%eth0", dest_ip: "naïve \"host\" \\ \u2028 \ud800 end", app: "tab\there", transport: "\u0000" }, "raw with \"quotes\" and é"),
    splunk({ src_ip: 42 as unknown as string, dest_ip: "" }),
    file({ src_ip: "10.0.0.5", bytes_in: 1.5e-7, bytes_out: -0 }, 1_700_000_000),
    file({}),
    ...["0", "-0", "007", "1.50", "0.000004", "0.0000001", "0.0000010", "-0.5", "123456789012345", "1234567890123456", "12345678901234567890123", "1e3", "+5", "5.", ".5", " 5", "0x1f", "1.000000000000001"].map((v) =>
      splunk({ src_port: v, duration: v, bytes_in: v }),
    ),
  ];
  // Numeric strings as sensors write them: integers and decimals of every magnitude, with and without trailing zeros.
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const numbers = Array.from({ length: 3000 }, () => (rnd() < 0.5 ? "-" : "") + (rnd() * 10 ** Math.floor(rnd() * 22 - 9)).toFixed(Math.floor(rnd() * 12)));

  it("gives JSON.stringify of buildRiskEvent's event without _time, byte for byte, and its _time", () => {
    const writer = new RiskEventWriter(ctx);
    for (const v of numbers) {
      const e = splunk({ duration: v, bytes_out: v });
      const { _time: _, ...rest } = buildRiskEvent(e, 0.5, 50, "medium", [], ctx);
      assert.equal(writer.json(e, 0.5, 50, "medium", []), JSON.stringify(rest), v);
    }
    for (let k = 0; k < 3000; k++) {
      const p = rnd() ** 3;
      const { _time: _, ...rest } = buildRiskEvent(events[0]!, p, 0, "informational", [], ctx);
      assert.equal(writer.json(events[0]!, p, 0, "informational", []), JSON.stringify(rest), String(p));
    }
    for (const e of events) {
      for (const top of tops) {
        for (const [p, s, band] of [[0.999769, 100, "critical"], [0.123456789, 12, "informational"], [0, 0, "informational"], [1, 100, "critical"], [0.0000004, 0, "informational"], [0.00000051, 0, "informational"], [0.1, 10, "informational"], [Number.NaN, 0, "informational"]] as const) {
          const object = buildRiskEvent(e, p, s, band, top, ctx);
          const { _time, ...rest } = object;
          assert.equal(writer.json(e, p, s, band, top), JSON.stringify(rest));
          assert.equal(writer.time(e), _time);
        }
      }
    }
  });
});
