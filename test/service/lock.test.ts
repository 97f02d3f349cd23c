/**
 * One sidecar per state directory: a second process is refused with a clear message while the first runs, and
 * a lock left by a process that died is taken over.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { StateLock, StateLockError } from "../../sidecar/pipeline/state-lock.ts";

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "lock-"));
  copyFileSync("data/sample/conn.sample.log", join(dir, "conn.log"));
  const cfg = join(dir, "config.yaml");
  writeFileSync(
    cfg,
    [
      "source: {type: file, file: {paths: [conn.log]}}",
      "sink: {type: file, file: {path: out/risk.jsonl, runs_path: out/runs.jsonl}}",
      `model: {registry_dir: ${JSON.stringify(resolve("models"))}, workers: 1}`,
      "schedule: {scoring_cron: '0 0 1 1 *', run_on_start: true}",
      "state_dir: var",
      "api: {enabled: false}",
    ].join("\n"),
  );
  return { dir, cfg, out: join(dir, "out/risk.jsonl"), lock: join(dir, "var/lock") };
}

const lines = (p: string) => readFileSync(p, "utf8").split("\n").filter((l) => l !== "").length;

function deadPid(): number {
  const p = spawnSync(process.execPath, ["-e", "0"]);
  return p.pid!;
}

describe("the state directory lock", () => {
  it("refuses a second process on the same state directory while the first runs, naming the owner and the fix", async () => {
    const { cfg, out, lock } = setup();
    const first = spawn(process.execPath, ["bin/soc-assistant.mjs", "run", "--config", cfg], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    first.stderr.on("data", (d: Buffer) => (err += d.toString()));
    first.stdout.resume();
    const deadline = Date.now() + 60_000;
    while (!/No new events since the checkpoint|Scoring run finished/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const written = lines(out);
    assert.ok(written > 0);
    try {
      const second = spawnSync(process.execPath, ["bin/soc-assistant.mjs", "run", "--once", "--config", cfg], { encoding: "utf8", timeout: 60_000 });
      assert.equal(second.status, 1, second.stderr);
      assert.match(second.stderr, new RegExp(`state directory .*var is in use by another soc-assistant \\(pid ${first.pid}, since .*\\): stop that one first, or give this one its own state_dir\\. If no such process runs, delete .*lock`));
      assert.equal(lines(out), written, "the second process wrote nothing");
    } finally {
      first.kill("SIGTERM");
      await new Promise((r) => first.once("exit", r));
    }
    assert.equal(existsSync(lock), false, "a clean shutdown removes the lock");
  });

  it("takes over a lock whose process is gone, and never one of another host", () => {
    const dir = mkdtempSync(join(tmpdir(), "lock-"));
    const l = new StateLock(dir);
    writeFileSync(l.path, JSON.stringify({ pid: deadPid(), host: hostname(), boot_id: null, started_at: "2026-01-01T00:00:00Z" }));
    assert.equal(l.acquire().replaced?.started_at, "2026-01-01T00:00:00Z");
    assert.equal((JSON.parse(readFileSync(l.path, "utf8")) as { pid: number }).pid, process.pid);
    l.release();
    assert.equal(existsSync(l.path), false);
    writeFileSync(l.path, JSON.stringify({ pid: deadPid(), host: "other-host", boot_id: null, started_at: "x" }));
    assert.throws(() => new StateLock(dir).acquire(), (e: Error) => e instanceof StateLockError && /pid \d+ on host other-host/.test(e.message));
    writeFileSync(l.path, JSON.stringify({ pid: process.pid, host: hostname(), boot_id: "an-earlier-boot", started_at: "x" }));
    assert.equal(new StateLock(dir).acquire().replaced?.boot_id, "an-earlier-boot", "a lock from before a reboot is stale");
  });
});
