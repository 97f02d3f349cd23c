// The Splunk source through the real splunk-sdk against a target: the emulator over HTTPS with the test CA,
// and a real Splunk too when SPLUNK_URL is set. Tests that need fault injection or chosen _indextime values
// skip on a real Splunk.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { eventId } from "../../../sidecar/sources/event-id.ts";
import type { NetEvent, RejectedRow } from "../../../sidecar/sources/event.ts";
import { SplunkSource, type SplunkSourceOptions } from "../../../sidecar/sources/splunk/source.ts";
import type { SplunkWindow } from "../../../sidecar/sources/splunk/window.ts";
import { SplunkError } from "../../../sidecar/splunk/errors.ts";
import { SplunkClient } from "../../../sidecar/splunk/sdk.ts";
import { parseZeek } from "../../../emulator/index.ts";
import { emulatorTarget, NEEDS_EMULATOR, realTarget, realTargetMissing, type Target } from "../../helpers/splunk-target.ts";

const FAST = { wait: { pollMs: 10, maxPollMs: 50 }, retry: { baseMs: 5, maxMs: 20 } };
const SETTINGS = { lag_seconds: 0, max_window_seconds: 3600, initial_lookback_seconds: 3600, max_lateness_seconds: 86400, page_size: 10_000 };

interface Pulled {
  events: NetEvent[];
  rejected: RejectedRow[];
  batches: number;
}

async function pull(source: SplunkSource, window: SplunkWindow, between?: (batch: number) => void): Promise<Pulled> {
  const out: Pulled = { events: [], rejected: [], batches: 0 };
  for await (const b of source.read(window)) {
    out.events.push(...b.events);
    out.rejected.push(...b.rejected);
    out.batches++;
    between?.(out.batches);
  }
  return out;
}

/** Index-time window [start, end) with the settings' event-time bounds. */
function windowOf(start: number, end: number, lateness = SETTINGS.max_lateness_seconds): SplunkWindow {
  return { start, end, earliest: start - lateness, latest: end + 300 };
}

function sourceTests(getTarget: () => Target): void {
  const clients: SplunkClient[] = [];
  let run = 0;
  /** A fresh marker per test, so tests sharing a target (and a real index) do not see each other's events. */
  const marker = () => `m${process.pid}x${Date.now()}x${++run}`;
  const source = (query: string, o: Partial<SplunkSourceOptions> & { auth?: "password" | "token" } = {}): SplunkSource => {
    const client = new SplunkClient(getTarget().connection(o.auth));
    clients.push(client);
    return new SplunkSource({ client, search: { name: "conn", query, field_map: {} }, settings: SETTINGS, ...FAST, ...o });
  };
  after(() => clients.forEach((c) => c.close()));

  it("pulls a window in pages of page_size, losing no row to count or to the server's default max_count", async () => {
    const t = getTarget();
    const m = marker();
    const now = Math.floor(Date.now() / 1000);
    const n = 2500;
    if (t.emulator) t.emulator.settings.maxCount = 1000; // a job that left max_count to the server would keep 1000
    await t.seed(Array.from({ length: n }, (_, i) => ({ time: now - 100 + (i % 100), indextime: now - 100 + (i % 100), raw: JSON.stringify({ m, n: i, src_ip: `10.0.${i % 7}.${i % 250}` }) })));
    const src = source(`index=${t.index} ${m}`, { settings: { ...SETTINGS, page_size: 400 } });
    const got = await pull(src, windowOf(now - 600, now + 1));
    assert.equal(got.events.length, n);
    assert.equal(new Set(got.events.map(eventId)).size, n, "no event twice");
    assert.equal(got.batches, Math.ceil(n / 400));
    assert.deepEqual(new Set(got.events.map((e) => (JSON.parse((e.origin as { raw: string }).raw) as { n: number }).n)).size, n);
    assert.equal(got.events[0]!.fields.src_ip !== undefined, true);
    const emu = t.emulator;
    if (emu) {
      const pages = emu.requestLog.find({ path: "/results" }).slice(-got.batches);
      assert.deepEqual(pages.map((p) => Number(p.form?.offset)), [0, 400, 800, 1200, 1600, 2000, 2400]);
      assert.ok(pages.every((p) => Number(p.form?.count) <= 400 && p.form?.output_mode === "json"));
      assert.equal(emu.jobs.list().length, 0, "the job was deleted");
      emu.settings.maxCount = 10000;
    }
  });

  it("sends the index-time window and the event-time bounds as job parameters, with max_count set", async (t) => {
    const emu = getTarget().emulator;
    if (!emu) return t.skip(NEEDS_EMULATOR);
    const src = source("index=netflow nothing-matches-this", { fields: ["src_ip", "dest_port"] });
    await pull(src, windowOf(1_800_000_000, 1_800_000_600));
    const create = emu.requestLog.find({ method: "POST", path: /\/jobs\/?$/ }).at(-1)!;
    assert.deepEqual(
      { ...create.form, search: undefined },
      {
        index_earliest: "1800000000", index_latest: "1800000600", earliest_time: String(1_800_000_000 - 86400), latest_time: "1800000900",
        max_count: "500000", allow_partial_results: "false", timeout: "600", exec_mode: "normal", search: undefined,
      },
    );
    assert.equal(create.form?.search, "search index=netflow nothing-matches-this | fields _raw, _time, _indextime, _cd, index, sourcetype, host, source, src_ip, id.orig_h, dest_port, id.resp_p");
    assert.equal(emu.requestLog.find({ method: "DELETE" }).at(-1)?.status, 200);
  });

  it("fails the window of a finalized job or one whose messages say results are incomplete; reads it whole once the fault clears", async (t) => {
    const target = getTarget();
    const emu = target.emulator;
    if (!emu) return t.skip(NEEDS_EMULATOR);
    const m = marker();
    const now = Math.floor(Date.now() / 1000);
    await target.seed(Array.from({ length: 30 }, (_, i) => ({ time: now - 50 + i, indextime: now - 50 + i, raw: JSON.stringify({ m, n: i, src_ip: "10.0.0.1" }) })));
    const src = source(`index=${target.index} ${m}`);
    emu.faults.partialJob({ count: 1, finalized: true });
    await assert.rejects(pull(src, windowOf(now - 600, now + 1)), (e: unknown) => {
      assert.ok(e instanceof SplunkError);
      assert.match(e.message, /finished with incomplete results \(the job was finalized.*checkpoint holds/);
      return true;
    });
    emu.faults.partialJob({ count: 1, message: "Unable to distribute to peer named idx2 at uri=10.0.0.2:8089 because peer has status=Down." });
    await assert.rejects(pull(src, windowOf(now - 600, now + 1)), /incomplete results \(WARN: Unable to distribute to peer named idx2/);
    emu.faults.partialJob({ count: 1, message: "The search job was finalized: results may be incomplete", messageType: "ERROR" });
    const custom = source(`index=${target.index} ${m}`, { incompletePatterns: ["only this"] });
    const ok = await pull(custom, windowOf(now - 600, now + 1));
    assert.equal(ok.events.length, 30, "a message no configured pattern matches does not fail the window");
    const got = await pull(src, windowOf(now - 600, now + 1));
    assert.equal(got.events.length, 30);
    assert.equal(new Set(got.events.map(eventId)).size, 30, "every row once");
    assert.equal(emu.jobs.list().length, 0, "the failed jobs were deleted too");
  });

  it("reads a window whose job carries an unrelated warning, and logs the warning", async (t) => {
    const target = getTarget();
    const emu = target.emulator;
    if (!emu) return t.skip(NEEDS_EMULATOR);
    const m = marker();
    const now = Math.floor(Date.now() / 1000);
    await target.seed(Array.from({ length: 12 }, (_, i) => ({ time: now - 20 + i, indextime: now - 20 + i, raw: JSON.stringify({ m, n: i }) })));
    emu.faults.partialJob({ count: 1, message: "Field 'src_ip' does not exist in the data." });
    const got = await pull(source(`index=${target.index} ${m}`), windowOf(now - 600, now + 1));
    assert.equal(got.events.length, 12);
  });

  it("splits a window whose job reaches max_count, and reads every event exactly once", async (t) => {
    const target = getTarget();
    if (!target.emulator) return t.skip(NEEDS_EMULATOR);
    const m = marker();
    const base = 1_800_010_000;
    const n = 2500;
    await target.seed(Array.from({ length: n }, (_, i) => ({ time: base + (i % 100), indextime: base + (i % 100), raw: JSON.stringify({ m, n: i }) })));
    const before = target.emulator.requestLog.find({ method: "POST", path: /\/jobs\/?$/ }).length;
    const got = await pull(source(`index=${target.index} ${m}`, { maxResultsPerJob: 1000 }), windowOf(base, base + 100));
    assert.equal(got.events.length, n);
    assert.equal(new Set(got.events.map(eventId)).size, n);
    const jobs = target.emulator.requestLog.find({ method: "POST", path: /\/jobs\/?$/ }).length - before;
    assert.ok(jobs >= 4, `the window was split (${jobs} jobs)`);
    assert.equal(target.emulator.jobs.list().length, 0, "every job was deleted, the capped ones too");
  });

  it("fails the run, rather than skip events, when one second of index time exceeds max_count", async (t) => {
    const target = getTarget();
    if (!target.emulator) return t.skip(NEEDS_EMULATOR);
    const m = marker();
    const base = 1_800_020_000;
    await target.seed(Array.from({ length: 50 }, (_, i) => ({ time: base, indextime: base, raw: JSON.stringify({ m, n: i }) })));
    await assert.rejects(pull(source(`index=${target.index} ${m}`, { maxResultsPerJob: 20 }), windowOf(base, base + 8)), (e: unknown) => {
      assert.ok(e instanceof SplunkError);
      assert.match(e.message, /held 20 of 50 events \(max_count 20\) and a one-second window cannot be split further/);
      return true;
    });
    assert.equal(target.emulator.jobs.list().length, 0);
  });

  it("keeps pulling when the session expires mid-pull: the SDK logs in again, nothing lost or doubled", async (t) => {
    const target = getTarget();
    const emu = target.emulator;
    if (!emu) return t.skip(NEEDS_EMULATOR);
    const m = marker();
    const base = 1_800_030_000;
    await target.seed(Array.from({ length: 1000 }, (_, i) => ({ time: base + (i % 10), indextime: base + (i % 10), raw: JSON.stringify({ m, n: i }) })));
    const src = source(`index=${target.index} ${m}`, { settings: { ...SETTINGS, page_size: 300 } });
    const logins = () => emu.requestLog.find({ path: "/auth/login", status: 200 }).length;
    let loginsBefore = 0;
    const got = await pull(src, windowOf(base, base + 10), (batch) => {
      if (batch === 1) {
        loginsBefore = logins();
        emu.faults.expireSessions();
      }
    });
    assert.equal(got.events.length, 1000);
    assert.equal(new Set(got.events.map(eventId)).size, 1000);
    assert.equal(logins(), loginsBefore + 1, "logged in once more");
    assert.ok(emu.requestLog.find({ path: "/results", status: 401 }).length >= 1, "a results page met the expired session");
  });

  it("retries job creation on 503 too many concurrent searches and skips nothing", async (t) => {
    const target = getTarget();
    const emu = target.emulator;
    if (!emu) return t.skip(NEEDS_EMULATOR);
    const m = marker();
    const base = 1_800_040_000;
    await target.seed(Array.from({ length: 30 }, (_, i) => ({ time: base + i, indextime: base + i, raw: JSON.stringify({ m, n: i }) })));
    emu.faults.tooManySearches({ count: 2 });
    const retried: number[] = [];
    const src = source(`index=${target.index} ${m}`, { retry: { ...FAST.retry, onRetry: (e) => retried.push(Number(e.status)) } });
    const got = await pull(src, windowOf(base, base + 30));
    assert.equal(got.events.length, 30);
    assert.deepEqual(retried, [503, 503]);
    const creates = emu.requestLog.find({ method: "POST", path: /\/jobs\/?$/ }).slice(-3).map((e) => e.status);
    assert.deepEqual(creates, [503, 503, 201]);
  });

  it("dispatches again when the job disappears (404) on a status poll, and reads the window once", async (t) => {
    const target = getTarget();
    const emu = target.emulator;
    if (!emu) return t.skip(NEEDS_EMULATOR);
    const m = marker();
    const base = 1_800_045_000;
    const n = 700;
    await target.seed(Array.from({ length: n }, (_, i) => ({ time: base + (i % 20), indextime: base + (i % 20), raw: JSON.stringify({ m, n: i }) })));
    const createsBefore = emu.requestLog.find({ method: "POST", path: /\/jobs\/?$/ }).length;
    emu.faults.jobNotFound({ count: 2, read: "status", drop: true });
    const got = await pull(source(`index=${target.index} ${m}`, { settings: { ...SETTINGS, page_size: 250 } }), windowOf(base, base + 20));
    assert.equal(got.events.length, n);
    assert.equal(new Set(got.events.map(eventId)).size, n, "no event twice");
    assert.deepEqual(got.rejected, []);
    assert.equal(emu.requestLog.find({ method: "POST", path: /\/jobs\/?$/ }).length - createsBefore, 3, "dispatched twice more");
    assert.equal(emu.requestLog.find({ method: "GET", path: /\/jobs\/[^/]+\/?$/, status: 404 }).length, 2);
    assert.equal(emu.jobs.list().length, 0, "no job left behind");
  });

  it("resumes on a job dispatched again when a results page answers 404 mid-window: every row once", async (t) => {
    const target = getTarget();
    const emu = target.emulator;
    if (!emu) return t.skip(NEEDS_EMULATOR);
    const m = marker();
    const base = 1_800_046_000;
    const n = 1000;
    await target.seed(Array.from({ length: n }, (_, i) => ({ time: base + (i % 20), indextime: base + (i % 20), raw: JSON.stringify({ m, n: i }) })));
    // the third page of the first job, then the first page asked of the second job, land on a member without it
    emu.faults.jobNotFound({ count: 1, read: "results", skip: 2, drop: true });
    emu.faults.jobNotFound({ count: 1, read: "results", skip: 3, drop: false });
    const got = await pull(source(`index=${target.index} ${m}`, { settings: { ...SETTINGS, page_size: 300 } }), windowOf(base, base + 20));
    assert.equal(got.events.length, n);
    assert.equal(new Set(got.events.map(eventId)).size, n, "no event twice");
    assert.deepEqual(
      new Set(got.events.map((e) => (JSON.parse((e.origin as { raw: string }).raw) as { n: number }).n)),
      new Set(Array.from({ length: n }, (_, i) => i)),
    );
    assert.deepEqual(got.rejected, []);
    assert.equal(emu.requestLog.find({ path: "/results", status: 404 }).length, 2);
    assert.equal(emu.jobs.list().length, 0, "no job left behind");
  });

  it("fails the window with the reason after the job disappears on every dispatch (bounded)", async (t) => {
    const target = getTarget();
    const emu = target.emulator;
    if (!emu) return t.skip(NEEDS_EMULATOR);
    const m = marker();
    const base = 1_800_047_000;
    await target.seed([{ time: base, indextime: base, raw: JSON.stringify({ m }) }]);
    const createsBefore = emu.requestLog.find({ method: "POST", path: /\/jobs\/?$/ }).length;
    emu.faults.jobNotFound({ read: "status", drop: true });
    try {
      await assert.rejects(pull(source(`index=${target.index} ${m}`, { redispatch: 2 }), windowOf(base, base + 10)), (e: unknown) => {
        assert.ok(e instanceof SplunkError);
        assert.equal(e.kind, "permanent");
        assert.match(e.message, /^Splunk search "conn": the search job for index time .* disappeared \(404\) 3 times .*sticky.*checkpoint holds/);
        return true;
      });
      assert.equal(emu.requestLog.find({ method: "POST", path: /\/jobs\/?$/ }).length - createsBefore, 3);
    } finally {
      emu.faults.clear();
    }
  });

  it("pulls a late event in the window of its _indextime, not of its _time", async (t) => {
    const target = getTarget();
    if (!target.emulator) return t.skip(NEEDS_EMULATOR);
    const m = marker();
    const S = 1_800_050_000;
    const ev = (name: string, time: number, indextime: number) => ({ time, indextime, raw: JSON.stringify({ m, name }) });
    await target.seed([
      ev("on-time", S + 10, S + 11),
      ev("late-by-an-hour", S - 3600, S + 70),
      ev("late-by-a-minute", S + 30, S + 90),
      ev("later-than-max-lateness", S - 3 * 86400, S + 100),
    ]);
    const src = source(`index=${target.index} ${m}`);
    const names = async (w: SplunkWindow) => (await pull(src, w)).events.map((e) => (JSON.parse((e.origin as { raw: string }).raw) as { name: string }).name).sort();
    assert.deepEqual(await names(windowOf(S, S + 60)), ["on-time"]);
    assert.deepEqual(await names(windowOf(S + 60, S + 120)), ["late-by-a-minute", "late-by-an-hour"]);
  });

  it("counts and skips malformed rows, reporting their result offset", async (t) => {
    const target = getTarget();
    const emu = target.emulator;
    if (!emu) return t.skip(NEEDS_EMULATOR);
    const m = marker();
    const base = 1_800_060_000;
    await target.seed(Array.from({ length: 10 }, (_, i) => ({ time: base + i, indextime: base + i, raw: JSON.stringify({ m, n: i }) })));
    emu.faults.malformedRows({ count: 1, position: 3, pathPrefix: "/services" });
    const got = await pull(source(`index=${target.index} ${m}`), windowOf(base, base + 10));
    assert.equal(got.events.length, 9);
    assert.equal(got.rejected.length, 1);
    assert.equal(got.rejected[0]!.line, 3);
    assert.equal(got.rejected[0]!.file, "splunk:conn");
    assert.match(got.rejected[0]!.reason, /_time "not-a-time" is not a time/);
  });

  it("gives each event the event_id Splunk computes with sha256(index.\"|\"._raw)", async () => {
    const t = getTarget();
    const m = marker();
    const now = Math.floor(Date.now() / 1000);
    const raws = [`{"m":"${m}","note":"plain"}`, `{"m":"${m}","note":"ünïcödé ✓ \\"quoted\\" | pipe"}`, `${m} key=value with  two  spaces`];
    await t.seed(raws.map((raw, i) => ({ time: now - 30 + i, indextime: now - 30 + i, raw })));
    const got = await pull(source(`index=${t.index} ${m}`), windowOf(now - 600, now + 1));
    assert.equal(got.events.length, 3);
    const client = new SplunkClient(t.connection());
    clients.push(client);
    const job = await client.createJob(`search index=${t.index} ${m} | eval id=sha256(index."|"._raw) | fields id`, { earliest_time: String(now - 3600), latest_time: String(now + 600) });
    await client.waitForJob(job, FAST.wait);
    const page = await client.results(job, 0, 100);
    await client.removeJob(job);
    const splunkIds = (page.results ?? []).map((r) => String(r.id)).sort();
    assert.deepEqual(got.events.map(eventId).sort(), splunkIds);
  });

  it("normalizes Zeek conn events to CIM names and pulls only the fields asked for", async (t) => {
    const target = getTarget();
    if (!target.emulator) return t.skip(NEEDS_EMULATOR);
    const zeek = [
      "#separator \\x09",
      "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state",
      "1800070001.5\tCabc\t10.1.1.1\t5555\t10.2.2.2\t53\tudp\tdns\t0.01\t40\t120\tSF",
      "1800070002.25\tCdef\t10.1.1.3\t5556\t10.2.2.4\t22\ttcp\t-\t-\t-\t-\tS0",
    ].join("\n");
    for (const e of parseZeek(zeek, { index: target.index, sourcetype: "zeek:conn" })) target.emulator.store.append({ ...e, indextime: 1_800_070_010 });
    const src = source(`index=${target.index} sourcetype=zeek:conn`, { fields: ["src_ip", "dest_port", "transport", "app", "bytes_out", "conn_state"] });
    const got = await pull(src, windowOf(1_800_070_010, 1_800_070_011));
    const byUid = got.events.sort((a, b) => a.time! - b.time!);
    assert.deepEqual(byUid.map((e) => e.fields), [
      { src_ip: "10.1.1.1", dest_port: "53", transport: "udp", app: "dns", bytes_out: "40", conn_state: "SF" },
      { src_ip: "10.1.1.3", dest_port: "22", transport: "tcp", conn_state: "S0" },
    ]);
    assert.deepEqual(byUid.map((e) => e.time), [1800070001.5, 1800070002.25]);
    assert.equal(byUid[0]!.origin.kind === "splunk" && byUid[0]!.origin.sourcetype, "zeek:conn");
    const page = target.emulator.requestLog.find({ path: "/results" }).at(-1)!;
    const f = page.form?.f ?? page.query.f;
    assert.deepEqual(f, [
      "_raw", "_time", "_indextime", "_cd", "index", "sourcetype", "host", "source",
      "src_ip", "id.orig_h", "dest_port", "id.resp_p", "transport", "proto", "app", "service", "bytes_out", "orig_bytes", "conn_state",
    ], "results pages ask for the pulled fields only");
  });

  it("pulls with a bearer token as well", async (t) => {
    const target = getTarget();
    if (!target.token) return t.skip("no token for this target");
    const m = marker();
    const now = Math.floor(Date.now() / 1000);
    await target.seed([{ time: now - 5, indextime: now - 5, raw: JSON.stringify({ m }) }]);
    const got = await pull(source(`index=${target.index} ${m}`, { auth: "token" }), windowOf(now - 600, now + 1));
    assert.equal(got.events.length, 1);
  });
}

describe("Splunk source against the emulator over HTTPS", () => {
  let target: Target;
  before(async () => {
    target = await emulatorTarget();
  });
  after(() => target.stop());
  sourceTests(() => target);
});

const real = realTarget();
describe("Splunk source against a real Splunk", { skip: realTargetMissing() ?? false }, () => {
  sourceTests(() => real!);
});
