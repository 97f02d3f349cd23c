import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { LogEvent } from "../../sidecar/contract/index.ts";
import { parseConfig } from "../../sidecar/config/load.ts";
import { LogShipper } from "../../sidecar/telemetry/log-shipper.ts";
import { logEvent, shipLogs } from "../../sidecar/telemetry/log.ts";
import { Secret } from "../../sidecar/config/secret.ts";

const ev = (i: number): LogEvent => ({ timestamp: new Date(0).toISOString(), level: "info", event: "run_finished", message: "m", i });

describe("LogShipper (the sidecar's own logs to HEC)", () => {
  it("sends buffered events in batches, one send at a time", async () => {
    const sent: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const s = new LogShipper({
      batchSize: 3,
      send: async (b) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        sent.push(b.length);
        return true;
      },
    });
    for (let i = 0; i < 7; i++) s.push(ev(i));
    await Promise.all([s.flush(), s.flush()]);
    assert.deepEqual(sent, [3, 3, 1]);
    assert.equal(maxInFlight, 1);
    assert.equal(s.shipped, 7);
    assert.equal(s.dropped, 0);
  });

  it("drops (counted) rather than grows when HEC is down, and push never waits", async () => {
    let release: (ok: boolean) => void = () => undefined;
    const s = new LogShipper({ maxBuffered: 5, batchSize: 100, send: () => new Promise<boolean>((r) => (release = r)) });
    for (let i = 0; i < 5; i++) s.push(ev(i));
    const f = s.flush(); // the send hangs, as a HEC that does not answer
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) s.push(ev(i));
    assert.ok(performance.now() - t0 < 100);
    assert.equal(s.dropped, 1000 - 5);
    release(false);
    await f;
    assert.equal(s.dropped, 1000 - 5 + 5);
    assert.equal(s.shipped, 0);
    const failing = new LogShipper({ send: () => Promise.reject(new Error("ECONNREFUSED")) });
    failing.push(ev(1));
    await failing.shutdown();
    assert.equal(failing.dropped, 1);
  });

  it("receives log events at or above its level, as JSON with secrets redacted", () => {
    const got: LogEvent[] = [];
    shipLogs({ level: "warn", push: (e) => got.push(e) });
    try {
      logEvent("run_finished", { run_id: "r1" });
      logEvent("not_ready", { reason: "HEC down", token: new Secret("abc") });
    } finally {
      shipLogs(undefined);
    }
    assert.equal(got.length, 1);
    assert.equal(got[0]!.event, "not_ready");
    assert.equal(got[0]!.level, "warn");
    assert.equal(got[0]!.token, "[REDACTED]");
    assert.match(got[0]!.timestamp, /^\d{4}-\d\d-\d\dT/);
  });

  it("config: logging.hec needs the hec section and refuses the risk index", () => {
    const base = { source: { file: { paths: ["x"] } } };
    assert.throws(() => parseConfig({ ...base, logging: { hec: { index: "logs" } } }, "t", {}), /hec: required when logging\.hec is set/);
    assert.throws(
      () => parseConfig({ ...base, hec: { url: "https://h:8088", token: "t", index: "soc_risk" }, logging: { hec: { index: "soc_risk" } } }, "t", {}),
      /logging\.hec\.index: must not be the risk index \(soc_risk\)/,
    );
    const c = parseConfig({ ...base, hec: { url: "https://h:8088", token: "t" }, logging: { hec: { index: "soc_logs" } } }, "t", {});
    assert.equal(c.logging.hec?.index, "soc_logs");
    assert.equal(c.logging.hec?.level, "info");
  });
});
