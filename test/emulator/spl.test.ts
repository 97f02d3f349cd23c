import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { EventStore, type EventInput } from "../../emulator/store/store.ts";
import { compileSearch } from "../../emulator/search/jobs.ts";
import { Execution, type OutRow } from "../../emulator/spl/run.ts";
import { SplError } from "../../emulator/spl/parse.ts";
import { parseTimeSpec } from "../../emulator/spl/time.ts";
import { T0 } from "./helpers.ts";

const NOW = T0 + 10_000;

async function run(store: EventStore, search: string, params: Record<string, string> = {}, maxCount = 10000): Promise<{ ex: Execution; rows: OutRow[] }> {
  const c = compileSearch({ search, ...params }, NOW, store.indexNames(), ["main"]);
  const ex = new Execution({ store, pipeline: c.pipeline, window: c.window, indexes: c.indexes, maxCount });
  await ex.runToEnd(7); // a tiny budget exercises the cooperative stepping
  return { ex, rows: ex.page(0, 1_000_000) };
}

function storeWith(events: Partial<EventInput>[]): EventStore {
  const s = new EventStore(() => NOW * 1000);
  for (const e of events) s.append({ time: T0, raw: "", index: "main", sourcetype: "st", ...e });
  return s;
}

describe("SPL: search terms", () => {
  it("returns events newest first by _time, ties broken by the later stored event", async () => {
    const s = storeWith([
      { time: T0 + 5, raw: "a" },
      { time: T0 + 9, raw: "b" },
      { time: T0 + 1, raw: "c" },
      { time: T0 + 9, raw: "d" },
    ]);
    const { rows } = await run(s, "search index=main");
    assert.deepEqual(rows.map((r) => r._raw), ["d", "b", "a", "c"]);
    assert.equal(rows[0]._time, new Date((T0 + 9) * 1000).toISOString().replace("Z", "+00:00"));
    assert.deepEqual(rows.map((r) => r._serial), ["0", "1", "2", "3"]);
  });

  it("matches field values case-insensitively with wildcards and quoted values", async () => {
    const s = storeWith([
      { raw: '{"app":"Web Browser","port":443}', sourcetype: "zeek:conn" },
      { raw: '{"app":"ssh","port":22}', sourcetype: "zeek:dns" },
      { raw: '{"port":80}', sourcetype: "other" },
    ]);
    assert.equal((await run(s, 'search app="web browser"')).rows.length, 1);
    assert.equal((await run(s, "search sourcetype=zeek:*")).rows.length, 2);
    assert.equal((await run(s, "search app=S*")).rows.length, 1);
    assert.equal((await run(s, "search port>100")).rows.length, 1);
    assert.equal((await run(s, "search app=*")).rows.length, 2);
  });

  it("distinguishes f!=v (field must exist) from NOT f=v (missing field matches)", async () => {
    const s = storeWith([{ raw: "app=ssh" }, { raw: "app=web" }, { raw: "other=1" }]);
    assert.equal((await run(s, "search app!=ssh")).rows.length, 1);
    assert.equal((await run(s, "search NOT app=ssh")).rows.length, 2);
  });

  it("gives OR precedence over the implicit AND and matches bare terms against _raw tokens", async () => {
    const s = storeWith([{ raw: "error disk" }, { raw: "warn disk" }, { raw: "error net" }, { raw: "errors disk" }]);
    assert.deepEqual((await run(s, "search disk error OR warn")).rows.map((r) => r._raw).sort(), ["error disk", "warn disk"]);
    assert.equal((await run(s, "search error*")).rows.length, 3);
    assert.equal((await run(s, "search (error OR warn) NOT net")).rows.length, 2);
  });

  it("searches the default index without index=, and index=* skips internal indexes", async () => {
    const s = storeWith([{ index: "main" }, { index: "netflow" }, { index: "_internal" }]);
    assert.equal((await run(s, "search *")).rows.length, 1);
    assert.equal((await run(s, "search index=*")).rows.length, 2);
    assert.equal((await run(s, "search index=_*")).rows.length, 1);
    assert.equal((await run(s, "search index=netflow OR index=main")).rows.length, 2);
  });

  it("applies earliest inclusive and latest exclusive, search terms overriding job parameters", async () => {
    const s = storeWith([0, 1, 2, 3, 4].map((i) => ({ time: T0 + i, raw: String(i) })));
    const raws = async (q: string, p: Record<string, string> = {}) => (await run(s, q, p)).rows.map((r) => r._raw);
    assert.deepEqual(await raws(`search earliest=${T0 + 1} latest=${T0 + 3}`), ["2", "1"]);
    assert.deepEqual(await raws("search", { earliest_time: String(T0 + 3) }), ["4", "3"]);
    assert.deepEqual(await raws(`search earliest=${T0 + 4}`, { earliest_time: String(T0) }), ["4"]);
    assert.deepEqual(await raws("search", { earliest_time: String(T0 + 1.5), latest_time: String(T0 + 2.5) }), ["2"]);
  });

  it("filters by index time with both bounds (_index_earliest inclusive, _index_latest exclusive) and the job parameters", async () => {
    const s = storeWith([0, 1, 2, 3, 4].map((i) => ({ time: T0 + 100 - i, indextime: T0 + i, raw: String(i) })));
    const raws = async (q: string, p: Record<string, string> = {}) => (await run(s, q, p)).rows.map((r) => r._raw);
    assert.deepEqual(await raws(`search _index_earliest=${T0 + 1} _index_latest=${T0 + 3}`), ["1", "2"]);
    assert.deepEqual(await raws("search", { index_earliest: String(T0 + 3), index_latest: String(T0 + 5) }), ["3", "4"]);
    // event time and index time bound together
    assert.deepEqual(await raws(`search _index_earliest=${T0 + 1} earliest=${T0 + 98}`), ["1", "2"]);
  });
});

describe("SPL: pipeline commands", () => {
  const s = storeWith(
    Array.from({ length: 20 }, (_, i) => ({
      time: T0 + i,
      raw: JSON.stringify({ src_ip: `10.0.0.${i % 3}`, bytes: i * 10, top_features: [{ feature: "a" }, { feature: "b" }] }),
      index: "netflow",
      sourcetype: "flow",
    })),
  );

  it("head stops the scan once it has N rows", async () => {
    const { ex, rows } = await run(s, "search index=netflow | head 3");
    assert.equal(rows.length, 3);
    assert.equal(ex.scanCount, 3);
    assert.equal((await run(s, "search index=netflow | head")).rows.length, 10);
  });

  it("fields keeps the internal fields, table keeps exactly the listed ones in order, fields - removes", async () => {
    const f = (await run(s, "search index=netflow | head 1 | fields src_ip, bytes")).rows[0];
    assert.ok("_raw" in f && "_time" in f && "src_ip" in f && "bytes" in f);
    assert.ok(!("host" in f) && !("sourcetype" in f));
    const t = await run(s, "search index=netflow | head 1 | table bytes src_ip");
    assert.deepEqual(Object.keys(t.rows[0]).sort(), ["bytes", "src_ip"]);
    assert.deepEqual(t.ex.order, ["bytes", "src_ip"]);
    const m = (await run(s, "search index=netflow | head 1 | fields - src_ip")).rows[0];
    assert.ok(!("src_ip" in m) && "bytes" in m);
  });

  it("extracts nested JSON as dotted names and arrays as multivalue name{} fields", async () => {
    const r = (await run(s, "search index=netflow | head 1")).rows[0];
    assert.deepEqual(r["top_features{}.feature"], ["a", "b"]);
    assert.equal(r.bytes, "190");
  });

  it("stats count, count by (sorted groups), and the other aggregations", async () => {
    assert.deepEqual((await run(s, "search index=netflow | stats count")).rows, [{ count: "20" }]);
    const by = await run(s, "search index=netflow | stats count by src_ip");
    assert.deepEqual(by.rows, [
      { src_ip: "10.0.0.0", count: "7" },
      { src_ip: "10.0.0.1", count: "7" },
      { src_ip: "10.0.0.2", count: "6" },
    ]);
    assert.deepEqual(by.ex.order, ["src_ip", "count"]);
    assert.equal(by.ex.eventCount, 20);
    assert.equal(by.ex.resultCount, 3);
    const agg = await run(s, "search index=netflow | stats count as n, dc(src_ip) as ips, sum(bytes) as total, max(bytes), avg(bytes) as mean");
    assert.deepEqual(agg.rows, [{ n: "20", ips: "3", total: "1900", "max(bytes)": "190", mean: "95" }]);
    assert.deepEqual((await run(s, "search index=none | stats count")).rows, [{ count: "0" }]);
    assert.deepEqual((await run(s, "search index=netflow | stats count by missing_field")).rows, []);
  });

  it("eval sha256(index.\"|\"._raw) equals node's SHA-256 of the same string, and md5 likewise", async () => {
    const { rows } = await run(s, 'search index=netflow | head 2 | eval h=sha256(index."|"._raw), m=md5(_raw), n=missing."x"');
    for (const r of rows) {
      assert.equal(r.h, createHash("sha256").update(`netflow|${r._raw as string}`).digest("hex"));
      assert.equal(r.m, createHash("md5").update(r._raw as string).digest("hex"));
      assert.ok(!("n" in r), "concatenating a null gives null");
    }
  });

  it("partitions by hash modulo N with where: every event in exactly one partition", async () => {
    const parts: string[][] = [];
    for (let k = 0; k < 4; k++) {
      const q = `search index=netflow | eval p=tonumber(substr(sha256(index."|"._raw),1,8),16) % 4 | where p == ${k} | table _raw`;
      const { rows } = await run(s, q);
      parts.push(rows.map((r) => r._raw as string));
      for (const raw of parts[k]) {
        const h = createHash("sha256").update(`netflow|${raw}`).digest("hex");
        assert.equal(parseInt(h.slice(0, 8), 16) % 4, k);
      }
    }
    const all = parts.flat();
    assert.equal(all.length, 20);
    assert.equal(new Set(all).size, 20);
  });

  it("where supports comparisons, arithmetic, AND/OR/NOT, like() and =", async () => {
    const n = async (w: string) => (await run(s, `search index=netflow | where ${w}`)).rows.length;
    assert.equal(await n("bytes >= 100 AND bytes < 150"), 5);
    assert.equal(await n('src_ip="10.0.0.1" OR bytes*2 == 0'), 8);
    assert.equal(await n('NOT like(src_ip, "10.0.0.%")'), 0);
    assert.equal(await n("bytes % 40 == 0"), 5);
  });

  it("keeps at most max_count results while eventCount counts every match", async () => {
    const { ex, rows } = await run(s, "search index=netflow", {}, 5);
    assert.equal(rows.length, 5);
    assert.equal(ex.resultCount, 5);
    assert.equal(ex.eventCount, 20);
  });

  it("rename, dedup and sort", async () => {
    const r = await run(s, "search index=netflow | dedup src_ip | rename src_ip AS ip | sort - ip | table ip");
    assert.deepEqual(r.rows, [{ ip: "10.0.0.2" }, { ip: "10.0.0.1" }, { ip: "10.0.0.0" }]);
  });
});

describe("SPL: errors and time specifiers", () => {
  const s = storeWith([{}]);
  it("rejects unknown commands with Splunk's wording", async () => {
    await assert.rejects(run(s, "search * | nosuchcmd x"), new SplError("Unknown search command 'nosuchcmd'."));
    await assert.rejects(run(s, "index=main | head 1"), new SplError("Unknown search command 'index'."));
    await assert.rejects(run(s, "search * | eval x=nosuchfn(1)"), /nosuchfn/);
    await assert.rejects(run(s, 'search "unbalanced'), /Unbalanced quotes/);
  });

  it("parses epoch, now, relative, snapped and ISO times", () => {
    const now = Date.UTC(2026, 10, 25, 13, 37, 42) / 1000;
    assert.equal(parseTimeSpec("1700000000.5", now), 1700000000.5);
    assert.equal(parseTimeSpec("now", now), now);
    assert.equal(parseTimeSpec("-15m", now), now - 900);
    assert.equal(parseTimeSpec("-1d@d", now), Date.UTC(2026, 10, 24) / 1000);
    assert.equal(parseTimeSpec("@h", now), Date.UTC(2026, 10, 25, 13) / 1000);
    assert.equal(parseTimeSpec("2026-11-25T00:00:00Z", now), Date.UTC(2026, 10, 25) / 1000);
    assert.equal(parseTimeSpec("", now), undefined);
    assert.throws(() => parseTimeSpec("yesterday", now));
  });

  it("runs | makeresults as a generating command", async () => {
    const { rows } = await run(s, "| makeresults count=2 | eval x=1+1");
    assert.equal(rows.length, 2);
    assert.equal(rows[0].x, "2");
  });
});
