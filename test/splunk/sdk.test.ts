// SplunkClient (splunk-sdk on our verified HTTPS client) against a target: the emulator with the test CA,
// and a real Splunk too when SPLUNK_URL is set (see test/helpers/splunk-target.ts).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, type Emulator } from "../../emulator/index.ts";
import { SplunkError } from "../../sidecar/splunk/errors.ts";
import { SplunkClient } from "../../sidecar/splunk/sdk.ts";
import { CA_FILE, emulatorTarget, NEEDS_EMULATOR, realTarget, realTargetMissing, reservePort, UNTRUSTED_TLS, type Target } from "../helpers/splunk-target.ts";
import { captureOutput } from "../helpers/output.ts";

function clientTests(getTarget: () => Target): void {
  const clients: SplunkClient[] = [];
  const client = (...args: Parameters<Target["connection"]>): SplunkClient => {
    const c = new SplunkClient(getTarget().connection(...args));
    clients.push(c);
    return c;
  };
  after(() => clients.forEach((c) => c.close()));

  it("logs in with a password over verified TLS and reads the version from server/info", async (t) => {
    const target = getTarget();
    if (!target.password) return t.skip("no username/password for this target");
    const c = client("password");
    const version = await c.connect();
    assert.match(version, /^\d+\.\d+/);
    const emu = target.emulator;
    if (emu) {
      assert.equal(version, "9.4.3");
      const paths = emu.requestLog.entries.slice(-2).map((e) => `${e.method} ${e.path} ${e.status}`);
      assert.deepEqual(paths, ["POST /services/auth/login 200", "GET /services/server/info 200"]);
    }
  });

  it("authenticates with a bearer token and still reads the version (so v2 search paths are used)", async (t) => {
    const target = getTarget();
    if (!target.token) return t.skip("no token for this target");
    const c = client("token");
    const version = await c.connect();
    assert.match(version, /^\d+\.\d+/);
    const job = await c.createJob(`search index=${target.index} | head 1`, { earliest_time: "0" });
    await c.removeJob(job);
    const emu = target.emulator;
    if (emu) {
      const create = emu.requestLog.find({ method: "POST", path: "/jobs" }).at(-1)!;
      assert.equal(create.authScheme, "Bearer");
      assert.match(create.path, /\/search\/v2\/jobs\/?$/);
    }
  });

  it("runs a job to DONE, pages its results as JSON and deletes it", async () => {
    const target = getTarget();
    const marker = `sdk-test-${Date.now()}`;
    const now = Math.floor(Date.now() / 1000);
    await target.seed([0, 1, 2].map((i) => ({ time: now - 60 + i, raw: JSON.stringify({ marker, n: i }) })));
    const c = client();
    const job = await c.createJob(`search index=${target.index} ${marker}`, { earliest_time: String(now - 3600), latest_time: String(now + 600) });
    const status = await c.waitForJob(job, { pollMs: 10 });
    assert.equal(status.done, true);
    assert.equal(status.resultCount, 3);
    const page = await c.results(job, 1, 5);
    assert.equal(page.results?.length, 2);
    assert.deepEqual(page.results?.map((r) => JSON.parse(String(r._raw)).n as number), [1, 0]);
    await c.removeJob(job);
    await assert.rejects(c.jobStatus(job), (e: unknown) => e instanceof SplunkError && e.status === 404);
    await c.removeJob(job); // already gone: not an error
  });

  it("surfaces Splunk's message for bad SPL as a permanent 400", async () => {
    const c = client();
    await assert.rejects(c.createJob("search index=x | nosuchcommand", {}), (e: unknown) => {
      assert.ok(e instanceof SplunkError);
      assert.equal(e.status, 400);
      assert.equal(e.kind, "permanent");
      assert.match(e.splunkMessage ?? "", /nosuchcommand/);
      return true;
    });
  });

  it("refuses a wrong password as an auth error with Splunk's text", async (t) => {
    const target = getTarget();
    if (!target.password) return t.skip("no username/password for this target");
    const c = client("password", { auth: { kind: "password", username: target.password.username, password: "not-the-password" } });
    await assert.rejects(c.connect(), (e: unknown) => {
      assert.ok(e instanceof SplunkError);
      assert.equal(e.kind, "auth");
      assert.equal(e.status, 401);
      assert.match(e.message, /answered 401 to log in: Login failed/);
      return true;
    });
  });

  it("refuses an unknown token as an auth error", async () => {
    const c = client("token", { auth: { kind: "token", token: "not-a-token" } });
    await assert.rejects(c.connect(), (e: unknown) => e instanceof SplunkError && e.kind === "auth" && e.status === 401);
  });

  it("creates an index once and reports an existing one as such", async (t) => {
    const emu = getTarget().emulator;
    if (!emu) return t.skip(NEEDS_EMULATOR + "; creating indexes on a real Splunk is left to its admin");
    const c = client();
    const name = `soc_risk_${Date.now()}`;
    assert.equal(await c.createIndex(name), "created");
    assert.equal(await c.createIndex(name), "exists");
    assert.ok(emu.indexes.has(name));
  });

  it("logs in again when the session expires, transparently", async (t) => {
    const emu = getTarget().emulator;
    if (!emu) return t.skip(NEEDS_EMULATOR);
    const c = client("password");
    await c.connect();
    emu.faults.expireSessions();
    const before = emu.requestLog.entries.length;
    const job = await c.createJob("search index=netflow | head 1", {});
    await c.removeJob(job);
    const seq = emu.requestLog.entries.slice(before).map((e) => `${e.method} ${e.path.replace(/\/\d+\.\d+$/, "/<sid>")} ${e.status}`);
    assert.deepEqual(seq.slice(0, 4), [
      "POST /servicesNS/-/search/search/v2/jobs/ 401",
      "POST /services/auth/login 200",
      "GET /services/server/info 200",
      "POST /servicesNS/-/search/search/v2/jobs/ 201",
    ]);
  });
}

describe("SplunkClient against the emulator over HTTPS", () => {
  let target: Target;
  before(async () => {
    target = await emulatorTarget();
  });
  after(() => target.stop());
  clientTests(() => target);
});

const real = realTarget();
describe("SplunkClient against a real Splunk", { skip: realTargetMissing() ?? false }, () => {
  clientTests(() => real!);
});

describe("SplunkClient TLS", () => {
  let emu: Emulator;
  before(async () => {
    emu = createEmulator({ tls: UNTRUSTED_TLS });
    await emu.start();
  });
  after(() => emu.stop());
  const conn = (extra: Partial<ConstructorParameters<typeof SplunkClient>[0]> = {}) => ({
    url: emu.url,
    auth: { kind: "password" as const, username: "admin", password: "changeme" },
    timeoutMs: 5000,
    ...extra,
  });

  it("refuses a certificate the configured CA does not sign, saying how to fix it", async () => {
    const c = new SplunkClient(conn({ caFile: CA_FILE }));
    try {
      await assert.rejects(c.connect(), (e: unknown) => {
        assert.ok(e instanceof SplunkError);
        assert.equal(e.tls, true);
        assert.equal(e.kind, "permanent");
        assert.equal(
          e.message,
          `Splunk at ${emu.url} presented a certificate not signed by the configured CA (${CA_FILE}): self-signed certificate; set splunk.ca_file to the CA that signs it`,
        );
        return true;
      });
      assert.equal(emu.requestLog.entries.length, 0, "no request reached the server");
    } finally {
      c.close();
    }
  });

  it("refuses it against Node's public roots when no ca_file is set", async () => {
    const c = new SplunkClient(conn());
    try {
      await assert.rejects(c.connect(), /not signed by the configured CA \(none set: Node's public root CAs\)/);
    } finally {
      c.close();
    }
  });

  it("accepts it only with verify_tls false, and logs that once for the server", async () => {
    const c = new SplunkClient(conn({ verifyTls: false }));
    let lines: string[];
    try {
      ({ stderr: lines } = await captureOutput(async () => {
        assert.equal(await c.connect(), "9.4.3");
        await c.serverInfo();
      }));
    } finally {
      c.close();
    }
    const off = lines.filter((l) => l.includes("TLS certificate verification is OFF"));
    assert.equal(off.length, 1, "one line for all the requests to this server");
    assert.match(off[0]!, /WARN .* key=splunk\.verify_tls/);
  });

  it("fails at construction when the CA file cannot be read", () => {
    assert.throws(() => new SplunkClient(conn({ caFile: "/nonexistent/ca.pem" })), /splunk\.ca_file \/nonexistent\/ca\.pem cannot be read/);
  });

  it("reports a closed port as a retryable network error", async () => {
    const port = await reservePort();
    const c = new SplunkClient({ ...conn({ caFile: CA_FILE }), url: `https://127.0.0.1:${port}` });
    try {
      await assert.rejects(c.connect(), (e: unknown) => e instanceof SplunkError && e.kind === "retryable" && e.status === 600 && e.code === "ECONNREFUSED");
    } finally {
      c.close();
    }
  });
});
