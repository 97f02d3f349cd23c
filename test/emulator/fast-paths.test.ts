// The emulator's quick paths give what the general ones give: event pages rendered straight to JSON text,
// HEC bodies of one event per line kept compressed with _raw derived on read, shaping left to page time.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { createEmulator, DEFAULT_HEC_TOKEN, type Emulator } from "../../emulator/index.ts";
import { renderJsonResults, renderResults } from "../../emulator/rest/format.ts";
import { compileSearch } from "../../emulator/search/jobs.ts";
import { parseZeek } from "../../emulator/seed.ts";
import { Execution, orderFields } from "../../emulator/spl/run.ts";
import { EventStore, type RawBlock } from "../../emulator/store/store.ts";
import { scanEnvelopes } from "../../emulator/hec.ts";
import { call, login, oneshot, T0 } from "./helpers.ts";

const ZEEK = [
  "#separator \\x09",
  "#unset_field\t-",
  "#path\tconn",
  "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration",
  `${T0 + 1}.100000\tC1\t10.0.0.1\t5000\t10.0.0.2\t80\ttcp\thttp\t0.5`,
  `${T0 + 2}.200000\tC2\t10.0.0.3\t5001\t10.0.0.4\t53\tudp\t-\t-`,
].join("\n");

function store(): EventStore {
  const s = new EventStore(() => (T0 + 100) * 1000);
  for (const e of parseZeek(ZEEK, { index: "x" })) s.append({ ...e, sourcetype: "zeek:conn" });
  const json = [
    { a: "1", b: ["p", "q"], nested: { deep: "é ✓ \"quoted\" \\ back" }, "123": "index-like name", ctl: "tab\there" },
    { a: "2", host: "from-raw", lone: "\ud800", list: [{ k: 1 }, { k: 2 }] },
    { a: "3", b: "only" },
  ];
  json.forEach((o, i) => s.append({ time: T0 + 10 + i, index: "x", sourcetype: "_json", host: "h", source: "s", raw: JSON.stringify(o) }));
  s.append({ time: T0 + 20, index: "x", sourcetype: "kv", raw: "user=bob action=\"log in\" n=5" });
  return s;
}

function run(s: EventStore, search: string): Execution {
  const c = compileSearch({ search, earliest_time: "0" }, T0 + 100, ["x"], ["x"]);
  const ex = new Execution({ store: s, pipeline: c.pipeline, window: c.window, indexes: c.indexes, maxCount: 1000 });
  while (!ex.step(3));
  return ex;
}

describe("emulator quick paths", () => {
  it("renders event pages as JSON text equal to the JSON of the row objects", () => {
    const s = store();
    const searches = [
      "search index=x",
      "search index=x | fields a, b, _raw, id.orig_h, 123",
      "search index=x | fields - b, nested.deep",
      "search index=x | table a, b, 123, _time",
      "search index=x | fields a* | fields - a",
    ];
    for (const q of searches) {
      const ex = run(s, q);
      for (const [offset, count] of [[0, 100], [1, 3], [6, 10]] as const) {
        const page = ex.pageJson(offset, count);
        assert.ok(page, q);
        const fields = page.rows.length === 0 ? [] : orderFields(page.names, ex.order);
        const quick = renderJsonResults({ preview: false, offset, fields, rows: page.rows, postProcessCount: true });
        const general = renderResults("json", { preview: false, offset, rows: ex.page(offset, count), order: ex.order, postProcessCount: true }).body;
        assert.equal(quick, general, `${q} at ${offset}`);
      }
    }
    for (const only of [["a", "_raw", "id.*"], ["*"], ["nothing"], ["_*", "b"]]) {
      const ex = run(s, "search index=x | fields a, b, _raw, id.orig_h, id.resp_p");
      const page = ex.pageJson(0, 100, only)!;
      const fields = page.rows.length === 0 ? [] : orderFields(page.names, ex.order);
      const quick = renderJsonResults({ preview: true, offset: 0, fields, rows: page.rows });
      const general = renderResults("json", { preview: true, offset: 0, rows: ex.page(0, 100), order: ex.order, only }).body;
      assert.equal(quick, general, `f=${only.join(",")}`);
    }
    assert.equal(run(s, "search index=x | eval c=1").pageJson(0, 10), undefined, "eval computes a field: the general path");
    assert.equal(run(s, "search index=x | stats count").pageJson(0, 10), undefined, "a transforming search: the general path");
  });

  it("still filters on what a shaping command computed before a filter", () => {
    const s = store();
    assert.equal(run(s, "search index=x | rename a as z | search z=2").resultCount, 1);
    assert.equal(run(s, "search index=x | eval big=if(a>1, \"y\", \"n\") | where big=\"y\"").resultCount, 2);
    const ex = run(s, "search index=x a=3 | fields b");
    assert.deepEqual(ex.page(0, 10).map((r) => r.b), ["only"]);
  });

  it("derives the _raw of a block event when it is read, through a small cache of block texts", () => {
    const s = new EventStore(() => T0 * 1000);
    let loads = 0;
    const block = (text: string): RawBlock => ({
      text: () => (loads++, text),
      read: (t, start, end) => {
        const o = JSON.parse(t.slice(start, end)) as { event: Record<string, unknown> };
        return { raw: JSON.stringify(o.event), json: o.event };
      },
    });
    for (let b = 0; b < 6; b++) {
      const lines = [0, 1].map((i) => JSON.stringify({ event: { b, i, tag: `t${b}${i}` } }));
      const id = s.addBlock(block(lines.join("\n")));
      s.appendFromBlock({ time: T0 + b * 2, index: "blk", sourcetype: "_json" }, id, 0, lines[0].length);
      s.appendFromBlock({ time: T0 + b * 2 + 1, index: "blk", sourcetype: "_json" }, id, lines[0].length + 1, lines[0].length + 1 + lines[1].length);
    }
    assert.equal(loads, 0, "nothing is read at append");
    const views = [...s.scan({ indexes: ["blk"] })].map((r) => s.view(r));
    assert.equal(loads, 0, "nor at scan");
    assert.deepEqual(views.map((v) => v.get("tag")), ["t51", "t50", "t41", "t40", "t31", "t30", "t21", "t20", "t11", "t10", "t01", "t00"]);
    assert.equal(views[0].raw, JSON.stringify({ b: 5, i: 1, tag: "t51" }));
    assert.equal(loads, 6, "one load per block for a scan in order");
    assert.equal(s.view(views[11].ref).raw, JSON.stringify({ b: 0, i: 0, tag: "t00" }), "a recent block is kept");
    assert.equal(loads, 6);
    assert.equal(s.view(views[0].ref).raw, JSON.stringify({ b: 5, i: 1, tag: "t51" }), "an evicted block is loaded again");
    assert.equal(loads, 7);
    assert.throws(() => s.appendFromBlock({ time: T0, index: "blk" }, 99, 0, 1), /unknown block 99/);
  });
});

describe("emulator HEC: one event per line", () => {
  let emu: Emulator;
  let auth: string;
  before(async () => {
    emu = createEmulator({ indexes: ["lines", "values"], hecTokens: [{ token: DEFAULT_HEC_TOKEN, name: "t" }] });
    await emu.start();
    auth = await login(emu.url);
  });
  after(() => emu.stop());

  const post = (body: string | Uint8Array, gzip = false) =>
    call(`${emu.hecUrl}/services/collector/event`, { auth: `Splunk ${DEFAULT_HEC_TOKEN}`, body, headers: gzip ? { "Content-Encoding": "gzip" } : {} });
  const events = (index: string) => [
    { time: T0 + 1, index, sourcetype: "risk", event: { score: 93, "pretty  spaced": "x", unicode: "ünï ✓", list: [1, "2", null], nested: { a: { b: true } } } },
    { time: `${T0 + 2}.5`, index, host: "h2", event: "a plain string event", fields: { tag: ["a", "b"], n: 3 } },
    { time: T0 + 3, index, sourcetype: "risk", event: { "123": "index-like", esc: "tab\t\"q\"" } },
  ];

  it("stores what the value-by-value path stores, gzipped or not", async () => {
    // One per line (kept in its block) against the same events concatenated on one line (parsed value by value).
    const lines = events("lines").map((e) => JSON.stringify(e, null, 0)).join("\n");
    assert.deepEqual((await post(gzipSync(Buffer.from(lines)), true)).json(), { text: "Success", code: 0 });
    assert.deepEqual((await post(events("values").map((e) => JSON.stringify(e)).join(""))).json(), { text: "Success", code: 0 });
    const a = await oneshot(emu.url, auth, "search index=lines", { earliest_time: "0" });
    const b = await oneshot(emu.url, auth, "search index=values", { earliest_time: "0" });
    assert.equal(a.results.length, 3);
    const strip = (r: Record<string, unknown>) => {
      const rest = { ...r };
      for (const k of ["_bkt", "_cd", "_indextime", "_si", "index"]) delete rest[k];
      return rest;
    };
    assert.deepEqual(a.results.map(strip), b.results.map(strip));
    assert.equal(a.results[2]._raw, JSON.stringify(events("x")[0].event));
    assert.equal(a.results[1]._raw, "a plain string event");
    assert.equal(a.results[2].unicode, "ünï ✓");
    assert.deepEqual(a.results[1].tag, ["a", "b"]);
  });

  it("numbers a bad line as the value-by-value path does, keeping the events before it", async () => {
    const good = (i: number) => JSON.stringify({ time: T0 + 50 + i, index: "lines", sourcetype: "numbered", event: { i } });
    const r = await post([good(0), good(1), '{"event": nope}', good(3)].join("\n"));
    assert.equal(r.status, 400);
    assert.deepEqual(r.json(), { text: "Invalid data format", code: 6, "invalid-event-number": 2 });
    const r2 = await post([good(4), JSON.stringify({ time: T0, index: "lines" })].join("\n"));
    assert.deepEqual(r2.json(), { text: "Event field is required", code: 12, "invalid-event-number": 1 });
    const r3 = await post(`${good(5)}${good(6)}\n${good(7)}`);
    assert.deepEqual(r3.json(), { text: "Success", code: 0 }, "two values on one line: split value by value");
    const found = await oneshot(emu.url, auth, "search index=lines sourcetype=numbered", { earliest_time: "0" });
    assert.deepEqual(found.results.map((x) => x.i).sort(), ["0", "1", "4", "5", "6", "7"]);
  });
});

describe("HEC's fast path (scanEnvelopes)", () => {
  const env = { time: 1716890000.123456, host: "h", source: "soc-assistant", sourcetype: "soc_assistant:risk", index: "soc_risk" };
  const good = [
    JSON.stringify({ ...env, event: { a: 1, b: "x", c: [1, 2, { d: null }], e: true, f: false, g: -0.5e-3, h: "é \u2028 \\ \" \n" } }),
    JSON.stringify({ time: 1, event: "a string" }),
    JSON.stringify({ event: [1] }),
    ` { "event" : { "a" : 1 } , "index" : "x" } \r`,
    JSON.stringify({ ...env, host: "naïve", event: { x: 0 } }),
  ];
  // Valid JSON the fast path leaves to the general path, and invalid JSON it must never take.
  const general = [
    JSON.stringify({ ...env, fields: { a: "1" }, event: { a: 1 } }),
    JSON.stringify({ ...env, event: {} }),
    JSON.stringify({ ...env, event: "" }),
    JSON.stringify({ ...env, event: null }),
    JSON.stringify({ ...env }),
    JSON.stringify({ ...env, time: "1716890000", event: { a: 1 } }),
    '{"time":null,"event":{"a":1}}',
    '{"time":true,"event":{"a":1}}',
    JSON.stringify({ ...env, host: 'q"uote', event: { a: 1 } }),
    JSON.stringify({ ...env, index: 3, event: { a: 1 } }),
    '{"event":{"a":1},"event":{"b":2}}',
    '{"ti\\u006de":1,"event":{"a":1}}',
    JSON.stringify([{ event: 1 }]),
    '{"event":{"a":1}}{"event":{"a":2}}',
  ];
  const invalid = [
    '{"event":{"a":1}',
    '{"event":{"a":1,}}',
    '{"event":{"a":01}}',
    '{"event":{"a":1.}}',
    '{"event":{"a":.5}}',
    '{"event":{"a":1e}}',
    '{"event":{"a":-}}',
    '{"event":{"a":"tab\there"}}',
    '{"event":{"a":"\\x"}}',
    '{"event":{"a":"\\u12g4"}}',
    '{"event":{"a":tru}}',
    '{"event":{"a":nul}}',
    '{"event":{"a" 1}}',
    '{"event":{a:1}}',
    '{"event":[1,]}',
    '{"event":{"a":"unterminated}}',
    "{'event':1}",
    '{"event":{"a":1}} x',
    '{"event":{"a":NaN}}',
  ];
  for (const line of good) {
    it(`takes ${line.slice(0, 60)}`, () => {
      const b = Buffer.from(`${line}\n\n${line}`);
      const r = scanEnvelopes(b);
      assert.ok(r, "taken");
      assert.equal(r.count, 2);
      const o = JSON.parse(line) as Record<string, unknown>;
      for (const k of ["time", "host", "source", "sourcetype", "index"] as const) assert.equal(r.meta[0]![k], o[k], k);
      assert.equal(b.toString("utf8", r.starts[1], r.ends[1]), line);
    });
  }
  for (const line of [...general, ...invalid]) {
    it(`leaves ${line.slice(0, 60)} to the general path`, () => {
      let valid = true;
      try {
        JSON.parse(line);
      } catch {
        valid = false;
      }
      if (invalid.includes(line)) assert.equal(valid, false, "the case is invalid JSON");
      assert.equal(scanEnvelopes(Buffer.from(`${good[0]}\n${line}`)), undefined);
    });
  }
});
