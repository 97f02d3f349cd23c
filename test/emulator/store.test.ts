import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { EventStore, GENERATOR_BASE } from "../../emulator/store/store.ts";
import { parseJsonl, parseZeek } from "../../emulator/seed.ts";
import { T0 } from "./helpers.ts";

const ZEEK = [
  "#separator \\x09",
  "#set_separator\t,",
  "#empty_field\t(empty)",
  "#unset_field\t-",
  "#path\tconn",
  "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration",
  "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval",
  "1700000000.100000\tC1\t10.0.0.1\t5000\t10.0.0.2\t80\ttcp\thttp\t0.5",
  "1700000001.200000\tC2\t10.0.0.3\t5001\t10.0.0.4\t53\tudp\t-\t-",
  "1700000003.300000\tC3\t10.0.0.5\t5002\t10.0.0.6\t443\ttcp\tssl\t1.25",
].join("\n");

describe("EventStore", () => {
  it("seeds a Zeek conn.log: _raw is the line, _time is ts, fields carry the Zeek names, unset values are absent", () => {
    const s = new EventStore(() => T0 * 1000);
    for (const e of parseZeek(ZEEK, { index: "netflow" })) s.append(e);
    assert.equal(s.size, 3);
    const refs = [...s.scan({ indexes: ["netflow"] })];
    const v = s.view(refs[1]);
    assert.equal(v.raw, "1700000001.200000\tC2\t10.0.0.3\t5001\t10.0.0.4\t53\tudp\t-\t-");
    assert.equal(v.time, 1700000001.2);
    assert.equal(v.sourcetype, "zeek:conn");
    assert.equal(v.get("id.orig_h"), "10.0.0.3");
    assert.equal(v.get("id.resp_p"), "53");
    assert.equal(v.get("service"), undefined);
    assert.equal(v.get("_cd"), "0:1");
    assert.equal(v.indextime, T0);
  });

  it("seeds JSON lines: plain objects become _raw, export-like records keep their metadata", () => {
    const events = parseJsonl(
      [
        '{"time":1700000000,"src_ip":"10.0.0.1"}',
        '{"_raw":"a=1","_time":"1700000005","index":"idx","sourcetype":"kv","host":"h1","_indextime":1700000009}',
      ].join("\n"),
      { index: "main" },
    );
    assert.deepEqual(events[0], { raw: '{"time":1700000000,"src_ip":"10.0.0.1"}', time: 1700000000, index: "main", sourcetype: "_json", host: undefined, source: undefined });
    assert.equal(events[1].raw, "a=1");
    assert.equal(events[1].index, "idx");
    assert.equal(events[1].indextime, 1700000009);
  });

  it("holds the bundled 3,400-row sample compactly and scans it newest first", () => {
    const s = new EventStore(() => T0 * 1000);
    for (const e of parseZeek(readFileSync("data/sample/conn.sample.log", "utf8"))) s.append(e);
    let prev = Infinity;
    let n = 0;
    for (const ref of s.scan({ indexes: ["main"] })) {
      const t = s.view(ref).time;
      assert.ok(t <= prev);
      prev = t;
      n++;
    }
    assert.equal(n, 3400);
  });

  it("a generator replays its sample with shifted times; windows match a brute-force listing", () => {
    const s = new EventStore(() => T0 * 1000);
    const sample = parseZeek(ZEEK);
    const id = s.addGenerator({ sample, count: 1000, start: T0, periodSeconds: 10, lagSeconds: 2, index: "gen" });
    assert.equal(s.totalCount, 1000);
    const all = Array.from({ length: 1000 }, (_, i) => {
      const ref = GENERATOR_BASE * (id + 1) + i;
      return { ref, time: s.view(ref).time };
    });
    assert.equal(all[0].time, T0);
    assert.equal(all[3].time, T0 + 10);
    const windows = [
      {},
      { earliest: T0 + 100, latest: T0 + 200 },
      { earliest: T0 + 101.15, latest: T0 + 103.3 },
      { latest: T0 + 55 },
      { earliest: T0 + 3300 },
      { indexEarliest: T0 + 52, indexLatest: T0 + 72 },
    ];
    for (const w of windows) {
      const got = [...s.scan({ indexes: ["gen"], ...w })];
      const want = all
        .filter((e) => e.time >= (w.earliest ?? -Infinity) && e.time < (w.latest ?? Infinity))
        .filter((e) => Math.floor(e.time + 2) >= (w.indexEarliest ?? -Infinity) && Math.floor(e.time + 2) < (w.indexLatest ?? Infinity))
        .sort((a, b) => b.time - a.time || b.ref - a.ref)
        .map((e) => e.ref);
      assert.deepEqual(got, want, JSON.stringify(w));
    }
  });

  it("generated Zeek events get a unique _raw (ts rewritten) and extract the shifted ts", () => {
    const s = new EventStore(() => T0 * 1000);
    s.addGenerator({ sample: parseZeek(ZEEK), count: 9, ratePerSecond: 1, end: T0 });
    const views = [...s.scan({ indexes: ["main"] })].map((r) => s.view(r));
    assert.equal(views.length, 9);
    assert.equal(views[0].time, T0);
    assert.equal(new Set(views.map((v) => v.raw)).size, 9);
    assert.equal(views[0].get("ts"), T0.toFixed(6));
    assert.equal(views[0].get("uid"), "C3");
  });

  it("merges appended and generated events of one index in time order", () => {
    const s = new EventStore(() => T0 * 1000);
    s.addGenerator({ sample: [{ time: 0, raw: "g" }], count: 3, start: T0, periodSeconds: 2 });
    s.append({ time: T0 + 1, raw: "a" });
    s.append({ time: T0 + 5, raw: "b" });
    assert.deepEqual([...s.scan({ indexes: ["main"] })].map((r) => `${s.view(r).raw}${s.view(r).time - T0}`), ["b5", "g4", "g2", "a1", "g0"]);
  });
});
