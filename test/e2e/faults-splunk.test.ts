// The Splunk loop end to end when Splunk's side misbehaves: each test runs the Service against a fresh emulator
// (HTTPS, test CA, the real splunk-sdk), injects one fault, and checks that the risk index holds exactly the
// expected event_ids (the rows the runs' windows cover, scored locally), none twice.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { Sidecar } from "../../sidecar/service/sidecar.ts";
import {
  checkpointPath, indexedRuns, landed, loopConfig, newClient, onRequest, runService, sampleRows, scoringModel, seedSample,
  totals, uniqueSource, zeekText, type RunSummary,
} from "./loop.ts";
import { emulatorTarget, passSecond, reservePort, UNTRUSTED_TLS, type EmulatorTargetOptions, type Target } from "../helpers/splunk-target.ts";

async function withEmulator(o: EmulatorTargetOptions, body: (t: Target) => Promise<void>): Promise<void> {
  const t = await emulatorTarget(o);
  try {
    await body(t);
  } finally {
    await t.stop();
  }
}

function allCommitted(runs: readonly RunSummary[]): void {
  assert.ok(runs.length >= 1, "at least one run");
  for (const r of runs) assert.deepEqual({ committed: r.committed, error: r.error }, { committed: true, error: null });
}

/** Entries of the request log for the search results pages, with the offset and count asked. */
function resultPages(t: Target): { offset: number; count: number; status: number }[] {
  return t.emulator!.requestLog.find({ path: /\/results$/ }).map((e) => {
    const p = { ...e.query, ...e.form };
    return { offset: Number(p.offset), count: Number(p.count), status: e.status };
  });
}

async function sessionExpiresMidRun(t: Target): Promise<void> {
  const n = 400;
  const seeded = await seedSample(t, "session", n);
  const config = loopConfig(t, { query: seeded.query, splunk: { page_size: 100 } });
  const emu = t.emulator!;
  let expiredAt = -1;
  onRequest(t, (e) => {
    if (expiredAt < 0 && e.path.endsWith("/results") && e.status === 200) {
      emu.faults.expireSessions();
      expiredAt = emu.requestLog.entries.length;
    }
  });
  const run = await runService(config);
  allCommitted(run.runs);
  assert.equal(totals(run.runs).pulled, n);
  assert.ok(expiredAt > 0, "the sessions expired after the first page");
  const afterExpiry = emu.requestLog.entries.slice(expiredAt);
  assert.ok(afterExpiry.some((e) => e.status === 401), "a request met the expired session");
  assert.ok(afterExpiry.some((e) => e.method === "POST" && e.path.endsWith("/auth/login") && e.status === 200), "the SDK logged in again");
  assert.deepEqual(resultPages(t).filter((p) => p.status === 200).map((p) => p.offset), [0, 100, 200, 300], "every page read once, after the new login too");
  const l = await landed(t, config, seeded.source, run.runs);
  assert.equal(l.duplicates, 0);
  assert.ok(l.ids.size > 0);
}

async function lateEvents(t: Target): Promise<void> {
  const first = await seedSample(t, "late", 200, { ageSeconds: 1200 });
  const config = loopConfig(t, { query: first.query });
  const run1 = await runService(config);
  allCommitted(run1.runs);
  const window1 = run1.runs[0]!.window;
  // Events whose _time lies before the first window's start (by half an hour), indexed only now.
  const late = await seedSample(t, "late", 120, { source: first.source, offset: 7, ageSeconds: Math.floor(t.now() / 1000) - (window1.start - 1800) });
  assert.ok(late.rows.every((r) => r.time < window1.start), "late: older than the previous window");
  const run2 = await runService(config);
  allCommitted(run2.runs);
  assert.equal(totals(run2.runs).pulled, late.rows.length, "the next run reads the late events by their index time");
  const l = await landed(t, config, first.source, [...run1.runs, ...run2.runs]);
  assert.equal(l.duplicates, 0);
  const lateRaws = new Set(late.rows.map((r) => r.raw));
  const lateWritten = l.expected.rows.filter((r) => r.event.origin.kind === "splunk" && lateRaws.has(r.event.origin.raw) && r.score >= 20);
  assert.ok(lateWritten.length > 0, "some late events score high enough to be written");
  assert.ok(l.risk.some((e) => (e.orig_time as number) < window1.start), "their risk events carry the old _time");
}

async function malformedRows(t: Target): Promise<void> {
  const n = 300;
  const seeded = await seedSample(t, "malformed", n);
  const config = loopConfig(t, { query: seeded.query, splunk: { page_size: 100 } });
  t.emulator!.faults.malformedRows({ count: 1, position: 2 });
  const run = await runService(config);
  allCommitted(run.runs);
  const sum = totals(run.runs);
  assert.deepEqual({ pulled: sum.pulled, scored: sum.scored, rejected: sum.rejected }, { pulled: n - 1, scored: n - 1, rejected: 1 });
  assert.match(run.printed, /\(1 rows could not be read\)/, "the summary reports it");
  const client = newClient(t);
  try {
    const runs = await indexedRuns(client, t, run.runs.map((r) => r.run_id));
    const withReject = runs.filter((r) => (r.events_rejected as number) > 0);
    assert.equal(withReject.length, 1, "the run event counts the row");
    assert.equal(withReject[0]!.events_rejected, 1);
    assert.deepEqual(withReject[0]!.rejected_samples, [{ file: "splunk:zeek_conn", line: 2, reason: '_time "not-a-time" is not a time' }]);
  } finally {
    client.close();
  }
  // The emulator put the bad row in place of the third row of the first page: that event is skipped, no other.
  const l = await landed(t, config, seeded.source, run.runs, (_row, i) => i === 2);
  assert.equal(l.duplicates, 0);
  assert.equal(l.expected.rows.length, n - 1);
}

async function unreachableAtStartup(): Promise<void> {
  const [port, hecPort] = [await reservePort(), await reservePort()];
  const t = await emulatorTarget({ port, hecPort, start: false });
  try {
    const source = uniqueSource("unreachable");
    const config = loopConfig(t, {
      query: `index=${t.index} sourcetype="zeek:conn:json" source="${source}"`,
      schedule: { scoring_cron: "* * * * * *", run_on_start: true },
    });
    const s = new Sidecar(config, () => undefined);
    try {
      await s.start();
      assert.match(s.notReadyReason() ?? "", new RegExp(`Splunk at https://127\\.0\\.0\\.1:${port} is unreachable \\(ECONNREFUSED\\): check the host and port in splunk\\.url`));
      assert.equal((s.status() as { last_runs: unknown[] }).last_runs.length, 0);
      const seeded = await seedSample(t, "unreachable", 200, { source });
      await t.emulator!.start();
      const deadline = Date.now() + 20_000;
      let runs: RunSummary[] = [];
      while (Date.now() < deadline) {
        runs = [...(s.status() as { last_runs: RunSummary[] }).last_runs].reverse();
        if (totals(runs).pulled >= 200) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(s.notReadyReason(), null, "ready once Splunk answers");
      allCommitted(runs);
      assert.equal(totals(runs).pulled, 200, "the next run after Splunk came up read the window");
      await s.shutdown();
      const l = await landed(t, config, seeded.source, runs);
      assert.equal(l.duplicates, 0);
    } finally {
      await s.shutdown();
    }
  } finally {
    await t.stop();
  }
}

async function moreRowsThanAPage(t: Target): Promise<void> {
  const emu = t.emulator!;
  const n = 1200;
  const source = uniqueSource("paging");
  // Zeek TSV this time (the emulator extracts by the #fields header); its real 2022 times need a wide lateness.
  const before = Math.floor(t.now() / 1000);
  assert.equal(emu.seed(zeekText(sampleRows(n, 3)), { index: t.index, sourcetype: "zeek:conn", source, host: "sensor-1" }), n);
  await passSecond(before);
  emu.settings.maxCount = 500; // a job that left max_count to the server would stop at 500
  emu.settings.maxResultRows = 50; // the server gives at most 50 rows per page, whatever count asks
  const config = loopConfig(t, { query: `index=${t.index} sourcetype=zeek:conn source="${source}"`, splunk: { page_size: 70, max_lateness_seconds: 2_000_000_000 } });
  const run = await runService(config);
  allCommitted(run.runs);
  assert.equal(totals(run.runs).pulled, n);
  const pages = resultPages(t);
  assert.deepEqual(pages.map((p) => p.offset), Array.from({ length: n / 50 }, (_, i) => i * 50), "contiguous pages, no offset skipped");
  assert.ok(pages.every((p) => p.count <= 70 && p.status === 200));
  emu.settings.maxCount = 10_000;
  emu.settings.maxResultRows = 50_000;
  const l = await landed(t, config, source, run.runs);
  assert.equal(l.expected.rows.length, n);
  assert.equal(l.duplicates, 0);
}

async function tooManySearches(t: Target): Promise<void> {
  const n = 300;
  const seeded = await seedSample(t, "busy", n);
  const config = loopConfig(t, { query: seeded.query });
  const emu = t.emulator!;
  emu.faults.tooManySearches({ count: 2 });
  const run = await runService(config);
  allCommitted(run.runs);
  assert.equal(totals(run.runs).pulled, n);
  const creates = emu.requestLog.find({ method: "POST", path: /\/jobs\/?$/ }).map((e) => e.status);
  assert.deepEqual(creates.slice(0, 3), [503, 503, 201], "job creation retried after 503s");
  const l = await landed(t, config, seeded.source, run.runs);
  assert.equal(l.duplicates, 0);
}

async function jobsThatDisappear(t: Target): Promise<void> {
  const n = 300;
  const seeded = await seedSample(t, "gone", n);
  const config = loopConfig(t, { query: seeded.query, splunk: { page_size: 100 } });
  const emu = t.emulator!;
  // A search-head cluster without sticky sessions: a status poll, then the second results page, land on a
  // member that does not have the job.
  emu.faults.jobNotFound({ count: 1, read: "status", drop: true });
  emu.faults.jobNotFound({ count: 1, read: "results", skip: 1, drop: true });
  const run = await runService(config);
  allCommitted(run.runs);
  assert.equal(totals(run.runs).pulled, n);
  assert.equal(emu.requestLog.find({ method: "POST", path: /\/jobs\/?$/ }).length, 3, "the window's job was dispatched twice more");
  assert.equal(emu.requestLog.find({ status: 404, path: /\/jobs\// }).length >= 2, true);
  const l = await landed(t, config, seeded.source, run.runs);
  assert.equal(l.expected.rows.length, n);
  assert.equal(l.duplicates, 0);
  assert.equal(emu.jobs.list().length, 0, "no job left behind");
}

async function partialJobs(t: Target): Promise<void> {
  const n = 200;
  const seeded = await seedSample(t, "partial", n);
  const config = loopConfig(t, { query: seeded.query });
  const emu = t.emulator!;
  // A job stopped early (quota, max_time): DONE, but isFinalized.
  emu.faults.partialJob({ count: 1, finalized: true });
  const failed = await runService(config);
  assert.equal(failed.runs.length, 1);
  assert.equal(failed.runs[0]!.committed, false);
  assert.match(failed.runs[0]!.error ?? "", /finished with incomplete results \(the job was finalized.*checkpoint holds/);
  assert.equal(existsSync(checkpointPath(config)), false, "the checkpoint holds");
  // An unrelated warning does not fail the window, and the window failed before is read whole, once.
  emu.faults.partialJob({ count: 1, message: "Field 'nonexistent' does not exist in the data." });
  const run = await runService(config);
  allCommitted(run.runs);
  assert.equal(totals(run.runs).pulled, n);
  const l = await landed(t, config, seeded.source, [...failed.runs, ...run.runs]);
  assert.equal(l.expected.rows.length, n);
  assert.equal(l.duplicates, 0);
  assert.equal(emu.jobs.list().length, 0, "no job left behind");
}

async function partialJobsNotReady(t: Target): Promise<void> {
  const seeded = await seedSample(t, "peerdown", 50);
  const config = loopConfig(t, { query: seeded.query, splunk: { max_window_failures: 3 } });
  const emu = t.emulator!;
  const text = "Unable to distribute to peer named idx2 at uri=10.0.0.2:8089 because peer has status=Down.";
  emu.faults.partialJob({ message: text }); // until cleared
  const s = new Sidecar(config, () => undefined);
  try {
    await s.start({ once: true });
    assert.equal(s.notReadyReason(), null, "one failed attempt: still ready");
    await s.scoring.runAll();
    assert.equal(s.notReadyReason(), null, "two");
    await s.scoring.runAll();
    assert.match(s.notReadyReason() ?? "", /source "zeek_conn": the same window failed 3 times in a row; the last error: .*Unable to distribute to peer named idx2/);
    emu.faults.clear();
    await s.scoring.runAll();
    assert.equal(s.notReadyReason(), null, "ready again once the window is read");
    assert.equal(totals(s.status().last_runs as RunSummary[]).pulled, 50);
  } finally {
    await s.shutdown();
  }
}

async function slowSearches(t: Target): Promise<void> {
  const seeded = await seedSample(t, "slow", 100);
  // Every job takes over a second: on the live clock each window's run would open the next one-second window.
  t.emulator!.settings.jobDelayMs = 1100;
  const config = loopConfig(t, { query: seeded.query });
  const run = await runService(config);
  allCommitted(run.runs);
  assert.equal(run.runs.length, 1, "one window per scheduled run once caught up");
  assert.equal(totals(run.runs).pulled, 100);
  assert.equal(t.emulator!.requestLog.find({ method: "POST", path: /\/jobs\/?$/ }).length, 1, "one search job");
}

async function untrustedCertificate(o: EmulatorTargetOptions, reason: RegExp): Promise<void> {
  await withEmulator(o, async (t) => {
    const config = loopConfig(t, { query: `index=${t.index}` });
    const run = await runService(config);
    assert.match(run.notReady ?? "", reason);
    assert.equal(run.runs.length, 0, "nothing ran");
    assert.equal(existsSync(checkpointPath(config)), false);
    assert.equal(t.emulator!.jobs.list().length + t.emulator!.requestLog.find({ path: /\/jobs/ }).length, 0, "no search was sent");
  });
}

describe("the Splunk loop when Splunk misbehaves", () => {
  it("(a) a session that expires mid-run: the SDK logs in again and no page is lost", () => withEmulator({}, sessionExpiresMidRun));
  it("(e) late events (old _time, new _indextime) are read by the next run", () => withEmulator({}, lateEvents));
  it("(f) a malformed row is counted in the run event, reported and skipped; the others are written", () => withEmulator({}, malformedRows));
  it("(h) Splunk unreachable at startup: the service stays up, says why, and the next run after Splunk starts succeeds", unreachableAtStartup);
  it("(i) more rows than a page, than the server's default max_count and its max rows per page: none lost", () => withEmulator({}, moreRowsThanAPage));
  it("(j) 503 too many concurrent searches: retried, nothing skipped", () => withEmulator({}, tooManySearches));
  it("a job that disappears (404, search-head cluster without sticky sessions): dispatched again, every event once", () => withEmulator({}, jobsThatDisappear));
  it("a finalized job fails its window (checkpoint holds); an unrelated warning does not; the next run reads every row once", () => withEmulator({}, partialJobs));
  it("a window that fails splunk.max_window_failures times makes the sidecar not ready, with the reason", () => withEmulator({}, partialJobsNotReady));
  it("a search slower than a second: one run catches up to the tick's start and stops, no chase after the clock", { timeout: 30_000 }, () => withEmulator({}, slowSearches));
  it("(k) a certificate the CA does not sign is refused: not ready, the reason names ca_file", async () => {
    await untrustedCertificate({ tls: UNTRUSTED_TLS }, /Splunk at https:\/\/127\.0\.0\.1:\d+ presented a certificate not signed by the configured CA \(test\/fixtures\/tls\/ca\.pem\).*set splunk\.ca_file/);
    await untrustedCertificate({ hecTls: UNTRUSTED_TLS }, /HEC at https:\/\/127\.0\.0\.1:\d+ .*presented a certificate not signed by the configured CA \(test\/fixtures\/tls\/ca\.pem\).*set hec\.ca_file/);
  });

  after(async () => {
    await (await scoringModel()).close();
  });
});

