// Rows whose _indextime lies outside the job's index-time range are dropped on the client and counted as
// rejected (issue 8, section 3 item 4): a stub client returns such rows, as a server would when the query's
// time modifiers overrode the job's bounds.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { outsideWindow, SplunkSource } from "../../../sidecar/sources/splunk/source.ts";
import type { JobHandle, SplunkClient } from "../../../sidecar/splunk/sdk.ts";

const SETTINGS = { lag_seconds: 0, max_window_seconds: 3600, initial_lookback_seconds: 3600, max_lateness_seconds: 86400, page_size: 10_000 };

function stubClient(rows: Record<string, string>[]): SplunkClient {
  const job = { sid: "s1" } as JobHandle;
  return {
    createJob: () => Promise.resolve(job),
    waitForJob: () => Promise.resolve({ sid: "s1", state: "DONE", done: true, failed: false, eventCount: rows.length, resultCount: rows.length, messages: [] }),
    results: (_j: JobHandle, offset: number, count: number) => Promise.resolve({ results: rows.slice(offset, offset + count) }),
    removeJob: () => Promise.resolve(),
  } as unknown as SplunkClient;
}

describe("Splunk source: rows outside the window's index time", () => {
  it("outsideWindow: inside, on the bounds, missing and unreadable _indextime", () => {
    assert.equal(outsideWindow({ _indextime: "100" }, 100, 200), undefined);
    assert.equal(outsideWindow({ _indextime: "199" }, 100, 200), undefined);
    assert.equal(outsideWindow({}, 100, 200), undefined);
    assert.equal(outsideWindow({ _indextime: "x" }, 100, 200), undefined);
    assert.match(outsideWindow({ _indextime: "200" }, 100, 200)!, /^_indextime 200 is outside the window's index time \[100, 200\)/);
    assert.match(outsideWindow({ _indextime: ["99"] }, 100, 200)!, /^_indextime 99 is outside/);
  });

  it("drops rows indexed before or after the window, counts them with a reason, keeps the rest", async () => {
    const start = 1_800_000_000;
    const end = start + 600;
    const row = (n: number, indextime: number | undefined) => ({
      _raw: `row ${n}`,
      _time: String(indextime ?? start),
      ...(indextime === undefined ? {} : { _indextime: String(indextime) }),
      index: "netflow",
      src_ip: "10.0.0.1",
    });
    const rows = [row(0, start), row(1, start - 1), row(2, end - 1), row(3, end), row(4, undefined), row(5, end + 3600)];
    const source = new SplunkSource({ client: stubClient(rows), search: { name: "conn", query: "index=netflow", field_map: {} }, settings: SETTINGS });
    const events = [];
    const rejected = [];
    for await (const b of source.read({ start, end, earliest: start - 86400, latest: end + 300 })) {
      events.push(...b.events);
      rejected.push(...b.rejected);
    }
    assert.deepEqual(
      events.map((e) => (e.origin as { raw: string }).raw),
      ["row 0", "row 2", "row 4"],
    );
    assert.deepEqual(
      rejected.map((r) => [r.file, r.line]),
      [
        ["splunk:conn", 1],
        ["splunk:conn", 3],
        ["splunk:conn", 5],
      ],
    );
    assert.ok(rejected.every((r) => r.reason.includes(`outside the window's index time [${start}, ${end})`)));
  });

  it("requests _indextime with the fields it pulls", () => {
    const source = new SplunkSource({ client: stubClient([]), search: { name: "conn", query: "index=netflow", field_map: {} }, settings: SETTINGS, fields: ["src_ip"] });
    assert.match(source.query, /\| fields .*_indextime/);
  });
});
