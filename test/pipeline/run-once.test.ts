import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { RiskEvent, TopFeature } from "../../sidecar/contract/index.ts";
import { runOnce } from "../../sidecar/pipeline/run-once.ts";
import type { ScoringModel } from "../../sidecar/scoring/model.ts";
import type { EventSource, SourceBatch } from "../../sidecar/sources/source.ts";
import type { Sink, SinkResult } from "../../sidecar/sinks/sink.ts";
import type { NetEvent } from "../../sidecar/sources/event.ts";

/** Events whose field `p` is the probability the fake model gives them; line numbers count from 1. */
function events(ps: number[], firstLine: number): NetEvent[] {
  return ps.map((p, i) => ({
    fields: { p: String(p), src_ip: "10.0.0.1", dest_ip: "10.0.0.2" },
    time: 1_700_000_000 + firstLine + i,
    origin: { kind: "file", file: "/data/conn.log", line: firstLine + i, raw: `row ${firstLine + i}` },
  }));
}

function source(batches: SourceBatch[]): EventSource<true> {
  return { name: "fake", plan: () => Promise.resolve(true), read: async function* () { yield* batches; }, endPosition: () => "end" };
}

/** One column, p, which is also the score; explanations name the event's line, so order can be checked. */
function model(log: { scoreRows: number[]; explained: number[][] }): ScoringModel {
  const m: ScoringModel = {
    name: "fake",
    kind: "supervised",
    version: "v0001",
    featureSchema: "abc",
    threshold: 0.5,
    width: 1,
    featurize: (f, out, o) => {
      out[o] = Number(f.p);
    },
    score: (x, rows) => {
      log.scoreRows.push(rows);
      const p = new Float32Array(rows);
      p.set(x.subarray(0, rows));
      // Take the buffer as the pool does: the caller must not need it afterwards.
      structuredClone(x, { transfer: [x.buffer as ArrayBuffer] });
      return Promise.resolve(p);
    },
    explain: (x, rows, evs) => {
      log.explained.push(Array.from(x.subarray(0, rows)));
      const tops: TopFeature[][] = evs.slice(0, rows).map((e) => [{ feature: "line", value: (e.origin as { line: number }).line, contribution: 0.5 }]);
      return Promise.resolve(tops);
    },
    // As the pool does it: score, keep the rows at or above the threshold, explain them.
    assess: async (x, rows, minRiskScore, evs) => {
      const all = x.slice(0, rows);
      const probs = await m.score(x, rows);
      const keep = [...probs.keys()].filter((i) => Math.round(100 * probs[i]!) >= minRiskScore);
      const xs = Float32Array.from(keep, (i) => all[i]!);
      return { probs, keep, tops: await m.explain(xs, keep.length, keep.map((i) => evs[i]!)) };
    },
  };
  return m;
}

class MemorySink implements Sink<RiskEvent> {
  sent: RiskEvent[] = [];
  flushed = 0;
  constructor(private readonly failOnSend = false) {}
  start(): Promise<void> {
    return Promise.resolve();
  }
  send(batch: RiskEvent[]): Promise<SinkResult> {
    if (this.failOnSend) return Promise.resolve({ kind: "failure", reason: "disk full" });
    this.sent.push(...batch);
    return Promise.resolve({ kind: "success" });
  }
  flush(): Promise<SinkResult> {
    this.flushed++;
    return Promise.resolve({ kind: "success" });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

describe("runOnce", () => {
  const ps = [0.1, 0.95, 0.3, 0.81, 0.05, 0.6, 0.99, 0.2, 0.21, 0.7];

  it("writes the events at or above the threshold in input order, explained, and counts every event", async () => {
    const log = { scoreRows: [] as number[], explained: [] as number[][] };
    const sink = new MemorySink();
    let committed: unknown = null;
    const report = await runOnce({
      source: source([
        { events: events(ps.slice(0, 3), 1), rejected: [{ file: "/data/conn.log", line: 4, reason: "bad" }] },
        { events: events(ps.slice(3, 4), 5), rejected: [] },
        { events: [], rejected: [] },
        { events: events(ps.slice(4), 6), rejected: [] },
      ]),
      model: model(log),
      sink,
      minRiskScore: 21,
      checkpoint: { get: () => undefined, commit: (p) => (committed = p) },
      batchRows: 4,
      maxInFlight: 2,
    });
    assert.ok(report);
    assert.equal(report.error, null);
    assert.equal(report.events_pulled, 10);
    assert.equal(report.events_scored, 10);
    assert.equal(report.events_rejected, 1);
    assert.equal(report.rejected_samples.length, 1);
    assert.deepEqual(report.by_band, { informational: 3, low: 2, medium: 1, high: 1, critical: 3 });
    // Source batches of 3 + 1 are gathered to 4; the last batch (6 events) goes as it is.
    assert.deepEqual(log.scoreRows, [4, 6]);
    // Only the written rows are explained, with their own features.
    assert.deepEqual(log.explained.map((b) => b.map((v) => Math.round(v * 100))), [[95, 30, 81], [60, 99, 21, 70]]);
    assert.deepEqual(sink.sent.map((e) => e.orig_line), [2, 3, 5, 7, 8, 10, 11]);
    assert.deepEqual(sink.sent.map((e) => e.top_features[0]!.value), [2, 3, 5, 7, 8, 10, 11]);
    assert.deepEqual(sink.sent.map((e) => e.risk_score), [95, 30, 81, 60, 99, 21, 70]);
    assert.equal(report.events_written, 7);
    assert.deepEqual(report.top.map((e) => e.risk_score).slice(0, 3), [99, 95, 81]);
    assert.equal(sink.flushed, 1);
    assert.equal(committed, "end");
    assert.equal(report.committed, true);
  });

  it("keeps the checkpoint and reports the error when the sink refuses a batch", async () => {
    const log = { scoreRows: [] as number[], explained: [] as number[][] };
    let committed = false;
    const report = await runOnce({
      source: source(Array.from({ length: 6 }, (_, i) => ({ events: events(ps, 1 + i * 10), rejected: [] }))),
      model: model(log),
      sink: new MemorySink(true),
      minRiskScore: 50,
      checkpoint: { get: () => undefined, commit: () => (committed = true) },
      batchRows: 10,
    });
    assert.ok(report);
    assert.match(report.error ?? "", /sink refused a batch: disk full/);
    assert.equal(committed, false);
    assert.equal(report.committed, false);
    assert.equal(report.events_written, 0);
  });

  it("reports a scoring failure without an unhandled rejection from the batches still in flight", async () => {
    const log = { scoreRows: [] as number[], explained: [] as number[][] };
    const failing: ScoringModel = { ...model(log), assess: () => Promise.reject(new Error("worker died")) };
    const report = await runOnce({
      source: source(Array.from({ length: 5 }, (_, i) => ({ events: events(ps, 1 + i * 10), rejected: [] }))),
      model: failing,
      sink: new MemorySink(),
      minRiskScore: 50,
      batchRows: 10,
      maxInFlight: 3,
    });
    assert.ok(report);
    assert.equal(report.error, "worker died");
    assert.equal(report.committed, false);
  });
});
