// The HEC sink over HTTPS: verified against the test CA by default; a certificate that CA does not sign is
// refused at once with a message naming the fix; verification off is an explicit choice.
import { after, before, describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createEmulator, type Emulator } from "../../emulator/index.ts";
import { Secret } from "../../sidecar/config/secret.ts";
import { HecSink, type HecSinkOptions } from "../../sidecar/sinks/hec/sink.ts";
import { ACK_TOKEN, idCounts, indexed, INDEX, riskEvents } from "./hec-helpers.ts";

const CA_FILE = "test/fixtures/tls/ca.pem";
const trusted = { cert: readFileSync("test/fixtures/tls/server.pem"), key: readFileSync("test/fixtures/tls/server-key.pem") };
const untrusted = { cert: readFileSync("test/fixtures/tls/untrusted/server.pem"), key: readFileSync("test/fixtures/tls/untrusted/server-key.pem") };

describe("HecSink over HTTPS", () => {
  let good: Emulator;
  let rogue: Emulator;
  before(async () => {
    const opts = { indexes: [INDEX], ackDelayMs: 30, hecTokens: [{ token: ACK_TOKEN, useAck: true }] };
    good = createEmulator({ ...opts, tls: trusted });
    rogue = createEmulator({ ...opts, tls: untrusted });
    await Promise.all([good.start(), rogue.start()]);
  });
  after(() => Promise.all([good.stop(), rogue.stop()]));

  async function sink(t: TestContext, url: string, o: Partial<HecSinkOptions<object>> = {}): Promise<HecSink> {
    const s = new HecSink({ url, token: new Secret(ACK_TOKEN), index: INDEX, retryDeadlineMs: 2000, retry: { baseMs: 5, maxMs: 20 }, ackPoll: { minMs: 20 }, ...o });
    t.after(() => s.shutdown());
    await s.start();
    return s;
  }

  it("delivers exactly once over HTTPS verified with the configured CA", async (t) => {
    assert.match(good.hecUrl, /^https:/);
    const s = await sink(t, good.hecUrl, { caFile: CA_FILE, batchMaxEvents: 4 });
    assert.deepEqual(await s.send(riskEvents("tls-ok", 10)), { kind: "success" });
    assert.deepEqual(await s.flush(), { kind: "success" });
    assert.deepEqual([...idCounts(indexed(good, "tls-ok")).values()], Array(10).fill(1));
    assert.equal(s.counters().events_acknowledged, 10);
  });

  it("refuses a certificate the CA does not sign: one handshake, no retry, a message naming hec.ca_file", async (t) => {
    const s = await sink(t, rogue.hecUrl, { caFile: CA_FILE });
    const t0 = Date.now();
    const r = await s.send(riskEvents("tls-rogue", 3));
    assert.equal(r.kind, "failure");
    assert.match(
      r.kind === "failure" ? r.reason : "",
      new RegExp(`^HEC at ${rogue.hecUrl.replace(/\./g, "\\.")} presented a certificate not signed by the configured CA \\(test/fixtures/tls/ca\\.pem\\): self[- ]signed certificate.*; set hec\\.ca_file to the CA that signs it$`),
    );
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(s.counters().retries, 0);
    assert.equal(s.counters().posts, 1);
    assert.equal(rogue.requestLog.entries.length, 0, "no request got past the handshake");
    assert.equal(indexed(rogue, "tls-rogue").length, 0);
  });

  it("refuses the test CA's certificate when no CA is configured (Node's public roots)", async (t) => {
    const s = await sink(t, good.hecUrl);
    const r = await s.send(riskEvents("tls-noca", 1));
    assert.equal(r.kind, "failure");
    assert.match(r.kind === "failure" ? r.reason : "", /not signed by the configured CA \(none set: Node's public root CAs\): unable to verify the first certificate; set hec\.ca_file/);
  });

  it("accepts any certificate only with verifyTls: false", async (t) => {
    const s = await sink(t, rogue.hecUrl, { verifyTls: false });
    assert.deepEqual(await s.send(riskEvents("tls-off", 2)), { kind: "success" });
    assert.deepEqual(await s.flush(), { kind: "success" });
    assert.equal(indexed(rogue, "tls-off").length, 2);
  });
});
