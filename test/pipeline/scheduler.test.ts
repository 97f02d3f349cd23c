import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Scheduler } from "../../sidecar/pipeline/scheduler.ts";

describe("Scheduler", () => {
  it("skips and counts a tick that arrives while a run is in flight, never stacking runs", async () => {
    let release!: () => void;
    let active = 0;
    let maxActive = 0;
    const s = new Scheduler({ name: "scoring", cron: "0 0 1 1 *", key: "schedule.scoring_cron", job: async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => (release = r));
      active--;
    } });
    const first = s.tick();
    await s.tick();
    await s.tick();
    assert.equal(s.skipped, 2);
    release();
    await first;
    assert.equal(maxActive, 1);
    const again = s.tick();
    release();
    await again;
    assert.equal(s.runs, 2, "a tick after the run finished runs again");
    await s.shutdown();
  });

  it("waits for the run in flight on shutdown and starts nothing after it", async () => {
    let finished = false;
    let calls = 0;
    const s = new Scheduler({ name: "scoring", cron: "* * * * *", key: "schedule.scoring_cron", job: async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 50));
      finished = true;
    } });
    await s.start();
    const run = s.tick();
    await s.shutdown();
    assert.equal(finished, true);
    await s.tick();
    assert.equal(calls, 1);
    await run;
  });

  it("keeps ticking after a run fails", async () => {
    let calls = 0;
    const s = new Scheduler({ name: "scoring", cron: "0 0 1 1 *", key: "schedule.scoring_cron", job: () => {
      calls++;
      return Promise.reject(new Error("boom"));
    } });
    await s.tick();
    await s.tick();
    assert.equal(calls, 2);
    await s.shutdown();
  });

  it("rejects an invalid cron expression by its config key", () => {
    assert.throws(() => new Scheduler({ name: "scoring", cron: "every minute", key: "schedule.scoring_cron", job: () => Promise.resolve() }), /schedule\.scoring_cron/);
  });

  it("shutdown is idempotent and safe without start, and nothing runs after it", async () => {
    let calls = 0;
    const s = new Scheduler({ name: "scoring", cron: "* * * * * *", key: "schedule.scoring_cron", job: () => Promise.resolve(void calls++), runOnStart: true });
    await s.shutdown();
    await s.shutdown();
    await s.start();
    await s.tick();
    assert.equal(calls, 0, "neither start nor a tick runs the job after shutdown");
    assert.deepEqual({ runs: s.status().runs, running: s.status().running, next: s.status().next_run }, { runs: 0, running: false, next: null });
  });
});
