// Conformance of the management API's reply shapes against research/splunk-rest.md (§2, §3, §5, §6).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, type Emulator } from "../../emulator/index.ts";
import { call, login, oneshot, T0, type JsonResults, type JsonRows } from "./helpers.ts";

interface FeedReply {
  links: Record<string, string>;
  origin: string;
  updated: string;
  generator: { build: string; version: string };
  entry: { name: string; id: string; links: Record<string, string>; author: string; acl: Record<string, unknown>; content: Record<string, unknown> }[];
  paging: { total: number; perPage: number; offset: number };
  messages: unknown[];
}

const JSON_CT = "application/json; charset=UTF-8";

function seed150(emu: Emulator): void {
  for (let i = 0; i < 150; i++) {
    emu.store.append({ time: T0 + i, indextime: T0 + 1000 + i, index: "netflow", sourcetype: "flow", host: "h", source: "s", raw: `src_ip=10.0.0.${i % 5} bytes=${i} n=${i}` });
  }
}

describe("emulator REST: auth", () => {
  let emu: Emulator;
  before(async () => {
    emu = createEmulator({ tokens: [{ token: "jwt-token-1", user: "admin" }] });
    await emu.start();
  });
  after(() => emu.stop());

  it("logs in with form fields: JSON {sessionKey,message,code}, Splunkd headers and a splunkd cookie", async () => {
    const r = await call(`${emu.url}/services/auth/login?output_mode=json`, { form: { username: "admin", password: "changeme", cookie: 1 } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), JSON_CT);
    assert.equal(r.headers.get("server"), "Splunkd");
    const body = r.json<{ sessionKey: string; message: string; code: string }>();
    assert.deepEqual(Object.keys(body), ["sessionKey", "message", "code"]);
    assert.equal(body.message, "");
    assert.match(r.headers.get("set-cookie") ?? "", new RegExp(`^splunkd_${emu.managementPort}=`));
    const viaCookie = await call(`${emu.url}/services/server/info?output_mode=json`, { headers: { Cookie: `splunkd_${emu.managementPort}=${encodeURIComponent(body.sessionKey)}` } });
    assert.equal(viaCookie.status, 200);
  });

  it("answers XML without output_mode, and 401 'Login failed' on a bad password", async () => {
    const x = await call(`${emu.url}/services/auth/login`, { form: { username: "admin", password: "changeme" } });
    assert.match(x.text, /^<response>\n {2}<sessionKey>[^<]+<\/sessionKey>/);
    const bad = await call(`${emu.url}/services/auth/login?output_mode=json`, { form: { username: "admin", password: "nope" } });
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.json(), { messages: [{ type: "WARN", code: "incorrect_username_or_password", text: "Login failed" }] });
  });

  it("401s unauthenticated calls with the exact bodies of research §2, in JSON or XML", async () => {
    const none = await call(`${emu.url}/services/search/v2/jobs?output_mode=json`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("content-type"), JSON_CT);
    assert.deepEqual(none.json(), { messages: [{ type: "WARN", text: "call not properly authenticated" }] });
    const stale = await call(`${emu.url}/services/search/v2/jobs?output_mode=json`, { auth: "Splunk stale-key" });
    assert.equal(stale.status, 401);
    const basic = await call(`${emu.url}/services/search/v2/jobs?output_mode=json`, { auth: `Basic ${Buffer.from("admin:wrong").toString("base64")}` });
    assert.deepEqual(basic.json(), { messages: [{ type: "ERROR", text: "Unauthorized" }] });
    const xml = await call(`${emu.url}/services/search/v2/jobs`);
    assert.equal(xml.headers.get("content-type"), "text/xml; charset=UTF-8");
    assert.match(xml.text, /<msg type="WARN">call not properly authenticated<\/msg>/);
  });

  it("accepts Basic credentials and bearer tokens (as Bearer or Splunk)", async () => {
    for (const auth of [`Basic ${Buffer.from("admin:changeme").toString("base64")}`, "Bearer jwt-token-1", "Splunk jwt-token-1"]) {
      assert.equal((await call(`${emu.url}/services/server/info?output_mode=json`, { auth })).status, 200, auth);
    }
  });

  it("serves server/info with the feed-level generator.version the SDK reads", async () => {
    const auth = await login(emu.url);
    const f = (await call(`${emu.url}/services/server/info?output_mode=json`, { auth })).json<FeedReply>();
    assert.deepEqual(Object.keys(f), ["links", "origin", "updated", "generator", "entry", "paging", "messages"]);
    assert.equal(f.generator.version, "9.4.3");
    assert.equal(f.entry[0].name, "server-info");
    assert.equal(f.entry[0].content.version, "9.4.3");
    assert.deepEqual(f.paging, { total: 1, perPage: 30, offset: 0 });
    const xml = await call(`${emu.url}/services/server/info`, { auth });
    assert.equal(xml.headers.get("content-type"), "text/xml; charset=UTF-8");
    assert.match(xml.text, /<feed xmlns="http:\/\/www.w3.org\/2005\/Atom"[^>]*>/);
    assert.match(xml.text, /<generator build="[^"]+" version="9.4.3"\/>/);
    assert.match(xml.text, /<s:key name="version">9.4.3<\/s:key>/);
    emu.settings.version = "8.2.6";
    const g = (await call(`${emu.url}/services/server/info?output_mode=json`, { auth })).json<FeedReply>();
    assert.equal(g.generator.version, "8.2.6");
    emu.settings.version = "9.4.3";
  });

  it("expires sessions after the idle timeout and on the expireSessions fault", async () => {
    let clock = T0 * 1000;
    const e2 = createEmulator({ now: () => clock, sessionTimeoutMs: 60_000 });
    await e2.start();
    try {
      const auth = await login(e2.url);
      const info = () => call(`${e2.url}/services/server/info?output_mode=json`, { auth });
      clock += 59_000;
      assert.equal((await info()).status, 200, "use refreshes the idle timer");
      clock += 59_000;
      assert.equal((await info()).status, 200);
      clock += 61_000;
      assert.equal((await info()).status, 401);
      const auth2 = await login(e2.url);
      e2.faults.expireSessions();
      assert.equal((await call(`${e2.url}/services/server/info?output_mode=json`, { auth: auth2 })).status, 401);
    } finally {
      await e2.stop();
    }
  });
});

describe("emulator REST: search jobs", () => {
  let emu: Emulator;
  let auth: string;
  before(async () => {
    emu = createEmulator({ maxResultRows: 120 });
    await emu.start();
    seed150(emu);
    auth = await login(emu.url);
  });
  after(() => emu.stop());

  async function createJob(search: string, extra: Record<string, string | number> = {}, path = "/services/search/v2/jobs/"): Promise<string> {
    const r = await call(`${emu.url}${path}?output_mode=json`, { auth, form: { search, ...extra } });
    assert.equal(r.status, 201, r.text);
    return r.json<{ sid: string }>().sid;
  }

  async function waitDone(sid: string): Promise<FeedReply> {
    for (;;) {
      const f = (await call(`${emu.url}/services/search/v2/jobs/${sid}/?output_mode=json`, { auth })).json<FeedReply>();
      if (f.entry[0].content.isDone) return f;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  it("creates a job (201 {sid}) and reports its status entry with Splunk's keys and JSON types", async () => {
    const sid = await createJob("search index=netflow | head 5", { earliest_time: "0", latest_time: String(T0 + 10_000) });
    assert.match(sid, /^\d+\.\d+$/);
    const f = await waitDone(sid);
    const e = f.entry[0];
    assert.equal(e.name, "search index=netflow | head 5");
    assert.equal(e.links.control, `/services/search/v2/jobs/${sid}/control`);
    assert.equal(e.acl.owner, "admin");
    const c = e.content;
    assert.equal(c.sid, sid);
    assert.equal(c.dispatchState, "DONE");
    assert.equal(c.isDone, true);
    assert.equal(c.isFailed, false);
    assert.equal(c.doneProgress, 1);
    assert.equal(c.resultCount, 5);
    assert.equal(c.eventCount, 5);
    assert.equal(typeof c.ttl, "number");
    assert.equal(c.defaultTTL, "600");
    assert.deepEqual((c.request as Record<string, string>).earliest_time, "0");
  });

  it("answers the sid as XML without output_mode", async () => {
    const r = await call(`${emu.url}/services/search/jobs`, { auth, form: { search: "search index=netflow" } });
    assert.equal(r.status, 201);
    assert.match(r.text, /<response>\n {2}<sid>\d+\.\d+<\/sid>\n<\/response>/);
  });

  it("returns results as json and json_rows in research §3.3's shapes, every value a string", async () => {
    const sid = await createJob("search index=netflow | head 2 | table n, src_ip");
    await waitDone(sid);
    const j = (await call(`${emu.url}/services/search/v2/jobs/${sid}/results?output_mode=json`, { auth, form: { output_mode: "json" } })).json<JsonResults>();
    assert.deepEqual(j, {
      preview: false, init_offset: 0, messages: [], fields: [{ name: "n" }, { name: "src_ip" }],
      results: [{ n: "149", src_ip: "10.0.0.4" }, { n: "148", src_ip: "10.0.0.3" }], highlighted: {}, post_process_count: 0,
    });
    const rows = (await call(`${emu.url}/services/search/v2/jobs/${sid}/results?output_mode=json_rows`, { auth, form: { count: 100, offset: 0, output_mode: "json_rows" } })).json<JsonRows>();
    assert.deepEqual(rows, { preview: false, init_offset: 0, messages: [], fields: ["n", "src_ip"], rows: [["149", "10.0.0.4"], ["148", "10.0.0.3"]] });
    const cols = (await call(`${emu.url}/services/search/v2/jobs/${sid}/results?output_mode=json_cols`, { auth })).json<Record<string, unknown>>();
    assert.deepEqual(cols.columns, [["149", "148"], ["10.0.0.4", "10.0.0.3"]]);
    const csv = await call(`${emu.url}/services/search/v2/jobs/${sid}/results?output_mode=csv`, { auth });
    assert.equal(csv.text, "n,src_ip\n149,10.0.0.4\n148,10.0.0.3\n");
  });

  it("pages results: count defaults to 100, 0 means all up to maxresultrows, offset moves init_offset", async () => {
    const sid = await createJob("search index=netflow");
    await waitDone(sid);
    const page = async (q: string) => (await call(`${emu.url}/services/search/v2/jobs/${sid}/results?output_mode=json_rows&${q}`, { auth })).json<JsonRows>();
    const fi = (p: JsonRows) => p.fields.indexOf("n");
    const d = await page("");
    assert.equal(d.rows.length, 100);
    assert.equal(d.rows[0][fi(d)], "149", "newest first");
    assert.equal((await page("count=0")).rows.length, 120, "capped at maxResultRows");
    assert.equal((await page("count=500")).rows.length, 120);
    const p2 = await page("count=40&offset=140");
    assert.equal(p2.init_offset, 140);
    assert.deepEqual(p2.rows.map((r) => r[fi(p2)]), ["9", "8", "7", "6", "5", "4", "3", "2", "1", "0"]);
    assert.equal((await page("offset=150")).rows.length, 0);
  });

  it("keeps at most max_count results (eventCount still counts every match)", async () => {
    const sid = await createJob("search index=netflow", { max_count: 50 });
    const f = await waitDone(sid);
    assert.equal(f.entry[0].content.resultCount, 50);
    assert.equal(f.entry[0].content.eventCount, 150);
    const r = (await call(`${emu.url}/services/search/v2/jobs/${sid}/results?output_mode=json_rows&count=0`, { auth })).json<JsonRows>();
    assert.equal(r.rows.length, 50);
  });

  it("finishes jobs DONE but finalized, or with a message saying results are incomplete, on the partialJob fault", async () => {
    emu.faults.partialJob({ count: 1 });
    const a = (await waitDone(await createJob("search index=netflow", {}))).entry[0].content;
    assert.equal(a.dispatchState, "DONE");
    assert.equal(a.isFinalized, true);
    assert.deepEqual(a.messages, []);
    const text = "Unable to distribute to peer named idx2 at uri=10.0.0.2:8089 because peer has status=Down.";
    emu.faults.partialJob({ count: 1, message: text });
    const b = (await waitDone(await createJob("search index=netflow", {}))).entry[0].content;
    assert.equal(b.isFinalized, false);
    assert.deepEqual(b.messages, [{ type: "WARN", text }]);
    const c = (await waitDone(await createJob("search index=netflow", {}))).entry[0].content;
    assert.equal(c.isFinalized, false, "the fault is spent");
    assert.deepEqual(c.messages, []);
  });

  it("filters by index-time window parameters", async () => {
    const sid = await createJob("search index=netflow", { index_earliest: T0 + 1010, index_latest: T0 + 1020 });
    const f = await waitDone(sid);
    assert.equal(f.entry[0].content.resultCount, 10);
  });

  it("serves v1 paths (GET results with query params) and namespaced paths with trailing slashes", async () => {
    const sid = await createJob("search index=netflow | stats count", {}, "/servicesNS/-/search/search/jobs/");
    for (;;) {
      const f = (await call(`${emu.url}/servicesNS/nobody/search/search/jobs/${sid}/?output_mode=json`, { auth })).json<FeedReply>();
      if (f.entry[0].content.isDone) break;
    }
    const r = await call(`${emu.url}/servicesNS/-/search/search/jobs/${sid}/results?count=100&offset=0&output_mode=json_rows`, { auth });
    assert.deepEqual(r.json<JsonRows>().rows, [["150"]]);
    const get = await call(`${emu.url}/services/search/v2/jobs/${sid}/results?output_mode=json_rows`, { auth });
    assert.deepEqual(get.json<JsonRows>().rows, [["150"]], "v2 results by GET too");
  });

  it("answers 400 FATAL for unknown commands and an empty search, 404 'Unknown sid.' for unknown jobs", async () => {
    const bad = await call(`${emu.url}/services/search/v2/jobs?output_mode=json`, { auth, form: { search: "search * | nosuchcmd" } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json(), { messages: [{ type: "FATAL", text: "Unknown search command 'nosuchcmd'." }] });
    const bare = await call(`${emu.url}/services/search/v2/jobs?output_mode=json`, { auth, form: { search: "index_internal | head 1" } });
    assert.equal(bare.status, 400);
    const nf = await call(`${emu.url}/services/search/v2/jobs/1234_nosuchjob/?output_mode=json`, { auth });
    assert.equal(nf.status, 404);
    assert.deepEqual(nf.json(), { messages: [{ type: "FATAL", text: "Unknown sid." }] });
  });

  it("lists jobs with paging, runs control actions and deletes jobs", async () => {
    const sid = await createJob("search index=netflow | head 1");
    const list = (await call(`${emu.url}/services/search/v2/jobs/?output_mode=json&count=1`, { auth })).json<FeedReply>();
    assert.equal(list.entry.length, 1);
    assert.ok(list.paging.total >= 2);
    assert.equal(typeof list.entry[0].content.sid, "string");
    const touch = await call(`${emu.url}/services/search/v2/jobs/${sid}/control?output_mode=json`, { auth, form: { action: "touch" } });
    assert.deepEqual(touch.json(), { messages: [{ type: "INFO", text: "Search job touched." }] });
    const ttl = await call(`${emu.url}/services/search/v2/jobs/${sid}/control?output_mode=json`, { auth, form: { action: "setttl", ttl: 30 } });
    assert.equal(ttl.status, 200);
    const del = await call(`${emu.url}/services/search/v2/jobs/${sid}?output_mode=json`, { auth, method: "DELETE" });
    assert.deepEqual(del.json(), { messages: [{ type: "INFO", text: "Search job cancelled." }] });
    assert.equal((await call(`${emu.url}/services/search/v2/jobs/${sid}?output_mode=json`, { auth })).status, 404);
  });

  it("runs oneshot searches: results body at once, default count 100, count=0 for all", async () => {
    const d = await oneshot(emu.url, auth, "search index=netflow");
    assert.equal(d.results.length, 100);
    assert.equal(d.results[0].n, "149");
    assert.equal((await oneshot(emu.url, auth, "search index=netflow", { count: 0 })).results.length, 120);
    const rows = await call(`${emu.url}/services/search/v2/jobs?output_mode=json_rows`, { auth, form: { search: "search index=netflow | stats count", exec_mode: "oneshot" } });
    assert.deepEqual(rows.json(), { preview: false, init_offset: 0, messages: [], fields: ["count"], rows: [["150"]] });
    const empty = await call(`${emu.url}/services/search/v2/jobs?output_mode=json_rows`, { auth, form: { search: "search index=nothing", exec_mode: "oneshot" } });
    assert.deepEqual(empty.json(), { preview: false, init_offset: 0, messages: [], fields: [], rows: [] });
  });

  it("streams export as JSON lines with offsets and lastrow on the last one (v1 and v2)", async () => {
    for (const path of ["/services/search/v2/jobs/export", "/services/search/jobs/export"]) {
      const r = await call(`${emu.url}${path}?output_mode=json`, { auth, form: { search: "search index=netflow | head 3 | table n", output_mode: "json" } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("transfer-encoding"), "chunked");
      const lines = r.text.trimEnd().split("\n").map((l) => JSON.parse(l) as unknown);
      assert.deepEqual(lines, [
        { preview: false, offset: 0, result: { n: "149" } },
        { preview: false, offset: 1, result: { n: "148" } },
        { preview: false, offset: 2, lastrow: true, result: { n: "147" } },
      ]);
    }
    const all = await call(`${emu.url}/services/search/v2/jobs/export?output_mode=json`, { auth, form: { search: "search index=netflow" } });
    assert.equal(all.text.trimEnd().split("\n").length, 150, "export is not capped by count or max_count");
    const none = await call(`${emu.url}/services/search/v2/jobs/export?output_mode=json`, { auth, form: { search: "search index=nothing" } });
    assert.equal(none.text, "");
    const bad = await call(`${emu.url}/services/search/v2/jobs/export?output_mode=json`, { auth, form: { search: "search * | nosuchcmd" } });
    assert.equal(bad.status, 400);
    assert.equal((await call(`${emu.url}/services/search/v2/jobs/export?output_mode=json`, { form: { search: "search *" } })).status, 401);
  });

  it("ingests through receivers/simple and answers {index,bytes,host,source,sourcetype}", async () => {
    const body = "hello world\nsecond line";
    const r = await call(`${emu.url}/services/receivers/simple?sourcetype=risk&host=sidecar&index=main&output_mode=json`, { auth, body, headers: { "Content-Type": "text/plain" } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { index: "main", bytes: Buffer.byteLength(body), host: "sidecar", source: "http-simple", sourcetype: "risk" });
    const found = await oneshot(emu.url, auth, "search index=main sourcetype=risk");
    assert.deepEqual(found.results.map((x) => x._raw).sort(), ["hello world", "second line"]);
  });
});

describe("emulator REST: the dispatch state machine", () => {
  it("walks QUEUED -> PARSING -> RUNNING -> DONE over jobDelayMs; results 204 until DONE; blocking waits", async () => {
    let clock = T0 * 1000;
    const emu = createEmulator({ now: () => clock, jobDelayMs: 90, sessionTimeoutMs: 1e12 });
    await emu.start();
    try {
      seed150(emu);
      const auth = await login(emu.url);
      const created = await call(`${emu.url}/services/search/v2/jobs?output_mode=json`, { auth, form: { search: "search index=netflow" } });
      const sid = created.json<{ sid: string }>().sid;
      const state = async () => {
        const c = (await call(`${emu.url}/services/search/v2/jobs/${sid}?output_mode=json`, { auth })).json<FeedReply>().entry[0].content;
        return `${c.dispatchState as string}/${String(c.isDone)}`;
      };
      assert.equal(await state(), "QUEUED/false");
      const early = await call(`${emu.url}/services/search/v2/jobs/${sid}/results?output_mode=json_rows`, { auth });
      assert.equal(early.status, 204);
      clock += 30;
      assert.equal(await state(), "PARSING/false");
      clock += 30;
      assert.equal(await state(), "RUNNING/false");
      const preview = await call(`${emu.url}/services/search/v2/jobs/${sid}/results_preview?output_mode=json_rows`, { auth });
      assert.equal(preview.json<JsonRows>().preview, true);
      clock += 30;
      await emu.jobs.get(sid)?.finished;
      assert.equal(await state(), "DONE/true");
      assert.equal((await call(`${emu.url}/services/search/v2/jobs/${sid}/results?output_mode=json_rows&count=1`, { auth })).status, 200);
    } finally {
      await emu.stop();
    }
    const real = createEmulator({ jobDelayMs: 60 });
    await real.start();
    try {
      const auth = await login(real.url);
      const t = Date.now();
      const r = await call(`${real.url}/services/search/v2/jobs?output_mode=json`, { auth, form: { search: "search *", exec_mode: "blocking" } });
      assert.ok(Date.now() - t >= 55);
      const sid = r.json<{ sid: string }>().sid;
      const c = (await call(`${real.url}/services/search/v2/jobs/${sid}?output_mode=json`, { auth })).json<FeedReply>().entry[0].content;
      assert.equal(c.dispatchState, "DONE");
    } finally {
      await real.stop();
    }
  });
});

describe("emulator REST: data/indexes", () => {
  let emu: Emulator;
  let auth: string;
  before(async () => {
    emu = createEmulator();
    await emu.start();
    auth = await login(emu.url);
  });
  after(() => emu.stop());

  it("creates an index (201 with entry[0] and acl), then 409 with Splunk's message", async () => {
    const r = await call(`${emu.url}/services/data/indexes/?output_mode=json`, { auth, form: { name: "risk_scores", datatype: "event" } });
    assert.equal(r.status, 201);
    const f = r.json<FeedReply>();
    assert.equal(f.entry[0].name, "risk_scores");
    assert.deepEqual({ owner: f.entry[0].acl.owner, app: f.entry[0].acl.app, sharing: f.entry[0].acl.sharing }, { owner: "nobody", app: "search", sharing: "global" });
    assert.equal(f.entry[0].content.datatype, "event");
    const dup = await call(`${emu.url}/services/data/indexes/?output_mode=json`, { auth, form: { name: "risk_scores" } });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.json(), { messages: [{ type: "ERROR", text: "In handler 'indexes': Index name=risk_scores already exists" }] });
  });

  it("rejects bad names and unsupported arguments with 400", async () => {
    for (const name of ["_hidden", "Upper", "-dash", "my_kvstore"]) {
      assert.equal((await call(`${emu.url}/services/data/indexes?output_mode=json`, { auth, form: { name } })).status, 400, name);
    }
    const arg = await call(`${emu.url}/services/data/indexes?output_mode=json`, { auth, form: { name: "ok1", search: "x" } });
    assert.deepEqual(arg.json(), { messages: [{ type: "ERROR", text: "In handler 'indexes': Argument \"search\" is not supported by this handler." }] });
  });

  it("lists event indexes by default (metric ones with datatype=all), pages with count/offset, gets one by namespaced path", async () => {
    await call(`${emu.url}/services/data/indexes?output_mode=json`, { auth, form: { name: "metrics1", datatype: "metric" } });
    const names = async (q: string) => (await call(`${emu.url}/services/data/indexes/?output_mode=json&${q}`, { auth })).json<FeedReply>().entry.map((e) => e.name);
    const all = await names("count=0");
    assert.ok(all.includes("main") && all.includes("risk_scores") && !all.includes("metrics1"));
    assert.ok((await names("count=0&datatype=all")).includes("metrics1"));
    assert.equal((await names("count=2&offset=1")).length, 2);
    const one = await call(`${emu.url}/servicesNS/nobody/search/data/indexes/risk_scores?output_mode=json`, { auth });
    assert.equal(one.json<FeedReply>().entry[0].name, "risk_scores");
    assert.equal((await call(`${emu.url}/services/data/indexes/nope?output_mode=json`, { auth })).status, 404);
  });

  it("counts events per index and deletes an index with its events", async () => {
    emu.store.append({ time: T0, index: "risk_scores", raw: "x" });
    const e = (await call(`${emu.url}/services/data/indexes/risk_scores?output_mode=json`, { auth })).json<FeedReply>().entry[0];
    assert.equal(e.content.totalEventCount, 1);
    assert.equal((await call(`${emu.url}/services/data/indexes/risk_scores?output_mode=json`, { auth, method: "DELETE" })).status, 200);
    assert.equal((await call(`${emu.url}/services/data/indexes/risk_scores?output_mode=json`, { auth })).status, 404);
  });
});

describe("emulator REST: faults and the request log", () => {
  let emu: Emulator;
  let auth: string;
  before(async () => {
    emu = createEmulator({ maxConcurrentSearches: 2, jobDelayMs: 10_000 });
    await emu.start();
    seed150(emu);
    auth = await login(emu.url);
  });
  after(() => emu.stop());

  it("refuses job creation with 503 and splunkd's concurrency message (fault, then the real limit)", async () => {
    emu.faults.tooManySearches({ count: 1 });
    const r = await call(`${emu.url}/services/search/v2/jobs?output_mode=json`, { auth, form: { search: "search *" } });
    assert.equal(r.status, 503);
    const text = r.json<{ messages: { type: string; text: string }[] }>().messages[0].text;
    assert.match(text, /^Search not executed: The maximum number of concurrent historical searches on this instance has been reached\., concurrency_category="historical", concurrency_context="instance-wide", current_concurrency=2, concurrency_limit=2$/);
    for (let i = 0; i < 2; i++) assert.equal((await call(`${emu.url}/services/search/v2/jobs?output_mode=json`, { auth, form: { search: "search *" } })).status, 201);
    assert.equal((await call(`${emu.url}/services/search/v2/jobs?output_mode=json`, { auth, form: { search: "search *" } })).status, 503);
    emu.jobs.cancelAll();
    assert.equal((await call(`${emu.url}/services/search/v2/jobs?output_mode=json`, { auth, form: { search: "search *" } })).status, 201);
    emu.jobs.cancelAll();
  });

  it("answers 401 on the unauthorized fault and slows matching requests", async () => {
    emu.faults.unauthorized({ count: 1, pathPrefix: "/services/server" });
    assert.equal((await call(`${emu.url}/services/server/info?output_mode=json`, { auth })).status, 401);
    assert.equal((await call(`${emu.url}/services/server/info?output_mode=json`, { auth })).status, 200);
    emu.faults.slow({ delayMs: 80, count: 1, pathPrefix: "/services/server" });
    const t = Date.now();
    await call(`${emu.url}/servicesNS/-/search/server/info?output_mode=json`, { auth });
    assert.ok(Date.now() - t >= 75);
    assert.ok(emu.requestLog.entries[emu.requestLog.entries.length - 1].durationMs >= 75);
  });

  it("drops connections for the next N requests to a prefix, and mid-body with afterBytes", async () => {
    emu.faults.drop({ count: 1, pathPrefix: "/services/search" });
    await assert.rejects(call(`${emu.url}/services/search/v2/jobs/export?output_mode=json`, { auth, form: { search: "search index=netflow" } }));
    const dropped = emu.requestLog.find({ path: "/export" }).at(-1);
    assert.equal(dropped?.status, 0);
    assert.equal(dropped?.dropped, true);
    emu.faults.drop({ count: 1, pathPrefix: "/services/search/v2/jobs/export", afterBytes: 1000 });
    const res = await fetch(`${emu.url}/services/search/v2/jobs/export?output_mode=json`, {
      method: "POST", headers: { Authorization: auth, "Content-Type": "application/x-www-form-urlencoded" }, body: "search=search%20index%3Dnetflow",
    });
    assert.equal(res.status, 200);
    await assert.rejects(res.text(), "the body ends with a reset, not a clean end");
  });

  it("injects one malformed row into results and export", async () => {
    emu.faults.malformedRows({ count: 3, position: 1 });
    const j = await oneshot(emu.url, auth, "search index=netflow | head 3");
    assert.deepEqual(Object.keys(j.results[1]).sort(), ["_raw", "_time"]);
    assert.equal(j.results[1]._time, "not-a-time");
    const rows = (await call(`${emu.url}/services/search/v2/jobs?output_mode=json_rows`, { auth, form: { search: "search index=netflow | head 3 | table n, src_ip", exec_mode: "oneshot" } })).json<JsonRows>();
    assert.equal(rows.rows[1].length, 1);
    assert.equal(rows.rows[0].length, 2);
    const ex = await call(`${emu.url}/services/search/v2/jobs/export?output_mode=json`, { auth, form: { search: "search index=netflow | head 3" } });
    const lines = ex.text.trimEnd().split("\n");
    assert.equal(lines.length, 3);
    assert.throws(() => JSON.parse(lines[1]) as unknown);
    assert.equal((JSON.parse(lines[2]) as { lastrow: boolean }).lastrow, true);
  });

  it("logs method, path, query, form, status and auth scheme of each request", async () => {
    emu.requestLog.clear();
    await call(`${emu.url}/services/search/v2/jobs?output_mode=json_rows`, { auth, form: { search: "search index=netflow | head 1", exec_mode: "oneshot" } });
    const [e] = emu.requestLog.entries;
    assert.equal(e.method, "POST");
    assert.equal(e.path, "/services/search/v2/jobs");
    assert.deepEqual(e.query, { output_mode: "json_rows" });
    assert.equal(e.form?.exec_mode, "oneshot");
    assert.equal(e.status, 200);
    assert.equal(e.authScheme, "Splunk");
    assert.equal(e.listener, "management");
  });

  it("arms faults and reads the log over the admin routes (standalone mode)", async () => {
    const r = await call(`${emu.url}/__emulator/faults`, { body: JSON.stringify({ fault: "unauthorized", count: 1 }) });
    assert.equal(r.status, 200);
    assert.equal((await call(`${emu.url}/services/server/info?output_mode=json`, { auth })).status, 401);
    const log = (await call(`${emu.url}/__emulator/requests`)).json<{ path: string; status: number }[]>();
    assert.equal(log.at(-1)?.status, 401);
    assert.ok(!log.some((x) => x.path.startsWith("/__emulator")));
    const added = await call(`${emu.url}/__emulator/events?index=main`, { body: '{"time":1800000000,"a":1}\n' });
    assert.deepEqual(added.json(), { added: 1 });
  });
});
