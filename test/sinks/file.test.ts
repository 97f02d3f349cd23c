import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSink, type WriteFn } from "../../sidecar/sinks/file.ts";

const lines = (path: string) => readFileSync(path, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as unknown);

describe("FileSink", () => {
  it("appends one JSON line per record across batches and restarts", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sink-")), "sub", "out.jsonl");
    const a = new FileSink<{ n: number }>(path);
    await a.start();
    assert.deepEqual(await a.send([{ n: 1 }, { n: 2 }]), { kind: "success" });
    assert.deepEqual(await a.flush(), { kind: "success" });
    await a.shutdown();
    await a.shutdown();
    const b = new FileSink<{ n: number }>(path);
    await b.start();
    await b.send([{ n: 3 }]);
    await b.shutdown();
    assert.deepEqual(readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as unknown), [{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it("writes serialized records byte for byte as send writes the records they serialize", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sink-"));
    const records = [
      { _time: 1700000000.5, event_id: "a", risk_score: 90, top_features: [{ feature: "x", value: "é\u2028", contribution: 1.5 }] },
      { _time: 1700000001, event_id: "b", risk_score: 21, top_features: [] },
    ];
    const plain = new FileSink<(typeof records)[number]>(join(dir, "plain.jsonl"));
    const serialized = new FileSink<(typeof records)[number]>(join(dir, "serialized.jsonl"));
    await plain.start();
    await serialized.start();
    assert.deepEqual(await plain.send(records), { kind: "success" });
    const batch = {
      length: records.length,
      json: (i: number) => {
        const { _time: _t, ...rest } = records[i]!;
        return JSON.stringify(rest);
      },
      time: records.map((r) => r._time),
      ids: records.map((r) => r.event_id),
    };
    assert.deepEqual(await serialized.sendSerialized(batch), { kind: "success" });
    await plain.shutdown();
    await serialized.shutdown();
    assert.equal(readFileSync(join(dir, "serialized.jsonl"), "utf8"), readFileSync(join(dir, "plain.jsonl"), "utf8"));
  });

  it("reports a failure, not a throw, when not started", async () => {
    const s = new FileSink(join(tmpdir(), "never.jsonl"));
    const r = await s.send([{}]);
    assert.equal(r.kind, "failure");
  });

  it("removes a torn last line left by a killed writer when it starts", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sink-")), "out.jsonl");
    writeFileSync(path, '{"n":1}\n{"n":2}\n{"n":3,"risk_sc');
    const s = new FileSink<{ n: number }>(path);
    await s.start();
    await s.send([{ n: 4 }]);
    await s.shutdown();
    assert.deepEqual(lines(path), [{ n: 1 }, { n: 2 }, { n: 4 }]);
  });

  it("rewinds to the newest committed mark of the same file, and ignores marks of another file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sink-"));
    const path = join(dir, "out.jsonl");
    const s = new FileSink<{ n: number }>(path);
    await s.start();
    await s.send([{ n: 1 }]);
    await s.flush();
    const older = s.mark();
    await s.send([{ n: 2 }]);
    await s.flush();
    const newer = s.mark();
    await s.send([{ n: 3 }, { n: 4 }]);
    await s.shutdown();
    const other = new FileSink(join(dir, "other.jsonl"));
    await other.start();
    const foreign = { ...other.mark()!, size: 1 };
    await other.shutdown();
    const again = new FileSink<{ n: number }>(path);
    await again.start();
    assert.equal(await again.rewind([older, foreign, newer]), '{"n":3}\n{"n":4}\n'.length);
    await again.send([{ n: 3 }]);
    await again.shutdown();
    assert.deepEqual(lines(path), [{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it("fails a batch the disk refuses with the path and the reason, and leaves no torn line", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sink-")), "out.jsonl");
    let room = 30;
    const full: WriteFn = (fd, buf, off, len) => {
      if (room <= 0) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      const n = Math.min(len, room);
      room -= n;
      return (appendFileSync(fd, buf.subarray(off, off + n)), n);
    };
    const s = new FileSink<{ n: number; pad: string }>(path, { write: full });
    await s.start();
    assert.equal((await s.send([{ n: 1, pad: "" }])).kind, "success");
    const r = await s.send([{ n: 2, pad: "x".repeat(20) }, { n: 3, pad: "" }]);
    assert.equal(r.kind, "failure");
    assert.match(r.kind === "failure" ? r.reason : "", new RegExp(`cannot write ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ENOSPC`));
    room = 1000;
    assert.equal((await s.send([{ n: 2, pad: "" }])).kind, "success");
    await s.shutdown();
    assert.deepEqual(lines(path), [{ n: 1, pad: "" }, { n: 2, pad: "" }]);
  });
});
