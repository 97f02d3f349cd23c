/**
 * The file source as the scheduler drives it: plan → read → commit, run after run, on files that change
 * between runs the way live logs do.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WindowedFileSource } from "../../../sidecar/sources/file/windowed.ts";
import { eventId } from "../../../sidecar/pipeline/risk-event.ts";

const HEADER = ["#separator \\x09", "#fields\tts\tuid\tid.orig_h\tid.resp_p\tproto\tduration", "#types\ttime\tstring\taddr\tport\tenum\tinterval"].join("\n");
const row = (i: number) => `${1700000000 + i}\tC${i}\t10.0.0.${i % 250}\t${80 + (i % 3)}\ttcp\t${(i / 10).toFixed(1)}`;

/** One scheduled run: the ids read and the position to commit. */
async function run(source: WindowedFileSource, position: unknown): Promise<{ ids: string[]; uids: string[]; position: unknown }> {
  const window = await source.plan(position);
  if (window === null) return { ids: [], uids: [], position };
  const ids: string[] = [];
  const uids: string[] = [];
  for await (const b of source.read(window)) {
    for (const e of b.events) {
      ids.push(eventId(e));
      uids.push(String(e.fields.uid));
    }
  }
  return { ids, uids, position: source.endPosition(window) };
}

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
});
