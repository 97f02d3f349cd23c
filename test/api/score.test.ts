/**
 * POST /api/v1/score and the model routes over a real model holder: the same risk events as the pipeline,
 * concurrent requests batched, and a promotion through the API changing the version of the next scoring
 * without a restart, a broken version refused with its reason.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ModelRegistry } from "../../sidecar/registry/registry.ts";
import { ModelHolder } from "../../sidecar/scoring/holder.ts";
import { runOnce } from "../../sidecar/pipeline/run-once.ts";
import { WindowedFileSource } from "../../sidecar/sources/file/windowed.ts";
import type { RiskEvent } from "../../sidecar/contract/index.ts";
import { RISK_EVENT_REQUIRED_FIELDS } from "../../sidecar/contract/index.ts";
import { startBackend } from "../../sidecar/tf/start.ts";
import { BatchScorer, toNetEvent } from "../../sidecar/api/score.ts";
import { addVersion, makeRegistry, MODEL } from "../helpers/models.ts";
import { fakeBackend, serve, TOKEN } from "./helpers.ts";

describe("POST /api/v1/score and model promotion over a real holder", () => {
  let registry: string;
  let holder: ModelHolder;
  let s: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    await startBackend("cpu");
    registry = makeRegistry(["good", "good"]);
    addVersion(registry, "v0003", "nan");
    holder = new ModelHolder({ registryDir: registry, name: MODEL, backend: "cpu", workers: 0 });
    await holder.start();
    const reg = new ModelRegistry(registry);
    s = await serve(
      fakeBackend({
        acquire: () => holder.acquire(),
        notReadyReason: () => holder.notReadyReason(),
        models: {
          name: MODEL,
          list: () => reg.list(MODEL),
          promote: (v, actor) => holder.promote(v, actor),
          rollback: (actor) => holder.rollback(actor),
        },
      }),
      { token: TOKEN },
    );
  });
  after(async () => {
    await s.close();
    await holder.shutdown();
  });

  it("returns the pipeline's risk events (score, explanation, top features, CIM fields) for the same events", async () => {
    // The pipeline's own risk events for the sample, every event written (min 0).
    const source = new WindowedFileSource({ files: ["data/sample/conn.sample.log"] });
    const written: RiskEvent[] = [];
    const lease = (await holder.acquire())!;
    const events: Record<string, string | number>[] = [];
    const window = await source.plan(undefined);
    for await (const b of source.read(window!)) {
      for (const e of b.events) {
        if (events.length < 50) events.push(Object.fromEntries(Object.entries(e.fields).filter(([, v]) => v !== undefined)) as Record<string, string | number>);
      }
      if (events.length >= 50) break;
    }
    await runOnce({
      source,
      model: lease.model,
      minRiskScore: 0,
      sink: { start: async () => {}, shutdown: async () => {}, flush: async () => ({ kind: "success" }), send: async (b) => (written.push(...b), { kind: "success" }) },
    });
    lease.release();

    const r = await s.call("/api/v1/score", { body: { events }, bearer: TOKEN });
    assert.equal(r.status, 200, r.text);
    const got = r.json.risk_events as RiskEvent[];
    assert.equal(got.length, 50);
    assert.equal((r.json.model as { version: string }).version, "v0001");
    for (let i = 0; i < 50; i++) {
      const want = written[i]!;
      const g = got[i]!;
      for (const f of RISK_EVENT_REQUIRED_FIELDS) assert.ok(f in g, `risk event ${i} lacks ${f}`);
      assert.equal(g.risk_score, want.risk_score, `event ${i}`);
      assert.equal(g.probability, want.probability);
      assert.equal(g.risk_band, want.risk_band);
      assert.equal(g.explanation, want.explanation);
      assert.deepEqual(g.top_features, want.top_features);
      assert.equal(g.src_ip, want.src_ip);
      assert.equal(g.dest_port, want.dest_port);
      assert.equal(g.orig_source, "api");
      assert.match(g.event_id, /^[0-9a-f]{64}$/);
    }
    // The same event always gets the same id.
    const again = await s.call("/api/v1/score", { body: { events: [events[0]] }, bearer: TOKEN });
    assert.equal((again.json.risk_events as RiskEvent[])[0]!.event_id, got[0]!.event_id);
  });

  it("gives a Splunk event (with _raw and index) the event_id the live pipeline gives it", async () => {
    const { eventId } = await import("../../sidecar/sources/event-id.ts");
    const raw = "1700000000 10.0.0.1 10.0.0.2 443 tcp";
    const r = await s.call("/api/v1/score", { body: { events: [{ _raw: raw, index: "zeek", _time: 1_700_000_000, src_ip: "10.0.0.1", dest_port: 443 }] }, bearer: TOKEN });
    const e = (r.json.risk_events as RiskEvent[])[0]!;
    const want = eventId({ fields: {}, origin: { kind: "splunk", index: "zeek", raw, sourcetype: "", host: "", source: "", cd: "", time: 1_700_000_000 } });
    assert.equal(e.event_id, want);
    assert.equal(e._time, 1_700_000_000);
    assert.equal(e.orig_index, "zeek");
  });

  it("scores requests that arrive while a batch is being scored together, each getting its own events back in order", async () => {
    // A scorer that takes a while per batch (as worker threads do under load): requests queue behind it.
    const slow = new BatchScorer({
      acquire: async () => {
        await new Promise((r) => setTimeout(r, 20));
        return holder.acquire();
      },
      notReadyReason: () => null,
    });
    const reqs = Array.from({ length: 40 }, (_, i) => slow.score([toNetEvent({ src_ip: `10.0.0.${i}`, dest_port: 1000 + i, transport: "tcp" })]));
    const out = await Promise.all(reqs);
    out.forEach((r, i) => {
      assert.equal(r.risk_events.length, 1);
      assert.equal(r.risk_events[0]!.src_ip, `10.0.0.${i}`);
      assert.equal(r.risk_events[0]!.dest_port, 1000 + i);
    });
    assert.equal(slow.events, 40);
    assert.ok(slow.batches <= 2, `40 concurrent requests took ${slow.batches} batches`);
  });

  it("answers concurrent HTTP requests each with its own events", async () => {
    const reqs = Array.from({ length: 20 }, (_, i) => s.call("/api/v1/score", { body: { events: [{ src_ip: `10.0.0.${i}`, dest_port: 1000 + i }] }, bearer: TOKEN }));
    const out = await Promise.all(reqs);
    out.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal((r.json.risk_events as RiskEvent[])[0]!.dest_port, 1000 + i);
    });
  });

  it("a promotion through the API changes the version of the next scoring without a restart; a broken one is refused with the reason", async () => {
    const score = async () => ((await s.call("/api/v1/score", { body: { events: [{ src_ip: "10.1.1.1" }] }, bearer: TOKEN })).json.risk_events as RiskEvent[])[0]!.model_version;
    assert.equal(await score(), "v0001");
    const p = await s.call(`/api/v1/models/${MODEL}/versions/v0002/promote`, { body: {}, bearer: TOKEN });
    assert.equal(p.status, 200, p.text);
    assert.deepEqual([p.json.from, p.json.to], ["v0001", "v0002"]);
    assert.equal(await score(), "v0002");

    const broken = await s.call(`/api/v1/models/${MODEL}/versions/v0003/promote`, { body: {}, bearer: TOKEN });
    assert.equal(broken.status, 409);
    assert.match(broken.json.error as string, /probe batch is NaN \(not a probability\)/);
    assert.equal(await score(), "v0002");

    const list = await s.call("/api/v1/models", { bearer: TOKEN });
    const versions = list.json.versions as { version: string; current: boolean }[];
    assert.deepEqual(versions.filter((v) => v.current).map((v) => v.version), ["v0002"]);

    const back = await s.call(`/api/v1/models/${MODEL}/rollback`, { body: {}, bearer: TOKEN });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.json.to, "v0001");
    assert.equal(await score(), "v0001");
  });
});
