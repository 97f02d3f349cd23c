import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStore } from "../../sidecar/pipeline/checkpoint.ts";

describe("CheckpointStore", () => {
  it("returns undefined before the first commit and the committed value after", () => {
    const s = new CheckpointStore(mkdtempSync(join(tmpdir(), "ckpt-")));
    assert.equal(s.get("zeek"), undefined);
    s.commit("zeek", { line: 42 });
    assert.deepEqual(s.get("zeek"), { line: 42 });
    s.commit("zeek", { line: 43 });
    assert.deepEqual(new CheckpointStore(join(s.dir, "..")).get("zeek"), { line: 43 });
    assert.deepEqual(readdirSync(s.dir), ["zeek.json"], "no temporary files left behind");
  });

  it("names the file and the fix when a checkpoint is corrupt", () => {
    const s = new CheckpointStore(mkdtempSync(join(tmpdir(), "ckpt-")));
    s.commit("a", 1);
    writeFileSync(join(s.dir, "a.json"), "{not json");
    assert.throws(() => s.get("a"), /a\.json is unreadable .*delete it to start over/);
  });

  it("refuses a key that is not a safe file name", () => {
    const s = new CheckpointStore(mkdtempSync(join(tmpdir(), "ckpt-")));
    assert.throws(() => s.commit("../x", 1), /must match/);
  });
});
