// The Splunk source resumes on a job dispatched again only when it is provably the same result list: the
// same count, and the last row read at the same offset. A stub client plays a server whose second job differs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SplunkSource } from "../../../sidecar/sources/splunk/source.ts";
import { SplunkError } from "../../../sidecar/splunk/errors.ts";
import type { JobHandle, SplunkClient } from "../../../sidecar/splunk/sdk.ts";

const SETTINGS = { lag_seconds: 0, max_window_seconds: 3600, initial_lookback_seconds: 3600, max_lateness_seconds: 86400, page_size: 2 };
const row = (n: number) => ({ _raw: `row ${n}`, _time: "1800000000", _cd: `0:${n}`, index: "netflow" });

/** Job k (0-based) serves `lists[k]`; its `failAt`-th results call answers 404 when `failAt[k]` is set. */
function stub(lists: Record<string, string>[][], failAt: (number | undefined)[]): SplunkClient {
  let created = 0;
  const calls = new Map<string, number>();
  return {
    createJob: () => Promise.resolve({ sid: `s${created++}` } as JobHandle),
    waitForJob: (j: JobHandle) => {
      const rows = lists[Number(j.sid.slice(1))]!;
      return Promise.resolve({ sid: j.sid, state: "DONE", done: true, failed: false, eventCount: rows.length, resultCount: rows.length, messages: [] });
    },
    results: (j: JobHandle, offset: number, count: number) => {
      const k = Number(j.sid.slice(1));
      const c = (calls.get(j.sid) ?? 0) + 1;
      calls.set(j.sid, c);
      if (failAt[k] === c) return Promise.reject(new SplunkError(`job ${j.sid} not found`, "permanent", 404, "Unknown sid."));
      return Promise.resolve({ results: lists[k]!.slice(offset, offset + count) });
    },
    removeJob: () => Promise.resolve(),
  } as unknown as SplunkClient;
}

async function read(client: SplunkClient): Promise<string[]> {
  const source = new SplunkSource({ client, search: { name: "conn", query: "index=netflow", field_map: {} }, settings: SETTINGS });
  const raws: string[] = [];
  for await (const b of source.read({ start: 1_800_000_000, end: 1_800_000_600, earliest: 0, latest: 1_800_000_900 })) {
    raws.push(...b.events.map((e) => (e.origin as { raw: string }).raw));
  }
  return raws;
}

describe("Splunk source: a job that disappears mid-window", () => {
  const six = [0, 1, 2, 3, 4, 5].map(row);

  it("resumes after the last row read when the new job holds the same rows in the same order", async () => {
    assert.deepEqual(await read(stub([six, six], [2, undefined])), six.map((r) => r._raw));
  });

  it("fails the window when the new job returns the rows in another order", async () => {
    const other = [1, 0, 2, 3, 4, 5].map(row);
    await assert.rejects(read(stub([six, other], [2, undefined])), /returns its results in another order \(row 1 differs\).*checkpoint holds/);
  });

  it("fails the window when the new job holds another number of results", async () => {
    await assert.rejects(read(stub([six, six.slice(0, 5)], [2, undefined])), /holds 5 results where the lost job held 6.*checkpoint holds/);
  });
});
