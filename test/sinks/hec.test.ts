// The HEC sink against the Splunk emulator (plain HTTP here; HTTPS in hec-tls.test.ts): exactly-once
// delivery with the right metadata, batching, gzip, retries on 503 and dropped connections, deadlines,
// partial failures, token failures, indexer acknowledgement; the wire format against a capture server.
import { after, before, beforeEach, describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, type Emulator } from "../../emulator/index.ts";
import { parseConfig } from "../../sidecar/config/load.ts";
import { Secret } from "../../sidecar/config/secret.ts";
import { RUN_SOURCETYPE, type RiskEvent } from "../../sidecar/contract/index.ts";
import { hecSinkOptions } from "../../sidecar/service/options.ts";
import { HecSink, type HecSinkOptions } from "../../sidecar/sinks/hec/sink.ts";
import { captureOutput } from "../helpers/output.ts";
import { reservePort } from "../helpers/splunk-target.ts";
import { ACK_TOKEN, captureServer, idCounts, indexed, INDEX, NOACK_TOKEN, riskEvent, riskEvents } from "./hec-helpers.ts";

const EVENT_PATH = "/services/collector/event";

const ACK_PATH = "/services/collector/ack";

describe("HecSink against the emulator", () => {
  let emu: Emulator;
  before(async () => {
    emu = createEmulator({
      indexes: [INDEX],
      hecTokens: [
        { token: ACK_TOKEN, name: "sidecar", useAck: true },
        { token: NOACK_TOKEN, name: "noack" },
        { token: "44444444-4444-4444-4444-444444444444", disabled: true },
      ],
    });
    await emu.start();
  });
  after(() => emu.stop());
  beforeEach(() => {
    emu.faults.clear();
    emu.requestLog.clear();
    emu.hec.ackDelayMs = 0;
  });

  let runs = 0;
  const runId = () => `run-${++runs}-${Date.now()}`;
  /** A started sink with fast test timings; shut down when the test ends. */
  async function sink<T extends object = RiskEvent>(t: TestContext, o: Partial<HecSinkOptions<T>> = {}): Promise<HecSink<T>> {
    const s = new HecSink<T>({
      url: emu.hecUrl,
      token: new Secret(ACK_TOKEN),
      index: INDEX,
      host: "sidecar-test",
      retryDeadlineMs: 3000,
      timeoutMs: 2000,
      retry: { baseMs: 5, maxMs: 40 },
      ackPoll: { minMs: 20, maxMs: 80 },
      ...o,
    });
    t.after(() => s.shutdown());
    await s.start();
    return s;
  }
  const posts = (status?: number) => emu.requestLog.find({ method: "POST", path: EVENT_PATH, status });

  it("indexes every event exactly once with the risk sourcetype, the configured index and _time as time", async (t) => {
    const run = runId();
    const s = await sink(t, { batchMaxEvents: 10 });
    const events = riskEvents(run, 25);
    assert.deepEqual(await s.send(events), { kind: "success" });
    assert.deepEqual(await s.flush(), { kind: "success" });

    const rows = indexed(emu, run);
    assert.equal(rows.length, 25);
    assert.deepEqual([...idCounts(rows).values()], Array(25).fill(1));
    for (const [i, r] of rows.entries()) {
      assert.equal(r.index, INDEX);
      assert.equal(r.sourcetype, "soc_assistant:risk");
      assert.equal(r.host, "sidecar-test");
      assert.equal(r.source, "soc-assistant");
      assert.equal(r.time, events[i]._time);
      const { _time: _, ...fields } = events[i];
      assert.deepEqual(r.event, fields, "the event carries every field but _time");
    }
    assert.equal(posts(200).length, 3);
    const c = s.counters();
    assert.equal(c.posts, 3);
    assert.equal(c.events_sent, 25);
    assert.equal(c.events_acknowledged, 25);
    assert.equal(c.acks_pending, 0);
    assert.equal(c.retries, 0);
    assert.equal(c.events_dropped, 0);
  });

  it("writes run events with their own sourcetype, and builds its options from the hec config", async (t) => {
    const cfg = parseConfig(
      { source: { file: { paths: ["a"] } }, sink: { type: "splunk_hec" }, hec: { url: emu.hecUrl, token: ACK_TOKEN, batch_max_events: 7, max_in_flight: 2 } },
      "t",
      {},
    );
    const o = hecSinkOptions<{ _time: number; run_id: string; events_written: number }>(cfg.sink.type === "splunk_hec" ? cfg.sink.hec : assert.fail("hec sink expected"), { sourcetype: RUN_SOURCETYPE, host: "h1" });
    assert.equal(o.index, "soc_risk");
    assert.equal(o.ack, true);
    assert.equal(o.batchMaxEvents, 7);
    assert.equal(o.maxInFlight, 2);
    assert.equal(o.retryDeadlineMs, 120_000);
    const s = await sink(t, o);
    const run = runId();
    assert.deepEqual(await s.send([{ _time: 1_764_000_123.5, run_id: run, events_written: 12 }]), { kind: "success" });
    assert.deepEqual(await s.flush(), { kind: "success" });
    const rows = indexed(emu, run);
    assert.deepEqual(
      rows.map((r) => [r.sourcetype, r.index, r.host, r.time, r.event]),
      [["soc_assistant:run", "soc_risk", "h1", 1_764_000_123.5, { run_id: run, events_written: 12 }]],
    );
  });

  it("posts gzip bodies, much smaller than the JSON they carry", async (t) => {
    const run = runId();
    const s = await sink(t);
    const events = riskEvents(run, 200);
    assert.equal((await s.send(events)).kind, "success");
    const [p] = posts(200);
    const jsonBytes = events.reduce((n, e) => n + JSON.stringify(e).length, 0);
    assert.equal(s.counters().bytes_sent, p.bodyBytes);
    assert.ok(p.bodyBytes * 5 < jsonBytes, `gzip ${p.bodyBytes} B vs ${jsonBytes} B of JSON`);
    assert.equal(indexed(emu, run).length, 200);
  });

  it("recovers from bursts of 503 with nothing lost and nothing doubled", async (t) => {
    const run = runId();
    const s = await sink(t, { batchMaxEvents: 10, maxInFlight: 2 });
    emu.faults.hecBusy({ count: 3 });
    assert.deepEqual(await s.send(riskEvents(run, 30)), { kind: "success" });
    emu.faults.hecBusy({ count: 2 });
    assert.deepEqual(await s.send(riskEvents(`${run}-b`, 5)), { kind: "success" });
    assert.deepEqual(await s.flush(), { kind: "success" });
    assert.equal(posts(503).length, 5);
    assert.equal(posts(200).length, 4);
    assert.equal(s.counters().retries, 5);
    const counts = idCounts(indexed(emu, run));
    assert.equal(counts.size, 30);
    assert.ok([...counts.values()].every((n) => n === 1));
    assert.equal(indexed(emu, `${run}-b`).length, 5);
  });

  it("keeps at most maxInFlight posts in flight, over concurrent sends", async (t) => {
    const run = runId();
    const s = await sink(t, { batchMaxEvents: 2, maxInFlight: 2 });
    emu.faults.slow({ delayMs: 60, pathPrefix: EVENT_PATH });
    const results = await Promise.all([s.send(riskEvents(run, 6)), s.send(riskEvents(`${run}-b`, 6))]);
    assert.deepEqual(results, [{ kind: "success" }, { kind: "success" }]);
    const spans = posts(200).map((e) => [e.time, e.time + e.durationMs] as const);
    assert.equal(spans.length, 6);
    const overlap = Math.max(...spans.map(([start]) => spans.filter(([a, b]) => a <= start && start < b).length));
    assert.equal(overlap, 2);
    assert.equal(indexed(emu, run).length + indexed(emu, `${run}-b`).length, 12);
  });

  it("retries dropped connections and delivers each event once", async (t) => {
    const run = runId();
    const s = await sink(t, { maxInFlight: 1 });
    emu.faults.drop({ count: 2, pathPrefix: EVENT_PATH });
    assert.deepEqual(await s.send(riskEvents(run, 8)), { kind: "success" });
    assert.deepEqual(await s.flush(), { kind: "success" });
    assert.equal(emu.requestLog.entries.filter((e) => e.path === EVENT_PATH && e.dropped).length, 2);
    assert.equal(s.counters().retries, 2);
    assert.deepEqual([...idCounts(indexed(emu, run)).values()], Array(8).fill(1));
  });

  it("returns retryable, without hanging, when HEC stays busy past the deadline; flush repeats it", async (t) => {
    const run = runId();
    const s = await sink(t, { retryDeadlineMs: 300 });
    emu.faults.hecBusy({ forMs: 10_000 });
    const t0 = Date.now();
    const r = await s.send(riskEvents(run, 3));
    const took = Date.now() - t0;
    assert.equal(r.kind, "retryable");
    assert.match(r.kind === "retryable" ? r.reason : "", /^HTTP 503: \{"text":"Server is busy","code":9\}$/);
    assert.ok(took >= 150 && took < 1500, `took ${took} ms`);
    assert.ok(posts(503).length >= 3, "it retried");
    assert.equal(indexed(emu, run).length, 0);
    assert.deepEqual(await s.flush(), r, "flush reports the undelivered send");
    emu.faults.clear();
    assert.deepEqual(await s.flush(), { kind: "success" }, "the next flush starts afresh");
  });

  it("returns retryable within the deadline when HEC does not answer, or refuses connections", async (t) => {
    emu.faults.slow({ delayMs: 1500, pathPrefix: EVENT_PATH });
    const s = await sink(t, { retryDeadlineMs: 400, timeoutMs: 200 });
    let t0 = Date.now();
    const r = await s.send(riskEvents(runId(), 1));
    assert.equal(r.kind, "retryable");
    assert.match(r.kind === "retryable" ? r.reason : "", /ETIMEDOUT: no complete reply within \d+ ms/);
    assert.ok(Date.now() - t0 < 2500, `took ${Date.now() - t0} ms`);

    const port = await reservePort();
    const down = await sink(t, { url: `http://127.0.0.1:${port}`, retryDeadlineMs: 200 });
    t0 = Date.now();
    const r2 = await down.send(riskEvents(runId(), 1));
    assert.equal(r2.kind, "retryable");
    assert.match(r2.kind === "retryable" ? r2.reason : "", /^ECONNREFUSED/);
    assert.ok(Date.now() - t0 < 1500);
    assert.ok(down.counters().retries >= 1);
  });

  for (const mode of ["indexed", "not-indexed"] as const) {
    it(`drops only the event HEC calls invalid and resends all the others in one post (events before it ${mode})`, async (t) => {
      emu.hec.partial = mode;
      t.after(() => void (emu.hec.partial = "indexed"));
      const run = runId();
      const s = await sink(t);
      const events = riskEvents(run, 10);
      events[2] = { ...events[2], _time: Number.NaN }; // serializes as "time":null: code 6
      events[7] = { ...events[7], _time: Number.NaN };
      assert.deepEqual(await s.send(events), { kind: "success" });
      const logged = await captureOutput(() => s.flush(), { echo: true });
      assert.deepEqual(logged.value, { kind: "success", dropped: 2 }, "flush reports the drops, for the run report");
      const warnings = logged.stderr.filter((l) => l.includes("The sink dropped events"));
      assert.equal(warnings.length, 1, "one sink_dropped line per flush");
      assert.match(warnings[0]!, /WARN .* dropped=2 .*by_reason=\{"code 6: Invalid data format":2\}/);
      const again = await captureOutput(() => s.flush(), { echo: true });
      assert.deepEqual(again.value, { kind: "success" }, "drops are reported once");
      assert.equal(again.stderr.filter((l) => l.includes("The sink dropped events")).length, 0);

      const good = events.filter((_, i) => i !== 2 && i !== 7).map((e) => e.event_id);
      const counts = idCounts(indexed(emu, run));
      assert.deepEqual([...counts.keys()].sort(), [...good].sort(), "every good event indexed, the dropped ones never");
      // Post 1 is refused at event 2, post 2 (events 0-1, 3-9) at event 7, post 3 (the 8 good ones) accepted.
      const expected = mode === "indexed"
        ? good.map((id, i) => [id, i < 2 ? 3 : i < 6 ? 2 : 1]) // events 0-1 indexed by all 3 posts, 3-6 by posts 2-3
        : good.map((id) => [id, 1]);
      assert.deepEqual([...counts.entries()].sort(), expected.sort(), "copies differ only in how often (dashboards dedupe on event_id)");
      assert.deepEqual(
        emu.requestLog.find({ path: EVENT_PATH }).map((e) => e.status),
        [400, 400, 200],
      );
      const c = s.counters();
      assert.equal(c.events_dropped, 2);
      assert.deepEqual(c.dropped_by_reason, { "code 6: Invalid data format": 2 });
      const samples = [
        { reason: "code 6: Invalid data format", event_id: events[2].event_id },
        { reason: "code 6: Invalid data format", event_id: events[7].event_id },
      ];
      assert.ok(warnings[0]!.includes(`samples=${JSON.stringify(samples)}`), "the warning names the dropped events");
      assert.equal(c.events_sent, 8, "counted once, when the resend was accepted");
      assert.equal(c.events_accepted_unacked, 0, "a 400 counts nothing as sent: its good events are resent and acknowledged");
      assert.equal(c.events_acknowledged, 8);
      assert.equal(c.retries, 0);
    });
  }

  it("resends the events before a bad last event, and a post whose only event is bad is not resent", async (t) => {
    emu.hec.partial = "not-indexed";
    t.after(() => void (emu.hec.partial = "indexed"));
    const run = runId();
    const s = await sink(t, { batchMaxEvents: 3 });
    const events = riskEvents(run, 4);
    events[2] = { ...events[2], _time: Number.NaN };
    events[3] = { ...events[3], _time: Number.NaN };
    assert.deepEqual(await s.send(events), { kind: "success" });
    assert.deepEqual(await s.flush(), { kind: "success", dropped: 2 });
    const counts = idCounts(indexed(emu, run));
    assert.deepEqual([...counts.entries()].sort(), [[events[0].event_id, 1], [events[1].event_id, 1]].sort());
    assert.deepEqual(emu.requestLog.find({ path: EVENT_PATH }).map((e) => e.status).sort(), [200, 400, 400]);
    assert.equal(s.counters().events_acknowledged, 2);
  });

  it("fails once, with a clear message and no retries, when HEC rejects the token", async (t) => {
    const s = await sink(t, { token: new Secret("99999999-9999-9999-9999-999999999999"), batchMaxEvents: 5, maxInFlight: 1 });
    const r = await s.send(riskEvents(runId(), 15));
    assert.deepEqual(r, { kind: "failure", reason: "HEC rejected the token (code 4: Invalid token); check hec.token" });
    assert.equal(posts().length, 1);
    assert.equal(s.counters().retries, 0);
    assert.deepEqual(await s.flush(), r, "flush does not claim durability after a failed send");

    emu.requestLog.clear();
    const disabled = await sink(t, { token: new Secret("44444444-4444-4444-4444-444444444444"), batchMaxEvents: 5, maxInFlight: 2 });
    const r2 = await disabled.send(riskEvents(runId(), 50));
    assert.deepEqual(r2, { kind: "failure", reason: "HEC rejected the token (code 1: Token disabled); check hec.token" });
    assert.ok(posts().length <= 2, `${posts().length} requests for 10 posts: no new post starts after the failure`);
  });

  it("names the index when HEC refuses it", async (t) => {
    const s = await sink(t, { index: "no_such_index" });
    const r = await s.send(riskEvents(runId(), 3));
    assert.deepEqual(r, {
      kind: "failure",
      reason: 'HEC refused index "no_such_index" (code 7: Incorrect index); check that hec.index exists and the token may write to it',
    });
    assert.equal(posts().length, 1);
  });

  it("flush waits until the indexers acknowledge every post", async (t) => {
    emu.hec.ackDelayMs = 250;
    const run = runId();
    const s = await sink(t, { batchMaxEvents: 4 });
    assert.deepEqual(await s.send(riskEvents(run, 10)), { kind: "success" });
    assert.equal(s.counters().acks_pending, 3);
    const t0 = Date.now();
    assert.deepEqual(await s.flush(), { kind: "success" });
    assert.ok(Date.now() - t0 >= 150, `flush returned after ${Date.now() - t0} ms, before the acks could be true`);
    const polls = emu.requestLog.find({ path: ACK_PATH });
    assert.ok(polls.length >= 2, `${polls.length} ack polls`);
    assert.ok(polls.every((p) => p.status === 200 && p.query.channel === s.channel));
    const c = s.counters();
    assert.equal(c.acks_pending, 0);
    assert.equal(c.events_acknowledged, 10);
    assert.equal(c.ack_polls, polls.length);
  });

  it("flush returns retryable when acknowledgements miss the ack deadline (not the send deadline), and abandons them", async (t) => {
    emu.hec.ackDelayMs = 60_000;
    const s = await sink(t, { batchMaxEvents: 5, retryDeadlineMs: 60_000, ackDeadlineMs: 300, ackPollMs: 50 });
    assert.equal((await s.send(riskEvents(runId(), 10))).kind, "success");
    const t0 = Date.now();
    const r = await s.flush();
    assert.ok(Date.now() - t0 < 1500);
    assert.deepEqual(r, {
      kind: "retryable",
      reason: "indexer acknowledgement incomplete: 2 of 2 posts (10 events in all) not acknowledged (2 acks still false); keep the checkpoint and resend",
    });
    assert.equal(s.counters().acks_abandoned, 2);
    assert.equal(s.counters().acks_pending, 0);
    assert.deepEqual(await s.flush(), { kind: "success" }, "nothing was sent since");

    assert.equal((await s.send(riskEvents(runId(), 1))).kind, "success");
    await s.shutdown();
    assert.deepEqual(await s.flush(), { kind: "retryable", reason: "the HEC sink was shut down with 1 posts not acknowledged; keep the checkpoint and resend" });
  });

  it("with ack off, flush succeeds once every post got a 200 and never polls", async (t) => {
    const run = runId();
    const s = await sink(t, { token: new Secret(NOACK_TOKEN), ack: false, batchMaxEvents: 3 });
    assert.deepEqual(await s.send(riskEvents(run, 7)), { kind: "success" });
    assert.deepEqual(await s.flush(), { kind: "success" });
    assert.equal(emu.requestLog.find({ path: ACK_PATH }).length, 0);
    assert.equal(indexed(emu, run).length, 7);
    assert.equal(s.counters().events_acknowledged, 0);
  });

  it("ack on but the token gives no ackId (Splunk Cloud): detected once, 200 means received, no resend loop", async (t) => {
    const run = runId();
    const s = await sink(t, { token: new Secret(NOACK_TOKEN), batchMaxEvents: 3 });
    assert.equal(s.ackUnavailable, false);
    const events = riskEvents(run, 7);
    const logged = await captureOutput(async () => {
      const r1 = await s.send(events.slice(0, 4));
      const f1 = await s.flush();
      const r2 = await s.send(events.slice(4));
      const f2 = await s.flush();
      return [r1, f1, r2, f2];
    }, { echo: true });
    assert.deepEqual(logged.value, [{ kind: "success" }, { kind: "success" }, { kind: "success" }, { kind: "success" }], "every run succeeds");
    assert.equal(s.ackUnavailable, true);
    const warnings = logged.stderr.filter((l) => l.includes("HEC returns no ackId"));
    assert.equal(warnings.length, 1, "the warning is logged once");
    assert.match(warnings[0]!, /WARN .*enable indexer acknowledgement on the token, or set hec.ack: false; without ack a 200 means received, not indexed; the checkpoint plus event_id carry the guarantee/);
    assert.equal(emu.requestLog.find({ path: ACK_PATH }).length, 0, "never polls for acks");
    assert.equal(emu.requestLog.find({ path: EVENT_PATH }).length, 3, "no resend");
    const counts = idCounts(indexed(emu, run));
    assert.deepEqual([...counts.keys()].sort(), events.map((e) => e.event_id).sort());
    assert.ok([...counts.values()].every((n) => n === 1), "every event indexed once");
    assert.equal(s.counters().events_accepted_unacked, 7);
  });

  it("reports HEC health", async (t) => {
    const s = await sink(t);
    assert.deepEqual(await s.healthcheck(), { healthy: true, status: 200, text: "code 17: HEC is healthy" });
    emu.faults.hecBusy({ forMs: 5000 });
    assert.deepEqual(await s.healthcheck(), { healthy: false, status: 503, text: "code 18: HEC is unhealthy, queues are full" });
  });

  it("refuses to send before start and after shutdown; shutdown is idempotent and safe without start", async () => {
    const s = new HecSink({ url: emu.hecUrl, token: new Secret(ACK_TOKEN), index: INDEX });
    assert.deepEqual(await s.send([riskEvent("x", 1)]), { kind: "failure", reason: "the HEC sink is not started" });
    assert.deepEqual(await s.flush(), { kind: "success" });
    await s.shutdown();
    await s.shutdown();
    await s.start();
    assert.deepEqual(await s.send([riskEvent("x", 1)]), { kind: "failure", reason: "the HEC sink is shut down" });
    assert.equal(posts().length, 0);
    const bad = new HecSink({ url: emu.hecUrl, token: new Secret(ACK_TOKEN), index: INDEX, caFile: "/nonexistent/ca.pem" });
    await assert.rejects(bad.start(), /^Error: hec\.ca_file \/nonexistent\/ca\.pem cannot be read: ENOENT/);
  });
});

describe("HecSink on the wire", () => {
  it("posts gzip JSON envelopes with the token, a channel and the envelope keys in order", async (t) => {
    const cap = await captureServer();
    t.after(() => cap.close());
    const s = new HecSink({ url: `${cap.url}/services/collector/event`, token: new Secret("tok-123"), index: "soc_risk", host: "h", ackPoll: { minMs: 5 } });
    t.after(() => s.shutdown());
    await s.start();
    const events = riskEvents("wire", 3);
    assert.deepEqual(await s.send(events), { kind: "success" });
    assert.deepEqual(await s.flush(), { kind: "success" });
    const [post, ack] = cap.requests;
    assert.equal(cap.requests.length, 2);
    assert.equal(post.path, "/services/collector/event");
    assert.equal(post.headers["content-encoding"], "gzip");
    assert.equal(post.headers["content-type"], "application/json; charset=UTF-8");
    assert.equal(post.headers.authorization, "Splunk tok-123");
    assert.match(s.channel, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(post.headers["x-splunk-request-channel"], s.channel);
    assert.deepEqual(post.body.subarray(0, 2), Buffer.from([0x1f, 0x8b]));
    const lines = post.text.split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => Object.keys(l)), Array(3).fill(["time", "host", "source", "sourcetype", "index", "event"]));
    const { _time, ...fields } = events[1];
    assert.deepEqual(lines[1], { time: _time, host: "h", source: "soc-assistant", sourcetype: "soc_assistant:risk", index: "soc_risk", event: fields });
    assert.equal(ack.path, `/services/collector/ack?channel=${s.channel}`);
    assert.deepEqual(JSON.parse(ack.text), { acks: [0] });
  });

  it("posts the same bytes for records serialized by the caller (sendSerialized) as for the records (send)", async (t) => {
    const cap = await captureServer();
    t.after(() => cap.close());
    const events = riskEvents("serialized", 9, 300);
    events[4] = { ...events[4], explanation: "naïve ✓ \u2028 \"q\" ".repeat(40) }; // multi-byte UTF-8
    events[6] = { ...events[6], explanation: "x".repeat(5000) }; // larger than a post's byte bound alone
    events[7] = { ...events[7], _time: Number.NaN };
    const line = JSON.stringify({ time: events[0]._time, host: "h", source: "soc-assistant", sourcetype: "soc_assistant:risk", index: "i", event: { ...events[0], _time: undefined } });
    for (const bounds of [{ batchMaxEvents: 3 }, { batchMaxBytes: Math.floor(Buffer.byteLength(line) * 2.5) }, { batchMaxBytes: 1 }]) {
      const bodies: string[][] = [];
      for (const serialized of [false, true]) {
        cap.requests.length = 0;
        const s = new HecSink({ url: cap.url, token: new Secret("t"), index: "i", host: "h", ack: false, ...bounds });
        t.after(() => s.shutdown());
        await s.start();
        const r = serialized
          ? await s.sendSerialized({
              length: events.length,
              json: (i) => JSON.stringify({ ...events[i], _time: undefined }),
              time: events.map((e) => e._time),
              ids: events.map((e) => e.event_id),
            })
          : await s.send(events);
        assert.deepEqual(r, { kind: "success" });
        bodies.push(cap.requests.map((q) => q.text).sort());
      }
      assert.ok(bodies[0]!.length >= 3, JSON.stringify(bounds));
      assert.deepEqual(bodies[1], bodies[0], JSON.stringify(bounds));
    }
  });

  it("returns a load balancer's sticky-session cookie on every later request of the channel", async (t) => {
    const cap = await captureServer({ setCookie: "AWSALB=node-3; Path=/; Expires=Tue, 01 Dec 2026 00:00:00 GMT" });
    t.after(() => cap.close());
    const s = new HecSink({ url: cap.url, token: new Secret("t"), index: "i", batchMaxEvents: 1, maxInFlight: 1, ackPoll: { minMs: 5 } });
    t.after(() => s.shutdown());
    await s.start();
    assert.deepEqual(await s.send(riskEvents("sticky", 3)), { kind: "success" });
    assert.deepEqual(await s.flush(), { kind: "success" });
    assert.deepEqual(
      cap.requests.map((r) => [r.path.split("?")[0], r.headers.cookie]),
      [
        ["/services/collector/event", undefined],
        ["/services/collector/event", "AWSALB=node-3"],
        ["/services/collector/event", "AWSALB=node-3"],
        ["/services/collector/ack", "AWSALB=node-3"],
      ],
    );
  });

  it("splits a batch into posts bounded by event count and by uncompressed bytes", async (t) => {
    const cap = await captureServer();
    t.after(() => cap.close());
    const byCount = new HecSink({ url: cap.url, token: new Secret("t"), index: "i", ack: false, batchMaxEvents: 4 });
    t.after(() => byCount.shutdown());
    await byCount.start();
    assert.deepEqual(await byCount.send(riskEvents("count", 10)), { kind: "success" });
    assert.deepEqual(cap.requests.map((r) => r.text.split("\n").length).sort(), [2, 4, 4]);

    cap.requests.length = 0;
    const events = riskEvents("bytes", 9, 600);
    const { _time, ...fields } = events[0];
    const lineBytes = Buffer.byteLength(JSON.stringify({ time: _time, host: "h", source: "soc-assistant", sourcetype: "soc_assistant:risk", index: "i", event: fields }));
    const maxBytes = Math.floor(lineBytes * 2.5);
    const byBytes = new HecSink({ url: cap.url, token: new Secret("t"), index: "i", host: "h", ack: false, batchMaxBytes: maxBytes });
    t.after(() => byBytes.shutdown());
    await byBytes.start();
    assert.deepEqual(await byBytes.send(events), { kind: "success" });
    assert.deepEqual(cap.requests.map((r) => r.text.split("\n").length).sort(), [1, 2, 2, 2, 2]);
    assert.ok(cap.requests.every((r) => Buffer.byteLength(r.text) <= maxBytes));
    assert.equal(byBytes.counters().posts, 5);

    cap.requests.length = 0;
    const oversized = riskEvent("big", 0, maxBytes);
    assert.deepEqual(await byBytes.send([riskEvent("big", 1), oversized, riskEvent("big", 2)]), { kind: "success" });
    assert.deepEqual(cap.requests.map((r) => r.text.split("\n").length), [1, 1, 1], "an event larger than the limit travels alone");
  });
});
