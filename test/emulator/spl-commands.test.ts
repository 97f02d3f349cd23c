import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventStore, type EventInput } from "../../emulator/store/store.ts";
import { compileSearch } from "../../emulator/search/jobs.ts";
import { Execution, type OutRow } from "../../emulator/spl/run.ts";
import { SplError } from "../../emulator/spl/parse.ts";
import { T0 } from "./helpers.ts";

const NOW = T0 + 100_000;

async function run(store: EventStore, search: string): Promise<OutRow[]> {
  const c = compileSearch({ search, earliest_time: "0" }, NOW, store.indexNames(), ["main"]);
  const ex = new Execution({ store, pipeline: c.pipeline, window: c.window, indexes: c.indexes, maxCount: 10000 });
  await ex.runToEnd(5);
  return ex.page(0, 100000);
}

function storeWith(events: { t: number; f: Record<string, unknown> }[]): EventStore {
  const s = new EventStore(() => NOW * 1000);
  for (const e of events) s.append({ time: T0 + e.t, raw: JSON.stringify(e.f), index: "main", sourcetype: "st" } as EventInput);
  return s;
}

const events = [
  { t: 0, f: { band: "high", score: 72, obj: "a", feats: [{ feature: "conn_state", value: "S0" }, { feature: "duration", value: null }] } },
  { t: 30, f: { band: "low", score: 25, obj: "a", feats: [{ feature: "proto", value: "tcp" }] } },
  { t: 3700, f: { band: "high", score: 65, obj: "b", feats: [] } },
  { t: 3800, f: { band: "critical", score: 95, obj: "a", feats: [] } },
];

describe("SPL: dashboard commands", () => {
  it("timechart counts per bucket by a field, filling empty buckets with 0", async () => {
    const rows = await run(storeWith(events), "search * | timechart span=1h count by band");
    const b0 = Math.floor(T0 / 3600) * 3600;
    assert.equal(rows.length, Math.floor((T0 + 3800) / 3600) - Math.floor(T0 / 3600) + 1);
    const byTime = new Map(rows.map((r) => [r._time, r]));
    const first = rows[0];
    assert.equal(first._time, new Date(b0 * 1000).toISOString().replace("Z", "+00:00").replace(/\.\d{3}/, ".000"));
    const total = (k: string) => rows.reduce((s, r) => s + Number(r[k] ?? 0), 0);
    assert.equal(total("high"), 2);
    assert.equal(total("low"), 1);
    assert.equal(total("critical"), 1);
    assert.ok([...byTime.values()].every((r) => r.high !== undefined && r.low !== undefined));
  });
  it("timechart without by: one column per aggregation", async () => {
    const rows = await run(storeWith(events), "search * | timechart span=1h max(score) as max_score count");
    assert.deepEqual(rows.map((r) => r.count).reduce((a, b) => Number(a) + Number(b), 0), 4);
    assert.ok(rows.some((r) => r.max_score === "95"));
  });
  it("top gives count and percent, most common first", async () => {
    const rows = await run(storeWith(events), "search * | top limit=1 obj");
    assert.deepEqual(rows, [{ obj: "a", count: "3", percent: "75" }]);
  });
  it("bin labels numeric ranges and stats counts them", async () => {
    const rows = await run(storeWith(events), "search * | bin score span=10 | stats count by score");
    assert.deepEqual(rows, [{ score: "20-30", count: "1" }, { score: "60-70", count: "1" }, { score: "70-80", count: "1" }, { score: "90-100", count: "1" }]);
  });
  it("mvzip, mvexpand, split and mvindex take multivalue JSON fields apart in order", async () => {
    const rows = await run(storeWith(events.slice(0, 1)), "search * | eval f=mvzip('feats{}.feature', 'feats{}.value', \"|\") | mvexpand f | eval p=split(f, \"|\"), feature=mvindex(p, 0), value=mvindex(p, 1) | table feature value");
    assert.deepEqual(rows, [{ feature: "conn_state", value: "S0" }, { feature: "duration", value: "null" }]);
  });
  it("strftime formats epoch seconds in UTC; min and max take several arguments", async () => {
    const rows = await run(storeWith(events.slice(0, 1)), 'search * | eval d=strftime(1700000000, "%Y-%m-%d %H:%M:%S"), lo=min(3, score), hi=max(3, score) | table d lo hi');
    assert.deepEqual(rows, [{ d: "2023-11-14 22:13:20", lo: "3", hi: "72" }]);
  });
  it("refuses what it cannot run with Splunk's wording", () => {
    assert.throws(() => compileSearch({ search: "search * | timechart count by a, b" }, NOW, [], ["main"]), SplError);
    assert.throws(() => compileSearch({ search: "search * | bin score" }, NOW, [], ["main"]), /span/);
    assert.throws(() => compileSearch({ search: "| rest" }, NOW, [], ["main"]), /REST path/);
  });
});
