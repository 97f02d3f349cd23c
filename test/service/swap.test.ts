/**
 * Model swaps as an admin does them: a running sidecar (a real child process on its schedule), the CLI in
 * another process moving the registry pointer, and `GET /api/v1/status` showing what scores.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliProcess } from "../helpers/cli.ts";
import { addVersion, currentOf, makeRegistry, setCurrentByHand } from "../helpers/models.ts";

const BIN = "bin/soc-assistant.mjs";

interface Status {
  ready: boolean;
  reason: string | null;
  model: { version: string | null; problem: string | null };
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("model swap against a running sidecar", () => {
  it("promote takes effect at the next run, a broken version is refused, rollback returns, a hand-moved broken pointer keeps the last good one scoring", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "swap-"));
    const registry = makeRegistry(["good", "good"]);
    addVersion(registry, "v0003", "nan");
    const sample = join(dir, "conn.log");
    copyFileSync("data/sample/conn.sample.log", sample);
    const dataLine = readFileSync(sample, "utf8").split("\n").find((l) => l !== "" && !l.startsWith("#"))!;
    let ts = 1_900_000_000;
    /** One new flow: the next run has something to score. */
    const appendEvent = () => appendFileSync(sample, `${dataLine.replace(/^[^\t]+/, String(ts++))}\n`);
    const runs = join(dir, "out/runs.jsonl");
    const cfg = join(dir, "config.yaml");
    writeFileSync(
      cfg,
      [
        `source: {type: file, file: {paths: [${JSON.stringify(sample)}]}}`,
        `sink: {type: file, min_risk_score: 0, file: {path: ${JSON.stringify(join(dir, "out/risk.jsonl"))}, runs_path: ${JSON.stringify(runs)}}}`,
        `model: {registry_dir: ${JSON.stringify(registry)}, workers: 1}`,
        `schedule: {scoring_cron: "* * * * * *"}`,
        `state_dir: ${JSON.stringify(join(dir, "var"))}`,
        "api: {port: 0}",
      ].join("\n"),
    );
    const p: ChildProcess = spawn(process.execPath, [BIN, "run", "--config", cfg], { stdio: ["ignore", "pipe", "pipe"] });
    t.after(() => p.kill("SIGKILL"));
    let err = "";
    p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    p.stdout!.resume();
    const port = await until("the API to listen", () => /url=http:\/\/127\.0\.0\.1:(\d+)/.exec(err)?.[1]);
    const status = async (): Promise<Status> => (await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json()) as Status;
    const runVersions = (): string[] => {
      try {
        return readFileSync(runs, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { model_version: string }).model_version);
      } catch {
        return [];
      }
    };
    /** Appends an event and waits for the run that scores it; returns that run's model version. */
    const nextRunVersion = async (): Promise<string> => {
      const before = runVersions().length;
      appendEvent();
      return until("a run over the new event", () => runVersions()[before]);
    };
    const cli = (...args: string[]) => cliProcess(["models", ...args, "--config", cfg], { timeoutMs: 60_000 });

    await until("the first run", () => (runVersions().length > 0 ? true : undefined));
    assert.equal((await status()).model.version, "v0001");

    const promoted = cli("promote", "zeek-conn@v0002");
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.match(promoted.stdout, /current is now v0002 \(was v0001\)/);
    assert.equal(await nextRunVersion(), "v0002", "the next run scores with the promoted version, without a restart");
    assert.equal((await status()).model.version, "v0002");

    const refused = cli("promote", "zeek-conn@v0003");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused zeek-conn@v0003: .*NaN/);
    assert.equal(currentOf(registry), "v0002", "a refused promotion moves nothing");
    assert.equal(await nextRunVersion(), "v0002");

    const rolled = cli("rollback", "zeek-conn");
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.match(rolled.stdout, /rolled back to v0001 \(was v0002\)/);
    assert.equal(await nextRunVersion(), "v0001");
    assert.equal((await status()).model.version, "v0001");

    setCurrentByHand(registry, "v0003");
    assert.equal(await nextRunVersion(), "v0001", "the last good version keeps scoring");
    const s = await status();
    assert.equal(s.ready, false);
    assert.match(s.reason ?? "", /zeek-conn@v0003 \(the registry's current version\) cannot be used: .*NaN.*Still scoring with v0001/);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 503);

    p.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => p.once("exit", (c) => r(c)));
    assert.equal(code, 0, err);
  });
});
