/**
 * A disk that refuses a write: a real full filesystem (an 8 MiB tmpfs, where the machine lets the tests mount
 * one as root; the file sink's unit tests inject the same error otherwise). The run fails with the path and
 * the reason, the checkpoint holds, the output keeps no torn line, and once there is room the next run writes
 * the window: every event once.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseConfig } from "../../sidecar/config/load.ts";
import { Sidecar } from "../../sidecar/service/sidecar.ts";

const dir = mkdtempSync(join(tmpdir(), "full-"));
const disk = join(dir, "disk");
mkdirSync(disk);
const mounted = process.getuid?.() === 0 && spawnSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", disk]).status === 0;
after(() => {
  if (mounted) spawnSync("umount", [disk]);
});

describe("a disk that refuses a write", { skip: mounted ? false : "needs root and tmpfs to mount a small filesystem" }, () => {
  it("fails the run with the path and the reason, keeps the checkpoint and valid JSON lines, and writes the window once there is room", async () => {
    const sample = join(dir, "conn.log");
    copyFileSync("data/sample/conn.sample.log", sample);
    const out = join(disk, "risk.jsonl");
    const config = parseConfig(
      {
        source: { type: "file", file: { paths: [sample] } },
        sink: { type: "file", min_risk_score: 0, file: { path: out, runs_path: join(dir, "runs.jsonl") } },
        model: { registry_dir: resolve("models"), name: "zeek-conn", workers: 1 },
        state_dir: join(dir, "var"),
        api: { enabled: false },
      },
      "test",
      {},
    );
    // Leave about 1.5 MiB: room for part of the 3,400 risk events (~4 MB), not all.
    writeFileSync(join(disk, "filler"), Buffer.alloc(Math.round(6.5 * 1024 * 1024)));
    const first = new Sidecar(config, () => undefined);
    try {
      assert.equal(await first.start({ once: true }), false);
    } finally {
      await first.shutdown();
    }
    const [run] = readFileSync(join(dir, "runs.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { error: string; committed: boolean });
    assert.match(run!.error, new RegExp(`cannot write ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ENOSPC`));
    const cp = JSON.parse(readFileSync(join(dir, "var/checkpoints/file.json"), "utf8")) as { position?: unknown };
    assert.equal(cp.position, undefined, "the checkpoint did not move");
    const partial = readFileSync(out, "utf8");
    assert.ok(partial === "" || partial.endsWith("\n"), "no torn line");
    for (const l of partial.split("\n").filter((x) => x !== "")) JSON.parse(l);

    rmSync(join(disk, "filler"));
    const second = new Sidecar(config, () => undefined);
    try {
      assert.equal(await second.start({ once: true }), true);
    } finally {
      await second.shutdown();
    }
    const ids = readFileSync(out, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { event_id: string }).event_id);
    const expected = readFileSync(sample, "utf8")
      .split("\n")
      .map((l, i) => (l === "" || l.startsWith("#") ? null : createHash("sha256").update(`${i + 1}|${l}`).digest("hex")))
      .filter((x) => x !== null);
    assert.equal(ids.length, expected.length, "nothing doubled");
    assert.deepEqual(new Set(ids), new Set(expected), "nothing lost");
  });
});
