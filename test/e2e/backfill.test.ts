/**
 * Backfill: a `_time` range scored from Splunk through HEC, leaving the live checkpoint alone.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Sidecar } from "../../sidecar/service/sidecar.ts";
import { checkpointOf, idCounts, indexedRisk, loopConfig, newClient, runService, seedSample } from "./loop.ts";
import { emulatorTarget } from "../helpers/splunk-target.ts";

describe("backfill", () => {
  it("scores only the events of the _time range, with the live ids, and leaves the live checkpoint alone", async () => {
    const t = await emulatorTarget();
    try {
      const seeded = await seedSample(t, "backfill", 300, { ageSeconds: 1200 });
      const config = loopConfig(t, { query: seeded.query });
      await runService(config);
      const live = checkpointOf(config);
      assert.ok(live, "the live run committed a checkpoint");
      const client = newClient(t);
      const before = await indexedRisk(client, t, seeded.source);
      // The first 100 seeded rows (0.5 s apart) by their _time.
      const earliest = seeded.rows[0]!.time;
      const latest = seeded.rows[100]!.time;
      const s = new Sidecar(config, () => undefined);
      const reports = await s.backfill(earliest, latest);
      await s.shutdown();
      assert.equal(reports.length, 1);
      assert.equal(reports[0]!.error, null);
      assert.equal(reports[0]!.events_pulled, 100, "exactly the rows with earliest <= _time < latest");
      assert.deepEqual(checkpointOf(config), live, "the live checkpoint did not move");
      const after = await indexedRisk(client, t, seeded.source);
      client.close();
      const inRange = (e: Record<string, unknown>) => (e.orig_time as number) >= earliest && (e.orig_time as number) < latest;
      const liveIds = new Set(before.filter(inRange).map((e) => e.event_id));
      assert.equal(after.length, before.length + reports[0]!.events_written);
      const rewritten = [...idCounts(after)].filter(([, n]) => n === 2).map(([id]) => id);
      assert.equal(rewritten.length, reports[0]!.events_written, "every backfilled event is one the live run wrote");
      assert.deepEqual(new Set(rewritten), liveIds, "the backfill wrote the same event_ids the live run wrote for that range");
    } finally {
      await t.stop();
    }
  });

  it("refuses an empty range with a message", async () => {
    const t = await emulatorTarget();
    try {
      const config = loopConfig(t, { query: "index=x" });
      const s = new Sidecar(config, () => undefined);
      await assert.rejects(s.backfill(10, 5), /latest \(5\) must be after earliest \(10\)/);
      await s.shutdown();
    } finally {
      await t.stop();
    }
  });
});
