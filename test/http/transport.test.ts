// The one transport against real local servers: statuses resolve, timeouts reject with their kind, bodies are
// bounded, TLS is verified, and "verification off" is logged once per origin.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { HttpTimeoutError, Transport } from "../../sidecar/http/transport.ts";
import { captureOutput } from "../helpers/output.ts";

const TLS = { cert: readFileSync("test/fixtures/tls/server.pem"), key: readFileSync("test/fixtures/tls/server-key.pem") };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
}

describe("Transport", () => {
  const handler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    if (req.url === "/slow") return void setTimeout(() => res.end("late"), 1000);
    if (req.url === "/big") return void res.end("x".repeat(5000));
    if (req.url === "/busy") {
      res.statusCode = 503;
      res.setHeader("Retry-After", "3");
      return void res.end("busy");
    }
    res.end(`${req.method} ${req.headers["content-length"] ?? "-"}`);
  };
  const plain = createServer(handler);
  const secure = createHttpsServer(TLS, handler);
  let base = "";
  let tlsBase = "";
  before(async () => {
    base = `http://127.0.0.1:${await listen(plain)}`;
    tlsBase = `https://127.0.0.1:${await listen(secure as unknown as Server)}`;
  });
  after(() => Promise.all([closeServer(plain), closeServer(secure as unknown as Server)]));

  it("resolves with any status, its headers and the body", async () => {
    const t = new Transport({ timeoutMs: 2000 });
    try {
      const ok = await t.request(`${base}/`, { method: "POST", body: "abc" });
      assert.deepEqual([ok.status, ok.body.toString()], [200, "POST 3"]);
      const busy = await t.request(`${base}/busy`, { method: "GET" });
      assert.deepEqual([busy.status, busy.headers["retry-after"], busy.body.toString()], [503, "3", "busy"]);
    } finally {
      t.close();
    }
  });

  it("rejects with HttpTimeoutError on the whole-request and the idle timeout", async () => {
    const t = new Transport({ timeoutMs: 100 });
    const idle = new Transport({ idleTimeoutMs: 100 });
    try {
      await assert.rejects(t.request(`${base}/slow`, { method: "GET" }), (e: unknown) => e instanceof HttpTimeoutError && e.phase === "total" && e.code === "ETIMEDOUT");
      await assert.rejects(idle.request(`${base}/slow`, { method: "GET" }), (e: unknown) => e instanceof HttpTimeoutError && e.phase === "idle" && /no data for 100 ms/.test(e.message));
    } finally {
      t.close();
      idle.close();
    }
  });

  it("cuts reply bodies at maxReplyBytes", async () => {
    const t = new Transport({ maxReplyBytes: 100 });
    try {
      assert.equal((await t.request(`${base}/big`, { method: "GET" })).body.length, 100);
    } finally {
      t.close();
    }
  });

  it("verifies certificates against the CA file, and refuses the test CA's certificate against Node's roots", async () => {
    const verified = new Transport({ caFile: "test/fixtures/tls/ca.pem" });
    const roots = new Transport({});
    try {
      assert.equal((await verified.request(`${tlsBase}/`, { method: "GET" })).status, 200);
      await assert.rejects(roots.request(`${tlsBase}/`, { method: "GET" }), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
    } finally {
      verified.close();
      roots.close();
    }
  });

  it("names the config key of a CA file it cannot read", () => {
    assert.throws(() => new Transport({ caFile: "/no/such/ca.pem", caFileKey: "hec.ca_file" }), /^Error: hec\.ca_file \/no\/such\/ca\.pem cannot be read: ENOENT/);
  });

  it("logs verification off once per origin, however many clients and requests", async () => {
    const a = new Transport({ verifyTls: false, verifyTlsKey: "hec.verify_tls" });
    const b = new Transport({ verifyTls: false, verifyTlsKey: "hec.verify_tls" });
    try {
      const { stderr: lines } = await captureOutput(async () => {
        await a.request(`${tlsBase}/`, { method: "GET" });
        await a.request(`${tlsBase}/other`, { method: "GET" });
        await b.request(`${tlsBase}/`, { method: "GET" });
      });
      const off = lines.filter((l) => l.includes("TLS certificate verification is OFF"));
      assert.equal(off.length, 1);
      assert.match(off[0]!, new RegExp(`WARN .*url=${tlsBase.replace(/\./g, "\\.")} key=hec\\.verify_tls`));
    } finally {
      a.close();
      b.close();
    }
  });
});
