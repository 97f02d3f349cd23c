// The Splunk loop end to end when the write side misbehaves (HEC busy, down, a wrong token) or the sidecar dies
// between write and commit: against a fresh emulator each, through the real splunk-sdk and our HEC client over
// HTTPS, the risk index ends with exactly the expected event_ids; duplicates only where the design allows them
// (a rewrite after a crash, same event_id).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import {
  checkpointOf, checkpointPath, idCounts, indexedRisk, landed, loopConfig, newClient, onRequest, runService, scoringModel, seedSample, totals,
  type RunSummary,
} from "./loop.ts";
import { emulatorTarget, type Target } from "../helpers/splunk-target.ts";

async function withEmulator(body: (t: Target) => Promise<void>): Promise<void> {
  const t = await emulatorTarget();
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

const isEventPost = (e: { listener: string; method: string; path: string }) => e.listener === "hec" && e.method === "POST" && e.path.startsWith("/services/collector/event");

async function hecBusyInBursts(t: Target): Promise<void> {
  const n = 600;
  const seeded = await seedSample(t, "busy", n);
  const config = loopConfig(t, { query: seeded.query, splunk: { page_size: 100 }, hec: { batch_max_events: 20, max_in_flight: 2 } });
  const emu = t.emulator!;
  // After the first accepted post, HEC answers 503 three times; after the fourth, twice more.
  let ok = 0;
  onRequest(t, (e) => {
    if (!isEventPost(e) || e.status !== 200) return;
    ok++;
    if (ok === 1) emu.faults.hecBusy({ count: 3 });
    if (ok === 4) emu.faults.hecBusy({ count: 2 });
  });
  const run = await runService(config);
  allCommitted(run.runs);
  const posts = emu.requestLog.entries.filter(isEventPost);
  assert.equal(posts.filter((e) => e.status === 503).length, 5, "two bursts of 503");
  assert.ok(ok >= 5, `more posts after the bursts (${ok})`);
  const l = await landed(t, config, seeded.source, run.runs);
  assert.equal(l.duplicates, 0, "a refused post is resent once, not twice");
  assert.equal(l.risk.length, totals(run.runs).written);
}

async function hecDownPastDeadline(t: Target): Promise<void> {
  const emu = t.emulator!;
  const first = await seedSample(t, "down", 200, { ageSeconds: 2400 });
  const config = loopConfig(t, { query: first.query, hec: { retry_deadline_ms: 800 } });
  const run1 = await runService(config);
  allCommitted(run1.runs);
  const cp1 = readFileSync(checkpointPath(config), "utf8");

  const second = await seedSample(t, "down", 200, { source: first.source, offset: 5, ageSeconds: 1200 });
  // HEC goes down once the next run's search starts (after the readiness check) and stays down past the deadline.
  let armed = false;
  onRequest(t, (e) => {
    if (!armed && e.method === "POST" && /\/jobs\/?$/.test(e.path)) {
      armed = true;
      emu.faults.hecBusy({ count: 1_000_000 });
    }
  });
  const run2 = await runService(config);
  assert.equal(run2.runs.length, 1);
  const failed = run2.runs[0]!;
  assert.equal(failed.committed, false);
  assert.match(failed.error ?? "", /sink refused a batch: HTTP 503: .*Server is busy/);
  assert.equal(readFileSync(checkpointPath(config), "utf8"), cp1, "the checkpoint holds");
  const refused = emu.requestLog.entries.filter((e) => isEventPost(e) && e.status === 503).length;
  assert.ok(refused >= 2 && refused <= 20, `retried with backoff until the deadline, not in a storm (${refused} posts)`);

  emu.faults.clear(); // HEC is back
  const run3 = await runService(config);
  allCommitted(run3.runs);
  assert.equal(run3.runs[0]!.window.start, failed.window.start, "the next run retries the same window");
  assert.equal(totals(run3.runs).pulled, second.rows.length);
  assert.ok(checkpointOf(config)!.indexed_before > JSON.parse(cp1).indexed_before);
  const l = await landed(t, config, first.source, [...run1.runs, ...run3.runs]);
  assert.equal(l.duplicates, 0);
}

async function killedBetweenWriteAndCommit(t: Target): Promise<void> {
  const first = await seedSample(t, "crash", 200, { ageSeconds: 2400 });
  const config = loopConfig(t, { query: first.query });
  const run1 = await runService(config);
  allCommitted(run1.runs);
  const cpBefore = readFileSync(checkpointPath(config), "utf8");

  const second = await seedSample(t, "crash", 250, { source: first.source, offset: 3, ageSeconds: 1200 });
  const run2 = await runService(config);
  allCommitted(run2.runs);
  // The process "died" after HEC acknowledged run 2's events but before its checkpoint reached the disk.
  writeFileSync(checkpointPath(config), cpBefore);
  const run3 = await runService(config);
  allCommitted(run3.runs);
  assert.equal(run3.runs[0]!.window.start, run2.runs[0]!.window.start, "the restarted sidecar reads run 2's window again");
  assert.equal(totals(run3.runs).pulled, second.rows.length);

  const client = newClient(t);
  let risk;
  try {
    risk = await indexedRisk(client, t, first.source);
  } finally {
    client.close();
  }
  const idsOf = (runs: RunSummary[]) => new Set(risk.filter((e) => runs.some((r) => r.run_id === e.run_id)).map((e) => String(e.event_id)));
  const ids2 = idsOf(run2.runs);
  const ids3 = idsOf(run3.runs);
  assert.ok(ids2.size > 0);
  assert.deepEqual(ids3, ids2, "the rewrite carries the same event_ids, not new ones");
  const counts = idCounts(risk);
  for (const id of ids2) assert.equal(counts.get(id), 2, "written twice, deduplicated by event_id");
  for (const id of idsOf(run1.runs)) assert.equal(counts.get(id), 1);

  const l = await landed(t, config, first.source, [...run1.runs, ...run2.runs]);
  assert.equal(l.duplicates, ids2.size, "the only duplicates are the rewritten window's");
}

async function wrongHecToken(t: Target): Promise<void> {
  const emu = t.emulator!;
  const seeded = await seedSample(t, "token", 300);
  const config = loopConfig(t, { query: seeded.query, hec: { token: "99999999-9999-9999-9999-999999999999" } });
  const run = await runService(config);
  // The readiness check probes the token with an empty post (400 "No data" if valid, 403 if not): the
  // sidecar stays up, not ready, and pulls and writes nothing until the token is fixed.
  assert.equal(run.runs.length, 0, "no run with a token HEC rejects");
  assert.match(run.notReady ?? "", /rejected the token \(403: code 4: Invalid token\); check hec\.token/);
  assert.equal(existsSync(checkpointPath(config)), false, "nothing committed");
  const posts = emu.requestLog.entries.filter(isEventPost);
  assert.equal(posts.length, 1, "one probe, no retry storm");
  assert.ok(posts.every((e) => e.status === 403));
  assert.equal(emu.requestLog.find({ path: "/services/collector/ack" }).length, 0);
}

describe("the Splunk loop when HEC misbehaves or the sidecar dies", () => {
  it("(b) HEC answers 503 in bursts, then recovers: every event written once", () => withEmulator(hecBusyInBursts));
  it("(c) HEC down longer than the retry deadline: the run fails, the checkpoint holds, the next run writes the window", () => withEmulator(hecDownPastDeadline));
  it("(d) killed between write and commit: the re-run writes the same event_ids, nothing lost", () => withEmulator(killedBetweenWriteAndCommit));
  it("(g) a wrong HEC token: not ready with a message that says so, no retry storm", () => withEmulator(wrongHecToken));

  after(async () => {
    await (await scoringModel()).close();
  });
});
