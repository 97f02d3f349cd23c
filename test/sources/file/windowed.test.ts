/**
 * The file source as the scheduler drives it: plan → read → commit, run after run, on files that change
 * between runs the way live logs do.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WindowedFileSource } from "../../../sidecar/sources/file/windowed.ts";
import { eventId } from "../../../sidecar/sources/event-id.ts";

const HEADER = ["#separator \\x09", "#fields\tts\tuid\tid.orig_h\tid.resp_p\tproto\tduration", "#types\ttime\tstring\taddr\tport\tenum\tinterval"].join("\n");
const row = (i: number) => `${1700000000 + i}\tC${i}\t10.0.0.${i % 250}\t${80 + (i % 3)}\ttcp\t${(i / 10).toFixed(1)}`;

const log = (n: number, from = 1) => `${HEADER}\n${Array.from({ length: n }, (_, i) => row(from + i)).join("\n")}\n`;

/** One scheduled run: the ids read and the position to commit; `stopAt` stops at the n-th commit point (a crash after it). */
async function run(source: WindowedFileSource, position: unknown, stopAt = Infinity): Promise<{ ids: string[]; uids: string[]; position: unknown; points: number }> {
  const window = await source.plan(position);
  if (window === null) return { ids: [], uids: [], position, points: 0 };
  const ids: string[] = [];
  const uids: string[] = [];
  let points = 0;
  for await (const b of source.read(window)) {
    for (const e of b.events) {
      ids.push(eventId(e));
      uids.push(String(e.fields.uid));
    }
    if (b.position !== undefined) {
      points++;
      if (points === stopAt) return { ids, uids, position: JSON.parse(JSON.stringify(b.position)) as unknown, points };
    }
  }
  return { ids, uids, position: JSON.parse(JSON.stringify(source.endPosition(window))) as unknown, points };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `C${from + i}`);

describe("WindowedFileSource", () => {
  it("leaves a last line still being written for the next run, and scores it once it is finished", async () => {
    const dir = mkdtempSync(join(tmpdir(), "win-"));
    const log = join(dir, "conn.log");
    const full = row(3);
    writeFileSync(log, `${HEADER}\n${row(1)}\n${row(2)}\n${full.slice(0, 15)}`);
    const source = new WindowedFileSource({ files: [log] });
    const first = await run(source, undefined);
    assert.deepEqual(first.uids, ["C1", "C2"]);
    appendFileSync(log, `${full.slice(15)}\n`);
    const second = await run(source, first.position);
    assert.deepEqual(second.uids, ["C3"]);
    const third = await run(source, second.position);
    assert.deepEqual(third.uids, []);
  });

  it("reads the healthy file and names the unreadable one: a truncated gzip and a missing path stall nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "win-"));
    const good = join(dir, "good.log");
    writeFileSync(good, log(20));
    const gz = gzipSync(log(30, 101));
    const bad = join(dir, "bad.log.gz");
    writeFileSync(bad, gz.subarray(0, gz.length - 40));
    const source = new WindowedFileSource({ files: [bad, join(dir, "missing.log"), good] });
    const first = await run(source, undefined);
    assert.ok(first.uids.includes("C1") && first.uids.includes("C20"));
    const failures = source.failures();
    assert.equal(failures.length, 2, failures.join("\n"));
    assert.match(failures.join("\n"), /missing\.log: no such file \(source\.file\.paths\)/);
    assert.match(failures.join("\n"), /bad\.log\.gz: gzip stream is truncated after line \d+/);
    // The lines before the fault count as read; nothing is read twice on the next run, and the fault is still named.
    appendFileSync(good, `${row(21)}\n`);
    const second = await run(source, first.position);
    assert.deepEqual(second.uids, ["C21"]);
    assert.equal(source.failures().length, 2);
    assert.equal(new Set([...first.ids, ...second.ids]).size, first.ids.length + second.ids.length);
  });

  it("offers a commit point every N events, and resuming from one reads the rest exactly once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "win-"));
    const file = join(dir, "big.log");
    writeFileSync(file, log(200));
    const source = new WindowedFileSource({ files: [file], checkpointEveryEvents: 25, chunkBytes: 256 });
    for (const stopAt of [1, 3, 6]) {
      const crashed = await run(source, undefined, stopAt);
      assert.ok(crashed.uids.length >= 25 * stopAt && crashed.uids.length < 200, `stopped at ${crashed.uids.length}`);
      const rest = await run(source, crashed.position);
      assert.deepEqual([...crashed.uids, ...rest.uids], range(1, 200));
    }
  });

  it("reads a different file at the same path from its first line, even when it is bigger", async () => {
    const dir = mkdtempSync(join(tmpdir(), "win-"));
    const file = join(dir, "conn.log");
    writeFileSync(file, log(5));
    const source = new WindowedFileSource({ files: [file] });
    const first = await run(source, undefined);
    rmSync(file);
    writeFileSync(file, log(12, 501).replace("#separator", "#separator "));
    const second = await run(source, first.position);
    assert.deepEqual(second.uids, range(501, 512));
  });

  it("finishes a rotated file from its gzipped archive with the same event ids, then reads the new live file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "win-"));
    const live = join(dir, "current", "conn.log");
    mkdirSync(join(dir, "current"));
    const archive = join(dir, "2026-12-01");
    writeFileSync(live, log(10));
    const source = new WindowedFileSource({ files: [join(dir, "20*", "conn.*.log.gz"), live] });
    const first = await run(source, undefined);
    assert.deepEqual(first.uids, range(1, 10));
    // Zeek writes more, then rotates before the sidecar reads it: renamed into a dated folder and compressed.
    appendFileSync(live, `${[11, 12, 13].map(row).join("\n")}\n`);
    const fullIds = (await run(new WindowedFileSource({ files: [live] }), undefined)).ids;
    mkdirSync(archive);
    writeFileSync(join(archive, "conn.09:00:00-10:00:00.log.gz"), gzipSync(readFileSync(live)));
    rmSync(live);
    writeFileSync(live, log(4, 901).replace("#separator", "#separator "));
    renameSync(live, `${live}.tmp`);
    renameSync(`${live}.tmp`, live);
    const second = await run(source, first.position);
    assert.deepEqual(second.uids.sort(), [...range(11, 13), ...range(901, 904)].sort());
    assert.deepEqual([...first.ids, ...second.ids.slice(0, 3)], fullIds, "the archive's lines keep the ids the live file gave");
    const third = await run(source, second.position);
    assert.deepEqual(third.uids, []);
    assert.deepEqual(source.failures(), []);
  });
});
