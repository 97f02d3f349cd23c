import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSink } from "../../sidecar/sinks/file.ts";

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

  it("reports a failure, not a throw, when not started", async () => {
    const s = new FileSink(join(tmpdir(), "never.jsonl"));
    const r = await s.send([{}]);
    assert.equal(r.kind, "failure");
  });
});
