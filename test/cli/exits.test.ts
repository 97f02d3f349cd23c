/**
 * The command line's refusals, exits, signals and output, on real processes with a timeout (a hang fails the
 * test instead of stalling it).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { formatProgress } from "../../sidecar/cli/score.ts";

const SAMPLE = "data/sample/conn.sample.log";
const MODELS = ["--model", "zeek-conn", "--models-dir", "models"];

function cli(args: string[], timeout = 60_000): { code: number | null; signal: string | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/soc-assistant.mjs", ...args], { encoding: "utf8", timeout });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function runConfig(dir: string, paths: string[], extra: string[] = []): string {
  const cfg = join(dir, "config.yaml");
  writeFileSync(
    cfg,
    [
      `source: {type: file, file: {paths: ${JSON.stringify(paths)}${extra.includes("chunk") ? ", checkpoint_every_events: 1000" : ""}}}`,
      `sink: {type: file, min_risk_score: ${extra.includes("all") ? 0 : 21}, file: {path: out/risk.jsonl, runs_path: out/runs.jsonl}}`,
      `model: {registry_dir: ${JSON.stringify(resolve("models"))}, workers: 1}`,
      "state_dir: var",
      "api: {enabled: false}",
      "logging: {level: warn}",
    ].join("\n"),
  );
  return cfg;
}

const jsonLines = (p: string) => readFileSync(p, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);

describe("soc-assistant score", () => {
  const dir = mkdtempSync(join(tmpdir(), "exits-"));

  it("refuses an output that is the input (same inode), and leaves the input alone", () => {
    const input = join(dir, "in.log");
    copyFileSync(SAMPLE, input);
    const size = statSync(input).size;
    const r = cli(["score", ...MODELS, "--input", input, "--output", join(dir, ".", "in.log")]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--output .*in\.log is the input file; write the risk events to another file/);
    assert.equal(statSync(input).size, size);
  });

  it("says it cannot write the output and exits 1, without hanging, for a directory and a path under a file", () => {
    const file = join(dir, "plain.txt");
    writeFileSync(file, "x");
    for (const output of [dir, join(file, "risk.jsonl")]) {
      const r = cli(["score", ...MODELS, "--input", SAMPLE, "--output", output, "--workers", "2"], 30_000);
      assert.equal(r.signal, null, `hung on ${output}`);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`cannot write ${output.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
    }
  });

  it("says when the input is empty or binary, not that it lacks fields", () => {
    const empty = join(dir, "empty.log");
    writeFileSync(empty, "");
    const binary = join(dir, "model.bin");
    writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2, 3, 0, 0xff]));
    const emptyGz = join(dir, "empty.log.gz");
    writeFileSync(emptyGz, gzipSync(""));
    for (const [input, says] of [[empty, "empty file"], [emptyGz, "empty file"], [binary, "binary data, not text"]] as const) {
      const r = cli(["score", ...MODELS, "--input", input, "--output", join(dir, "o.jsonl")]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`${input.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ${says}; nothing to score`));
      assert.doesNotMatch(r.stderr, /lacks fields/);
    }
  });

  it("names --workers when it is not a number (usage error, exit 2)", () => {
    const r = cli(["score", ...MODELS, "--input", SAMPLE, "--output", join(dir, "o.jsonl"), "--workers", "many"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--workers must be a whole number from 0 to 64 .*got "many"/);
    assert.doesNotMatch(r.stderr, /pool size/);
  });

  it("stays quiet (no progress line) when stderr is not a terminal, and its written count matches the bands", () => {
    const out = join(dir, "risk.jsonl");
    const r = cli(["score", ...MODELS, "--input", SAMPLE, "--output", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\r/);
    const m = /wrote (\d+) .*\nby band: critical (\d+), high (\d+), medium (\d+), low (\d+), informational (\d+)/.exec(r.stderr)!;
    assert.equal(Number(m[1]), Number(m[2]) + Number(m[3]) + Number(m[4]) + Number(m[5]));
    assert.equal(jsonLines(out).length, Number(m[1]));
  });

  it("formats progress as events, events/s and an ETA from the bytes read", () => {
    assert.equal(formatProgress(12_345, 250, 1000, 2), "12,345 events  6,173 events/s  ETA 0:06");
    assert.equal(formatProgress(500, 0, 0, 1), "500 events  500 events/s");
  });
});

describe("<command> --help", () => {
  for (const command of ["run", "train", "evaluate", "score", "backfill", "models"]) {
    it(`${command} --help prints its usage and exits 0, starting nothing`, () => {
      const r = cli([command, "--help"], 30_000);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: soc-assistant ${command}`));
      assert.equal(r.stderr, "");
    });
  }
});

describe("soc-assistant run --once", () => {
  it("exits 1 naming a missing path and a truncated gzip, while the healthy file is scored once", () => {
    const dir = mkdtempSync(join(tmpdir(), "exits-"));
    copyFileSync(SAMPLE, join(dir, "good.log"));
    // Another capture than good.log (the same lines at the same numbers would be the same events, ADR 0016).
    const gz = gzipSync(readFileSync(SAMPLE, "utf8").replace("\n", "\n#path\tconn\n"));
    writeFileSync(join(dir, "bad.log.gz"), gz.subarray(0, Math.floor(gz.length / 2)));
    const cfg = runConfig(dir, ["bad.log.gz", "missing.log", "good.log"]);
    const first = cli(["run", "--once", "--config", cfg]);
    assert.equal(first.code, 1, first.stderr);
    const verdict = first.stderr.split("\n").find((l) => l.startsWith("soc-assistant: the run did not complete")) ?? "";
    assert.match(verdict, /: input: 2 inputs could not be read \(the others were scored\): /);
    assert.match(verdict, /bad\.log\.gz: gzip stream is truncated after line \d+/);
    assert.match(verdict, /missing\.log: no such file \(source\.file\.paths\)/);
    assert.doesNotMatch(first.stderr, /model/i);
    const written = jsonLines(join(dir, "out/risk.jsonl"));
    const second = cli(["run", "--once", "--config", cfg]);
    assert.equal(second.code, 1, "still failing while the inputs are broken");
    const after = jsonLines(join(dir, "out/risk.jsonl"));
    assert.equal(after.length, written.length, "the healthy file's events are not written again");
    assert.ok(after.some((e) => String(e.orig_source).endsWith("good.log")));
    assert.equal(new Set(after.map((e) => e.event_id)).size, after.length);
  });

  it("exits 1 when no model can score", () => {
    const dir = mkdtempSync(join(tmpdir(), "exits-"));
    copyFileSync(SAMPLE, join(dir, "conn.log"));
    const cfg = runConfig(dir, ["conn.log"]);
    writeFileSync(cfg, readFileSync(cfg, "utf8").replace("workers: 1}", "workers: 1, name: no-such-model}"));
    const r = cli(["run", "--once", "--config", cfg]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /the run did not complete: .*no-such-model/);
  });

  it("on Ctrl-C says what it waits for; a second Ctrl-C stops at a safe point; the next run finishes with every event once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exits-"));
    const lines = readFileSync(SAMPLE, "utf8").split("\n");
    const header = lines.filter((l) => l.startsWith("#") && !l.startsWith("#close"));
    const rows = lines.filter((l) => l !== "" && !l.startsWith("#"));
    const all = [...header, ...rows, ...rows, ...rows, ...rows];
    writeFileSync(join(dir, "conn.log"), `${all.join("\n")}\n`);
    const cfg = runConfig(dir, ["conn.log"], ["all", "chunk"]);
    const out = join(dir, "out/risk.jsonl");
    const p = spawn(process.execPath, ["bin/soc-assistant.mjs", "run", "--once", "--config", cfg], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => p.once("exit", (c) => r(c)));
    const kill = setTimeout(() => p.kill("SIGKILL"), 60_000);
    while (!(existsSync(out) && statSync(out).size > 500_000) && p.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    p.kill("SIGINT");
    while (!/waiting for/.test(stderr) && p.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    p.kill("SIGINT");
    const code = await exited;
    clearTimeout(kill);
    assert.match(stderr, /stopping: waiting for the scoring run of file to finish its window \(press Ctrl-C again to stop it at the next safe point\)/);
    assert.match(stderr, /stopping the run in flight at the next safe point/);
    assert.equal(code, 130, stderr);
    const partial = readFileSync(out, "utf8");
    assert.ok(partial.endsWith("\n"));
    assert.ok(jsonLines(out).length < rows.length * 4, "stopped before the end");
    const rest = cli(["run", "--once", "--config", cfg]);
    assert.equal(rest.code, 0, rest.stderr);
    const ids = jsonLines(out).map((e) => e.event_id as string);
    const expected = all.map((l, i) => (l.startsWith("#") ? null : createHash("sha256").update(`${i + 1}|${l}`).digest("hex"))).filter((x) => x !== null);
    assert.equal(ids.length, expected.length, "nothing doubled");
    assert.deepEqual(new Set(ids), new Set(expected), "nothing lost");
  });
});

