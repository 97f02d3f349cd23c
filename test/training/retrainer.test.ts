/**
 * Retraining: champion/challenger on the newest held-out slice, promotion through the model holder, rollback,
 * one run at a time, bad data changing nothing.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../sidecar/tf/backend.ts";
import { ModelRegistry } from "../../sidecar/registry/registry.ts";
import type { NetEvent } from "../../sidecar/sources/event.ts";
import { readModelEvents } from "../../sidecar/training/model-events.ts";
import type { Retrainer, RetrainOutcome } from "../../sidecar/training/retrainer.ts";
import type { RetrainDataSpec } from "../../sidecar/training/retrain-job.ts";
import { flows, setup } from "./retrain-helpers.ts";

const events = (list: NetEvent[], source = "flows"): RetrainDataSpec => ({ kind: "events", events: list, source });

async function run(r: Retrainer, data: RetrainDataSpec): Promise<RetrainOutcome> {
  const o = await r.run({ actor: { kind: "cli", user: "tester" }, trigger: "test", data });
  assert.ok(!("busy" in o));
  return o as RetrainOutcome;
}

describe("retraining", () => {
  before(async () => {
    await initBackend("wasm");
  });

  it("promotes a better challenger, keeps the champion against a shuffled-labels one, and rollback restores scores bit for bit", async () => {
    const { dir, holder, retrainer, sent } = setup();
    await holder.start();
    // A first model trained on noise: any sound challenger beats it.
    const first = await run(retrainer, events(flows(600, { shuffleOlder: true, seed: 1 })));
    assert.equal(first.status, "promoted", first.reason);
    assert.equal(first.challenger, "v0001");

    const better = await run(retrainer, events(flows(600, { seed: 2 })));
    assert.equal(better.status, "promoted", better.reason);
    assert.equal(better.champion, "v0001");
    assert.equal(new ModelRegistry(dir).current("m"), "v0002");
    assert.ok(better.event.challenger_metrics!.pr_auc! > better.event.champion_metrics!.pr_auc! + 0.005);

    const worse = await run(retrainer, events(flows(600, { shuffleOlder: true, seed: 3 })));
    assert.equal(worse.status, "kept_champion", worse.reason);
    assert.equal(worse.challenger, "v0003");
    assert.equal(new ModelRegistry(dir).current("m"), "v0002", "the worse challenger is registered but not current");
    assert.match(worse.reason, /pr_auc/);

    // The events: one per decision, in the sink and in the registry's audit file, with the actor and the slice.
    assert.deepEqual(sent.map((e) => [e.action, e.decision, e.version]), [["promoted", "promoted", "v0001"], ["promoted", "promoted", "v0002"], ["rejected", "kept_champion", "v0003"]]);
    assert.deepEqual(readModelEvents(dir, "m").map((e) => e.version), ["v0001", "v0002", "v0003"]);
    const w = sent[2]!;
    assert.deepEqual(w.actor, { kind: "cli", user: "tester" });
    assert.equal(w.champion_version, "v0002");
    assert.equal(w.previous_version, "v0002");
    assert.equal(w.data!.rows, 120);
    assert.equal(w.data!.earliest, 1_700_000_000 + 480, "the held-out slice is the newest rows by event time");
    assert.match(w.data!.source, /newest 120 rows by event time/);

    // Rollback: scores of v0001 before and after the round trip are identical.
    const probe = flows(50, { seed: 9 }).map((e) => e.fields);
    const scores = async (): Promise<{ version: string; p: Float32Array }> => {
      const lease = (await holder.acquire())!;
      try {
        const m = lease.model;
        const x = new Float32Array(probe.length * m.width);
        probe.forEach((f, i) => m.featurize(f, x, i * m.width));
        return { version: m.version, p: await m.score(x, probe.length) };
      } finally {
        lease.release();
      }
    };
    const v2 = await scores();
    assert.equal(v2.version, "v0002");
    await holder.rollback({ kind: "api", user: "admin" });
    const v1 = await scores();
    assert.equal(v1.version, "v0001");
    await holder.promote("v0002", "cli");
    const again = await scores();
    assert.equal(again.version, "v0002");
    assert.deepEqual(Buffer.from(again.p.buffer), Buffer.from(v2.p.buffer), "v0002 scores bit for bit as before the rollback");
    const history = new ModelRegistry(dir).history("m");
    assert.deepEqual(history.slice(-2).map((h) => [h.action, h.to, h.actor?.kind]), [["rollback", "v0001", "api"], ["promote", "v0002", "cli"]]);
    await holder.shutdown();
  });

  it("fails with the reason and changes nothing on one class, too few rows, or a missing label field", async () => {
    const { dir, retrainer, sent } = setup();
    const oneClass = flows(300).map((e) => ({ ...e, label: 0 as const }));
    const a = await run(retrainer, events(oneClass));
    assert.equal(a.status, "failed");
    assert.match(a.reason, /one class only/);
    const b = await run(retrainer, events(flows(50)));
    assert.match(b.reason, /too few labeled rows: 50/);
    const c = await run(retrainer, { kind: "file", files: ["data/sample/conn.sample.log"], labelColumn: "no_such_column" });
    assert.equal(c.status, "failed");
    assert.match(c.reason, /no_such_column|label/);
    assert.deepEqual(new ModelRegistry(dir).versions("m"), [], "nothing was registered");
    assert.deepEqual(sent.map((e) => e.action), ["retrain_failed", "retrain_failed", "retrain_failed"]);
    assert.equal(sent[0]!.version, null);
  });

  it("refuses a second trigger while one trains in its worker thread", async () => {
    const { retrainer, sent } = setup("worker");
    const data = events(flows(600, { seed: 4 }));
    const first = retrainer.trigger({ actor: { kind: "api" }, data });
    const second = retrainer.trigger({ actor: { kind: "schedule" }, data });
    assert.ok("started" in first);
    assert.deepEqual(second, { busy: true, id: first.id });
    assert.equal(retrainer.status().running?.id, first.id);
    const outcome = await retrainer.inFlight!;
    assert.equal(outcome.status, "promoted", outcome.reason);
    assert.equal(retrainer.status().running, null);
    assert.equal(retrainer.status().refused, 1);
    assert.equal(sent.length, 1, "the refused trigger wrote no model event");
  });
});
