// The real, unmodified splunk-sdk 2.0.2 against the emulator over HTTPS with the test certificate.
// (The SDK hard-codes rejectUnauthorized:false; certificate verification is shown with node's https.)
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { createRequire } from "node:module";
import { createEmulator, type Emulator } from "../../emulator/index.ts";
import { T0 } from "./helpers.ts";

const require = createRequire(import.meta.url);

// Only the parts of the SDK these tests touch (it ships no typings).
interface SdkJob {
  sid: string;
  fetch(): Promise<SdkJob>;
  properties(): Record<string, unknown>;
  track(opts: { period: number }, cbs: { done: (j: SdkJob) => unknown; failed?: (j: SdkJob) => unknown; error?: (e: unknown) => unknown }): Promise<unknown>;
  results(params: Record<string, unknown>): Promise<[{ fields: string[]; rows: string[][]; init_offset: number }, SdkJob]>;
  remove(): Promise<unknown>;
}
interface SdkIndex {
  name: string;
  qualifiedPath: string;
  submitEvent(text: string, params: Record<string, string>): Promise<[Record<string, unknown>, SdkIndex]>;
}
interface SdkService {
  version: string;
  sessionKey: string;
  login(): Promise<boolean>;
  search(q: string, params: Record<string, unknown>): Promise<SdkJob>;
  getJob(sid: string): Promise<SdkJob>;
  oneshotSearch(q: string, params: Record<string, unknown>): Promise<{ fields: string[]; rows: string[][] }>;
  indexes(): { create(name: string, params: Record<string, unknown>): Promise<SdkIndex>; fetch(): Promise<{ item(name: string): SdkIndex | null; list(): SdkIndex[] }> };
}
interface Sdk {
  Service: new (o: Record<string, unknown>) => SdkService;
  Logger: { setLevel(l: string): void };
}
const splunkjs = require("splunk-sdk") as Sdk;
splunkjs.Logger.setLevel("NONE");

const tls = { cert: readFileSync("test/fixtures/tls/server.pem"), key: readFileSync("test/fixtures/tls/server-key.pem") };
const ca = readFileSync("test/fixtures/tls/ca.pem");

function service(emu: Emulator, extra: Record<string, unknown> = {}): SdkService {
  const u = new URL(emu.url);
  return new splunkjs.Service({ scheme: "https", host: u.hostname, port: Number(u.port), username: "admin", password: "changeme", ...extra });
}

function seed(emu: Emulator, n: number): void {
  for (let i = 0; i < n; i++) emu.store.append({ time: T0 + i, index: "netflow", sourcetype: "zeek:conn", raw: JSON.stringify({ n: i, src_ip: `10.0.0.${i % 4}` }) });
}

describe("splunk-sdk 2.0.2 against the emulator over HTTPS", () => {
  let emu: Emulator;
  before(async () => {
    emu = createEmulator({ tls, jobDelayMs: 30 });
    await emu.start();
    seed(emu, 250);
  });
  after(() => emu.stop());

  it("serves a certificate that verifies against the test CA for 127.0.0.1 (node https, verification on)", async () => {
    const get = (opts: { ca?: Buffer }) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${emu.url}/services/collector/health`, { ...opts, rejectUnauthorized: true }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
    assert.equal(await get({ ca }), 401);
    await assert.rejects(get({}), /self[- ]signed|unable to verify|UNABLE_TO_GET_ISSUER|SELF_SIGNED/i);
  });

  it("logs in, reads the version from server/info and switches to the v2 search paths", async () => {
    const svc = service(emu);
    emu.requestLog.clear();
    assert.equal(await svc.login(), true);
    assert.equal(svc.version, "9.4.3");
    assert.deepEqual(emu.requestLog.entries.map((e) => `${e.method} ${e.path} ${e.status}`), ["POST /services/auth/login 200", "GET /services/server/info 200"]);
  });

  it("runs a search, tracks it to DONE and pages its results newest first", async () => {
    const svc = service(emu);
    await svc.login();
    const job = await svc.search("search index=netflow | fields n", { earliest_time: "0", latest_time: String(T0 + 1000) });
    const done = await job.track({ period: 10 }, { done: (j) => j });
    assert.equal(done, job);
    const props = job.properties();
    assert.equal(props.isDone, true);
    assert.equal(props.resultCount, 250);
    const seen: string[] = [];
    for (let offset = 0; ; offset += 100) {
      const [page] = await job.results({ count: 100, offset });
      assert.equal(page.init_offset, offset);
      const i = page.fields.indexOf("n");
      seen.push(...page.rows.map((r) => r[i]));
      if (page.rows.length < 100) break;
    }
    assert.equal(seen.length, 250);
    assert.equal(seen[0], "249");
    assert.equal(seen[249], "0");
    const [first] = await job.results({});
    assert.equal(first.rows.length, 100, "the server's default count is 100");
    await job.remove();
    await assert.rejects(svc.getJob(job.sid), (e: { status: number }) => e.status === 404);
    const paths = emu.requestLog.entries.map((e) => `${e.method} ${e.path}`);
    assert.ok(paths.includes("POST /services/search/v2/jobs/"));
    assert.ok(paths.includes(`POST /services/search/v2/jobs/${job.sid}/results`));
  });

  it("oneshotSearch returns json_rows, 100 rows by default and all with count 0", async () => {
    const svc = service(emu);
    await svc.login();
    const d = await svc.oneshotSearch("search index=netflow", {});
    assert.equal(d.rows.length, 100);
    const all = await svc.oneshotSearch("search index=netflow", { count: 0 });
    assert.equal(all.rows.length, 250);
    const stats = await svc.oneshotSearch("search index=netflow | stats count by src_ip", {});
    assert.deepEqual(stats, { preview: false, init_offset: 0, messages: [], fields: ["src_ip", "count"], rows: [["10.0.0.0", "63"], ["10.0.0.1", "63"], ["10.0.0.2", "62"], ["10.0.0.3", "62"]] });
  });

  it("indexes().create answers 201 with an Index, then rejects with 409; submitEvent writes to it", async () => {
    const svc = service(emu);
    await svc.login();
    const idx = await svc.indexes().create("soc_risk", { datatype: "event" });
    assert.equal(idx.name, "soc_risk");
    assert.equal(idx.qualifiedPath, "/servicesNS/nobody/search/data/indexes/soc_risk");
    await assert.rejects(svc.indexes().create("soc_risk", { datatype: "event" }), (e: { status: number; data: { messages: { text: string }[] } }) => {
      assert.equal(e.status, 409);
      assert.equal(e.data.messages[0].text, "In handler 'indexes': Index name=soc_risk already exists");
      return true;
    });
    const listed = await svc.indexes().fetch();
    const again = listed.item("soc_risk");
    assert.ok(again);
    const text = "risk_score=93 src_ip=10.0.0.5";
    const [reply] = await again.submitEvent(text, { sourcetype: "soc_assistant:risk", host: "sidecar" });
    assert.deepEqual(reply, { index: "soc_risk", bytes: text.length, host: "sidecar", source: "http-simple", sourcetype: "soc_assistant:risk" });
    const found = await svc.oneshotSearch("search index=soc_risk risk_score>90", {});
    assert.equal(found.rows.length, 1);
  });

  it("logs in again when the session expires mid-way (401 -> login -> retry)", async () => {
    const svc = service(emu);
    await svc.login();
    const job = await svc.search("search index=netflow | head 7", {});
    await job.track({ period: 10 }, { done: () => undefined });
    const oldKey = svc.sessionKey;
    emu.faults.expireSessions();
    emu.requestLog.clear();
    const [page] = await job.results({ count: 0 });
    assert.equal(page.rows.length, 7);
    assert.notEqual(svc.sessionKey, oldKey);
    assert.deepEqual(emu.requestLog.entries.map((e) => `${e.method} ${e.path.replace(job.sid, "SID")} ${e.status}`), [
      "POST /services/search/v2/jobs/SID/results 401",
      "POST /services/auth/login 200",
      "GET /services/server/info 200",
      "POST /services/search/v2/jobs/SID/results 200",
    ]);
  });

  it("logs in again after the idle session timeout", async () => {
    let clock = Date.now();
    const e2 = createEmulator({ tls, now: () => clock, sessionTimeoutMs: 1000 });
    await e2.start();
    try {
      seed(e2, 3);
      const svc = service(e2);
      await svc.login();
      clock += 1500;
      const d = await svc.oneshotSearch("search index=netflow", {});
      assert.equal(d.rows.length, 3);
      assert.deepEqual(e2.requestLog.find({ status: 401 }).map((e) => e.path), ["/services/search/v2/jobs"]);
    } finally {
      await e2.stop();
    }
  });

  it("uses the v1 paths (GET results) against a server reporting 8.2.6", async () => {
    const old = createEmulator({ tls, version: "8.2.6" });
    await old.start();
    try {
      seed(old, 5);
      const svc = service(old, { app: "search" });
      await svc.login();
      const job = await svc.search("search index=netflow | stats count", {});
      await job.track({ period: 5 }, { done: () => undefined });
      const [page] = await job.results({});
      assert.deepEqual(page.rows, [["5"]]);
      const paths = old.requestLog.entries.map((e) => `${e.method} ${e.path.replace(job.sid, "SID")}`);
      assert.ok(paths.includes("POST /servicesNS/-/search/search/jobs/"));
      assert.ok(paths.includes("GET /servicesNS/-/search/search/jobs/SID/results"));
    } finally {
      await old.stop();
    }
  });

  it("accepts a bearer token without login (version given, so v2 paths)", async () => {
    const tok = createEmulator({ tls, tokens: [{ token: "eyJ.test.token", user: "admin" }] });
    await tok.start();
    try {
      seed(tok, 2);
      const u = new URL(tok.url);
      const svc = new splunkjs.Service({ scheme: "https", host: u.hostname, port: Number(u.port), sessionKey: "eyJ.test.token", authorization: "Bearer", version: "9.1" });
      const d = await svc.oneshotSearch("search index=netflow", {});
      assert.equal(d.rows.length, 2);
      assert.deepEqual(tok.requestLog.entries.map((e) => `${e.path} ${e.authScheme ?? ""} ${e.status}`), ["/services/search/v2/jobs Bearer 200"]);
    } finally {
      await tok.stop();
    }
  });
});
