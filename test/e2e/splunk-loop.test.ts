// The Splunk loop end to end, through the real splunk-sdk over HTTPS: seed the bundled sample into an index,
// run the sidecar once (Splunk source, HEC sink with acknowledgement, index created through the SDK), then
// search the risk index through the SDK and hold what landed there against the same rows scored locally.
// The body takes its target as a parameter: a fresh emulator, and a real Splunk when the environment names one.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { CIM_COPY_FIELDS } from "../../sidecar/contract/index.ts";
import { eventId } from "../../sidecar/sources/event-id.ts";
import { riskBand } from "../../sidecar/scoring/risk.ts";
import {
  ALWAYS_PRESENT, checkpointOf, checkpointPath, diff, duplicates, eventually, expectedRisk, indexedRisk, indexedRuns, loopConfig,
  MIN_RISK_SCORE, newClient, runService, sample, scoringModel, SOURCETYPE, totals, uniqueSource, zeekJsonRows,
} from "./loop.ts";
import { emulatorTarget, realTarget, realTargetMissing, type Target } from "../helpers/splunk-target.ts";

const NUMERIC_CIM = new Set(["src_port", "dest_port", "bytes_in", "bytes_out", "packets_in", "packets_out", "duration"]);

async function happyPath(t: Target): Promise<void> {
  const model = await scoringModel();
  const source = uniqueSource("happy");
  const nowS = Math.floor(t.now() / 1000);
  const seeded = zeekJsonRows(sample().rows, nowS - 2400, 0.5);
  const n = seeded.length;
  await t.seed(seeded, { sourcetype: SOURCETYPE, source });
  const config = loopConfig(t, { query: `index=${t.index} sourcetype="${SOURCETYPE}" source="${source}"` });

  const run = await runService(config);
  assert.equal(run.notReady, null, `ready (${run.notReady})`);
  assert.equal(run.runs.length, 1, "one run: the window reaches the moment the run started");
  for (const r of run.runs) assert.deepEqual({ committed: r.committed, error: r.error }, { committed: true, error: null });
  const sum = totals(run.runs);
  assert.deepEqual({ pulled: sum.pulled, scored: sum.scored, bands: sum.bands, rejected: sum.rejected }, { pulled: n, scored: n, bands: n, rejected: 0 });

  // The checkpoint advanced to the end of the last window, past every seeded event's index time.
  assert.ok(existsSync(checkpointPath(config)), "checkpoints/zeek_conn.json under state_dir");
  const cp = checkpointOf(config);
  assert.deepEqual(cp, { indexed_before: run.runs.at(-1)!.window.end });
  assert.ok(cp!.indexed_before > nowS, "past the seeded events");

  const client = newClient(t);
  try {
    // The same rows, pulled through the SDK, scored here on the main thread.
    const expected = await expectedRisk(client, config, { start: run.runs[0]!.window.start, end: cp!.indexed_before }, model);
    assert.equal(expected.rows.length, n);
    assert.deepEqual(new Set(expected.rows.map((r) => r.event.origin.kind === "splunk" && r.event.origin.raw)), new Set(seeded.map((s) => s.raw)));
    for (const r of expected.rows) assert.equal(eventId(r.event), r.splId, "event_id is sha256(index.\"|\"._raw) as SPL computes it");
    assert.ok(expected.written.size > 0 && expected.written.size < n, `some events above ${MIN_RISK_SCORE}, some below (${expected.written.size} of ${n})`);

    const risk = await eventually(t, () => indexedRisk(client, t, source), (r) => r.length >= sum.written);
    assert.equal(duplicates(risk), 0, "no event_id twice");
    const ids = new Set(risk.map((e) => String(e.event_id)));
    assert.deepEqual(diff(expected.written, ids), [], "every event at or above the threshold was written");
    assert.deepEqual(diff(ids, expected.written), [], "no event below the threshold, none unknown");
    assert.equal(risk.length, sum.written);

    const byId = new Map(expected.rows.map((r) => [eventId(r.event), r]));
    for (const e of risk) {
      const want = byId.get(String(e.event_id))!;
      for (const f of ALWAYS_PRESENT) assert.ok(f in e, `risk event has ${f}`);
      assert.equal(e.risk_score, want.score, `risk_score of ${String(e.event_id)} as scored locally`);
      assert.equal(e.risk_band, riskBand(want.score));
      assert.ok((e.risk_score as number) >= MIN_RISK_SCORE);
      assert.ok(Math.abs(e._time - want.event.time!) < 0.001, "_time is the original event's time");
      assert.equal(e.orig_time, want.event.time);
      assert.equal(e.orig_index, t.index);
      assert.equal(e.orig_sourcetype, SOURCETYPE);
      assert.equal(e.orig_source, source);
      assert.equal(e.orig_host, "sensor-1");
      assert.equal(e.orig_line, null);
      assert.equal(e.search_name, "SOC Assistant - Network Threat Model");
      assert.equal(e.model_name, "zeek-conn");
      assert.ok(Array.isArray(e.top_features) && (e.top_features as unknown[]).length > 0);
      for (const f of CIM_COPY_FIELDS) {
        const v = want.event.fields[f];
        if (v === undefined) assert.ok(!(f in e), `${f} absent when the original lacks it`);
        else assert.equal(e[f], NUMERIC_CIM.has(f) ? Number(v) : String(v), `${f} copied from the original`);
      }
    }

    // One run event per run, whose counts add up with what the index holds.
    const runEvents = await eventually(t, () => indexedRuns(client, t, run.runs.map((r) => r.run_id)), (r) => r.length >= run.runs.length);
    assert.equal(runEvents.length, run.runs.length);
    const pulled = runEvents.reduce((a, r) => a + (r.events_pulled as number), 0);
    const scored = runEvents.reduce((a, r) => a + (r.events_scored as number), 0);
    const written = runEvents.reduce((a, r) => a + (r.events_written as number), 0);
    const bands = runEvents.reduce((a, r) => a + Object.values(r.by_band as Record<string, number>).reduce((x, y) => x + y, 0), 0);
    assert.deepEqual({ pulled, scored, bands, written }, { pulled: n, scored: n, bands: n, written: risk.length });
  } finally {
    client.close();
  }
}

describe("the Splunk loop end to end", () => {
  it("on the emulator: writes exactly the events at or above the threshold, with the contract's fields, ids SPL can compute, a checkpoint and a run event that adds up", async () => {
    const t = await emulatorTarget();
    try {
      await happyPath(t);
      const emu = t.emulator!;
      assert.ok(emu.indexes.get("soc_risk"), "hec.create_index created soc_risk through the SDK");
      assert.equal(emu.jobs.list().length, 0, "every search job was removed");
    } finally {
      await t.stop();
    }
  });

  const missing = realTargetMissing({ hec: true });
  it("on a real Splunk: the same", { skip: missing ?? false, timeout: 600_000 }, async () => {
    const t = realTarget()!;
    await happyPath(t);
  });

  after(async () => {
    await (await scoringModel()).close();
  });
});
