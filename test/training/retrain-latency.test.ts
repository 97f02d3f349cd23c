/**
 * Training never blocks scoring: scoring runs of the bundled sample while a retraining runs in its worker
 * thread finish about as fast as without it (on 2 cores the two threads share the machine, so some slowdown
 * is expected; the bound is the scoring schedule's tightest sensible interval).
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../sidecar/tf/backend.ts";
import { loadScoringModel } from "../../sidecar/scoring/load.ts";
import { runOnce } from "../../sidecar/pipeline/run-once.ts";
import { WindowedFileSource } from "../../sidecar/sources/file/windowed.ts";
import type { RiskEvent } from "../../sidecar/contract/index.ts";
import type { Sink } from "../../sidecar/sinks/sink.ts";
import { setup } from "./retrain-helpers.ts";

const ok = { kind: "success" } as const;
const nullSink: Sink<RiskEvent> = { start: () => Promise.resolve(), send: () => Promise.resolve(ok), flush: () => Promise.resolve(ok), shutdown: () => Promise.resolve() };

describe("scoring while retraining", () => {
  before(async () => {
    await initBackend("wasm");
  });

  it("scoring runs during a training finish on time", async (t) => {
    const model = await loadScoringModel({ registryDir: "models", ref: "zeek-conn", backend: "wasm", workers: 1 });
    const source = new WindowedFileSource({ files: ["data/sample/conn.sample.log"] });
    let rows = 0;
    const score = async (): Promise<number> => {
      const r = await runOnce({ source, model, sink: nullSink, minRiskScore: 20 });
      assert.equal(r?.error, null);
      rows = r!.events_scored;
      return r!.duration_seconds;
    };
    try {
      await score(); // warm-up
      const idle: number[] = [];
      for (let i = 0; i < 3; i++) idle.push(await score());
      const { retrainer } = setup("worker");
      const started = retrainer.trigger({ actor: { kind: "schedule" }, data: { kind: "file", files: ["data/sample/conn.sample.log"] } });
      assert.ok("started" in started);
      const busy: number[] = [];
      const tick0 = performance.now();
      while (retrainer.status().running !== null) {
        busy.push(await score());
        await new Promise((r) => setTimeout(r, 50));
      }
      const training = (performance.now() - tick0) / 1000;
      const outcome = await retrainer.inFlight?.catch(() => undefined);
      void outcome;
      const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
      t.diagnostic(
        `scoring run of ${rows} events: idle median ${median(idle).toFixed(3)} s; during a ${training.toFixed(1)} s training ` +
          `${busy.length} runs, median ${median(busy).toFixed(3)} s, max ${Math.max(...busy).toFixed(3)} s`,
      );
      assert.ok(busy.length >= 2, `only ${busy.length} scoring runs fit in the training`);
      assert.ok(Math.max(...busy) < 5, `a scoring run took ${Math.max(...busy)} s during training`);
    } finally {
      await model.close();
    }
  });
});
