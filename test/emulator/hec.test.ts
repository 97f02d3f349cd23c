// HTTP Event Collector: the status-code table of research §4.1 as a table test, then batching, gzip,
// partial failures, acknowledgement and searchability.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { createEmulator, DEFAULT_HEC_TOKEN, HEC_CODES, type Emulator } from "../../emulator/index.ts";
import { call, login, oneshot, T0, type RequestOptions } from "./helpers.ts";

const ACK_TOKEN = "22222222-2222-2222-2222-222222222222";
const CHANNEL = "0aecaa24-7b2f-4b2c-9d3e-1f2a3b4c5d6e";

describe("emulator HEC", () => {
  let emu: Emulator;
  before(async () => {
    emu = createEmulator({
      ackDelayMs: 50,
      indexes: ["risk", "other"],
      hecTokens: [
        { token: DEFAULT_HEC_TOKEN, name: "sidecar" },
        { token: ACK_TOKEN, name: "acked", useAck: true, indexes: ["risk"], defaultIndex: "risk" },
        { token: "33333333-3333-3333-3333-333333333333", disabled: true },
        { token: "44444444-4444-4444-4444-444444444444", allowQueryStringAuth: true },
      ],
    });
    await emu.start();
  });
  after(() => emu.stop());

  const splunk = (t: string) => `Splunk ${t}`;
  const ev = (o: Record<string, unknown> = {}) => JSON.stringify({ event: { a: 1 }, ...o });

  type Row = [name: string, path: string, opts: RequestOptions, code: number, extra?: Record<string, number>];
  const table: Row[] = [
    ["success", "/services/collector/event", { auth: splunk(DEFAULT_HEC_TOKEN), body: ev() }, 0],
    ["token disabled", "/services/collector/event", { auth: "Splunk 33333333-3333-3333-3333-333333333333", body: ev() }, 1],
    ["token required", "/services/collector/event", { body: ev() }, 2],
    ["invalid authorization (no Splunk prefix)", "/services/collector/event", { auth: `Bearer ${DEFAULT_HEC_TOKEN}`, body: ev() }, 3],
    ["invalid token", "/services/collector/event", { auth: "Splunk 99999999-9999-9999-9999-999999999999", body: ev() }, 4],
    ["no data", "/services/collector/event", { auth: splunk(DEFAULT_HEC_TOKEN), body: "  \n" }, 5],
    ["invalid data format", "/services/collector/event", { auth: splunk(DEFAULT_HEC_TOKEN), body: '{"event": nope}' }, 6, { "invalid-event-number": 0 }],
    ["an array is not an event", "/services/collector/event", { auth: splunk(DEFAULT_HEC_TOKEN), body: `[${ev()}]` }, 6, { "invalid-event-number": 0 }],
    ["non-numeric time", "/services/collector/event", { auth: splunk(DEFAULT_HEC_TOKEN), body: ev({ time: "yesterday" }) }, 6, { "invalid-event-number": 0 }],
    ["incorrect index (unknown)", "/services/collector/event", { auth: splunk(DEFAULT_HEC_TOKEN), body: ev({ index: "nope" }) }, 7, { "invalid-event-number": 0 }],
    ["incorrect index (not allowed for the token)", "/services/collector/event", { auth: splunk(ACK_TOKEN), headers: { "X-Splunk-Request-Channel": CHANNEL }, body: ev({ index: "other" }) }, 7, { "invalid-event-number": 0 }],
    ["data channel missing", "/services/collector/event", { auth: splunk(ACK_TOKEN), body: ev() }, 10],
    ["invalid data channel", "/services/collector/event?channel=not-a-guid", { auth: splunk(ACK_TOKEN), body: ev() }, 11],
    ["event field required", "/services/collector/event", { auth: splunk(DEFAULT_HEC_TOKEN), body: JSON.stringify({ time: 1 }) }, 12, { "invalid-event-number": 0 }],
    ["event field blank", "/services/collector/event", { auth: splunk(DEFAULT_HEC_TOKEN), body: ev({ event: "" }) }, 13, { "invalid-event-number": 0 }],
    ["ack disabled", "/services/collector/ack", { auth: splunk(DEFAULT_HEC_TOKEN), body: '{"acks":[0]}' }, 14],
    ["indexed fields must be flat", "/services/collector/event", { auth: splunk(DEFAULT_HEC_TOKEN), body: ev({ fields: { a: { b: 1 } } }) }, 15, { "invalid-event-number": 0 }],
    ["query-string auth not enabled", `/services/collector/event?token=${DEFAULT_HEC_TOKEN}`, { body: ev() }, 16],
    ["query-string auth enabled", "/services/collector/event?token=44444444-4444-4444-4444-444444444444", { body: ev() }, 0],
    ["health", "/services/collector/health", {}, 17],
    ["alias /services/collector", "/services/collector", { auth: splunk(DEFAULT_HEC_TOKEN), body: ev() }, 0],
    ["alias /services/collector/event/1.0", "/services/collector/event/1.0", { auth: splunk(DEFAULT_HEC_TOKEN), body: ev() }, 0],
    ["basic auth with the token as password", "/services/collector/event", { auth: `Basic ${Buffer.from(`x:${DEFAULT_HEC_TOKEN}`).toString("base64")}`, body: ev() }, 0],
    ["raw endpoint", "/services/collector/raw", { auth: splunk(DEFAULT_HEC_TOKEN), body: "line one\nline two" }, 0],
  ];
  for (const [name, path, opts, code, extra] of table) {
    it(`answers code ${code} (${name})`, async () => {
      const r = await call(`${emu.hecUrl}${path}`, opts);
      const [status, text] = HEC_CODES[code];
      assert.equal(r.status, status);
      assert.equal(r.headers.get("content-type"), "application/json; charset=UTF-8");
      assert.deepEqual(r.json(), { text, code, ...(extra ?? {}) });
    });
  }

  it("answers 503 code 9 while the hecBusy fault lasts, and health reports 18", async () => {
    emu.faults.hecBusy({ count: 2 });
    const send = () => call(`${emu.hecUrl}/services/collector/event`, { auth: splunk(DEFAULT_HEC_TOKEN), body: ev() });
    assert.deepEqual((await call(`${emu.hecUrl}/services/collector/health`)).json(), { text: "HEC is unhealthy, queues are full", code: 18 });
    assert.deepEqual((await send()).json(), { text: "Server is busy", code: 9 });
    assert.equal((await send()).status, 503);
    assert.equal((await send()).status, 200);
    emu.faults.hecBusy({ forMs: 60 });
    assert.equal((await send()).status, 503);
    await new Promise((r) => setTimeout(r, 70));
    assert.equal((await send()).status, 200);
  });

  it("indexes concatenated events up to the bad one and reports its invalid-event-number", async () => {
    const body = [
      JSON.stringify({ event: { n: "p1" }, index: "other", sourcetype: "partial" }),
      JSON.stringify({ event: { n: "p2" }, index: "other", sourcetype: "partial" }),
      JSON.stringify({ index: "other", sourcetype: "partial" }),
      JSON.stringify({ event: { n: "p4" }, index: "other", sourcetype: "partial" }),
    ].join("");
    const r = await call(`${emu.hecUrl}/services/collector/event`, { auth: splunk(DEFAULT_HEC_TOKEN), body });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json(), { text: "Event field is required", code: 12, "invalid-event-number": 2 });
    const auth = await login(emu.url);
    const found = await oneshot(emu.url, auth, "search index=other sourcetype=partial");
    assert.deepEqual(found.results.map((x) => x.n).sort(), ["p1", "p2"]);
  });

  it("with partial: not-indexed, stores nothing of a request refused at event N (lines and concatenated)", async () => {
    const ev = (n: string) => JSON.stringify({ event: { n }, index: "other", sourcetype: "partial-none" });
    const bad = JSON.stringify({ index: "other", sourcetype: "partial-none" });
    emu.hec.partial = "not-indexed";
    try {
      for (const sep of ["\n", ""]) {
        const r = await call(`${emu.hecUrl}/services/collector/event`, { auth: splunk(DEFAULT_HEC_TOKEN), body: [ev(`a${sep.length}`), ev(`b${sep.length}`), bad, ev(`d${sep.length}`)].join(sep) });
        assert.equal(r.status, 400);
        assert.deepEqual(r.json(), { text: "Event field is required", code: 12, "invalid-event-number": 2 });
      }
      const ok = await call(`${emu.hecUrl}/services/collector/event`, { auth: splunk(DEFAULT_HEC_TOKEN), body: [ev("ok1"), ev("ok2")].join("\n") });
      assert.equal(ok.status, 200, "a valid request is still indexed");
    } finally {
      emu.hec.partial = "indexed";
    }
    const auth = await login(emu.url);
    const found = await oneshot(emu.url, auth, "search index=other sourcetype=partial-none");
    assert.deepEqual(found.results.map((x) => x.n).sort(), ["ok1", "ok2"]);
  });

  it("accepts gzip bodies and makes events searchable with HEC metadata, _time from time, _raw = JSON of event", async () => {
    const events = [
      { time: T0 + 1.5, host: "sidecar-1", source: "risk-scorer", sourcetype: "soc_assistant:risk", index: "risk", event: { src_ip: "10.0.0.5", score: 93, top_features: [{ feature: "bytes" }] }, fields: { model_version: "v3" } },
      { time: String(T0 + 2), index: "risk", sourcetype: "soc_assistant:risk", event: "plain text is fine too" },
    ];
    const body = gzipSync(Buffer.from(events.map((e) => JSON.stringify(e)).join("\n")));
    const r = await call(`${emu.hecUrl}/services/collector/event`, { auth: splunk(DEFAULT_HEC_TOKEN), body, headers: { "Content-Encoding": "gzip" } });
    assert.deepEqual(r.json(), { text: "Success", code: 0 });
    const auth = await login(emu.url);
    const found = await oneshot(emu.url, auth, "search index=risk sourcetype=soc_assistant:risk", { earliest_time: String(T0) });
    assert.equal(found.results.length, 2);
    const [text, json] = found.results;
    assert.equal(text._raw, "plain text is fine too");
    assert.equal(json._raw, JSON.stringify(events[0].event));
    assert.equal(json._time, new Date((T0 + 1.5) * 1000).toISOString().replace("Z", "+00:00"));
    assert.equal(json.host, "sidecar-1");
    assert.equal(json.source, "risk-scorer");
    assert.equal(json.src_ip, "10.0.0.5");
    assert.equal(json.score, "93");
    assert.equal(json["top_features{}.feature"], "bytes");
    assert.equal(json.model_version, "v3", "indexed fields are searchable");
    assert.ok(Math.abs(Number(json._indextime) - Date.now() / 1000) < 5, "_indextime is the receive time");
    const bad = await call(`${emu.hecUrl}/services/collector/event`, { auth: splunk(DEFAULT_HEC_TOKEN), body: "not gzip", headers: { "Content-Encoding": "gzip" } });
    assert.equal(bad.status, 400);
  });

  it("acknowledges per channel: ackIds from 0, false until ackDelayMs, then true once", async () => {
    // Its own emulator on a hand-moved clock: on a loaded machine the posts alone can take longer than the delay.
    const t0 = Date.now();
    let elapsed = 0;
    const emu = createEmulator({
      ackDelayMs: 50,
      now: () => t0 + elapsed,
      indexes: ["risk"],
      hecTokens: [{ token: ACK_TOKEN, name: "acked", useAck: true, indexes: ["risk"], defaultIndex: "risk" }],
    });
    await emu.start();
    try {
      const post = () => call(`${emu.hecUrl}/services/collector/event`, { auth: splunk(ACK_TOKEN), headers: { "X-Splunk-Request-Channel": CHANNEL }, body: ev() });
      assert.deepEqual((await post()).json(), { text: "Success", code: 0, ackId: 0 });
      assert.deepEqual((await post()).json(), { text: "Success", code: 0, ackId: 1 });
      const other = await call(`${emu.hecUrl}/services/collector/event?channel=11111111-2222-3333-4444-555555555555`, { auth: splunk(ACK_TOKEN), body: ev() });
      assert.equal(other.json<{ ackId: number }>().ackId, 0, "ackIds count per channel");
      const ack = (ids: number[]) => call(`${emu.hecUrl}/services/collector/ack?channel=${CHANNEL}`, { auth: splunk(ACK_TOKEN), body: JSON.stringify({ acks: ids }) });
      assert.deepEqual((await ack([0, 1, 7])).json(), { acks: { "0": false, "1": false, "7": false } });
      elapsed += 60;
      assert.deepEqual((await ack([0, 1])).json(), { acks: { "0": true, "1": true } });
      assert.deepEqual((await ack([0])).json(), { acks: { "0": false } }, "a true ack is reported once");
      const noChannel = await call(`${emu.hecUrl}/services/collector/ack`, { auth: splunk(ACK_TOKEN), body: '{"acks":[0]}' });
      assert.equal(noChannel.json<{ code: number }>().code, 10);
    } finally {
      await emu.stop();
    }
  });

  it("serves only collector paths on the HEC port, and HEC on the management port with hecPort 'shared'", async () => {
    assert.equal((await call(`${emu.hecUrl}/services/server/info`)).status, 404);
    assert.equal((await call(`${emu.url}/services/collector/health`)).status, 401, "management port: REST auth applies, no HEC");
    const shared = createEmulator({ hecPort: "shared" });
    await shared.start();
    try {
      assert.equal(shared.hecUrl, shared.url);
      const r = await call(`${shared.url}/services/collector/event`, { auth: splunk(DEFAULT_HEC_TOKEN), body: ev() });
      assert.deepEqual(r.json(), { text: "Success", code: 0 });
      assert.equal(shared.requestLog.entries.at(-1)?.listener, "management");
    } finally {
      await shared.stop();
    }
  });
});
