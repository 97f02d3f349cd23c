import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runOnce } from "../../sidecar/pipeline/run-once.ts";
import type { ScoringModel } from "../../sidecar/scoring/model.ts";
import { fakeModel as model, FakeSink, fakeSource as source, scoredEvents as events } from "../helpers/fakes.ts";

describe("runOnce", () => {
  const ps = [0.1, 0.95, 0.3, 0.81, 0.05, 0.6, 0.99, 0.2, 0.21, 0.7];

  it("writes the events at or above the threshold in input order, explained, and counts every event", async () => {
    const log = { scoreRows: [] as number[], explained: [] as number[][] };
    const sink = new FakeSink();
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
      sink: FakeSink.failing("disk full"),
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

  const keeps: [string, () => FakeSink, RegExp][] = [
    ["a send runs out of retry budget (retryable)", () => FakeSink.retryable("HEC busy (503)", 2000), /sink refused a batch: HEC busy \(503\)/],
    ["the second send fails", () => new FakeSink({ send: (_, call) => (call === 2 ? { kind: "failure", reason: "bad token" } : { kind: "success" }) }), /sink refused a batch: bad token/],
    ["the flush is retryable (acks not in yet)", () => new FakeSink({ flush: { kind: "retryable", reason: "acks pending" } }), /sink could not flush: acks pending/],
  ];
  for (const [when, make, error] of keeps) {
    it(`keeps the checkpoint when ${when}`, async () => {
      const sink = make();
      let committed = false;
      const report = await runOnce({
        source: source(Array.from({ length: 3 }, (_, i) => ({ events: events(ps, 1 + i * 10), rejected: [] }))),
        model: model(),
        sink,
        minRiskScore: 50,
        checkpoint: { get: () => undefined, commit: () => (committed = true) },
        batchRows: 10,
        maxInFlight: 1,
      });
      assert.ok(report);
      assert.match(report.error ?? "", error);
      assert.equal(committed, false);
      assert.equal(report.committed, false);
      assert.equal(report.events_written, sink.sent.length);
    });
  }

  it("reports a scoring failure without an unhandled rejection from the batches still in flight", async () => {
    const log = { scoreRows: [] as number[], explained: [] as number[][] };
    const failing: ScoringModel = { ...model(log), assess: () => Promise.reject(new Error("worker died")) };
    const report = await runOnce({
      source: source(Array.from({ length: 5 }, (_, i) => ({ events: events(ps, 1 + i * 10), rejected: [] }))),
      model: failing,
      sink: new FakeSink(),
      minRiskScore: 50,
      batchRows: 10,
      maxInFlight: 3,
    });
    assert.ok(report);
    assert.equal(report.error, "worker died");
    assert.equal(report.committed, false);
  });
});
