/**
 * Nothing lost, nothing doubled: `soc-assistant run --once` on a large file, killed with SIGKILL at several
 * points (a real child process), then run to the end. The output must hold every event exactly once, as valid
 * JSON lines.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const SAMPLE = readFileSync("data/sample/conn.sample.log", "utf8").split("\n");
const HEADER = SAMPLE.filter((l) => l.startsWith("#") && !l.startsWith("#close"));
const ROWS = SAMPLE.filter((l) => l !== "" && !l.startsWith("#"));

/** A Zeek log of `copies` times the sample's rows; returns the event_id of every row (SHA-256 of `line|row`). */
function bigLog(path: string, copies: number): string[] {
  const lines = [...HEADER];
  for (let c = 0; c < copies; c++) lines.push(...ROWS);
  writeFileSync(path, `${lines.join("\n")}\n`);
  const ids: string[] = [];
  lines.forEach((l, i) => {
    if (!l.startsWith("#")) ids.push(createHash("sha256").update(`${i + 1}|${l}`).digest("hex"));
  });
  return ids;
}

function setup(copies: number) {
  const dir = mkdtempSync(join(tmpdir(), "crash-"));
  const ids = bigLog(join(dir, "conn.log"), copies);
  const cfg = join(dir, "config.yaml");
  writeFileSync(
    cfg,
    [
      "source: {type: file, file: {paths: [conn.log], checkpoint_every_events: 1500}}",
      "sink: {type: file, min_risk_score: 0, file: {path: out/risk.jsonl, runs_path: out/runs.jsonl}}",
      `model: {registry_dir: ${JSON.stringify(resolve("models"))}, workers: 1}`,
      "state_dir: var",
      "api: {enabled: false}",
      "logging: {level: warn}",
    ].join("\n"),
  );
  return { dir, ids, cfg, out: join(dir, "out/risk.jsonl") };
}

function lineCount(path: string): number {
  if (!existsSync(path)) return 0;
  return Math.floor(statSync(path).size / 900); // risk lines are ~1 KB: a cheap estimate while it grows
}

/** Starts `run --once`; kills it with SIGKILL once the output holds about `killAfter` lines (never, when undefined). */
async function runOnce(cfg: string, out: string, killAfter?: number): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const p = spawn(process.execPath, ["bin/soc-assistant.mjs", "run", "--once", "--config", cfg], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => p.once("exit", (code, signal) => r({ code, signal })));
  const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
  if (killAfter !== undefined) {
    let done = false;
    void exited.then(() => (done = true));
    while (!done && lineCount(out) < killAfter) await new Promise((r) => setTimeout(r, 10));
    if (!done) p.kill("SIGKILL");
  }
  const r = await exited;
  clearTimeout(timer);
  return { ...r, stderr };
}

describe("a crash in the middle of a large file", () => {
  it("loses nothing and doubles nothing, and the output stays valid JSON lines, after SIGKILL at several points", async () => {
    const { ids, cfg, out } = setup(4);
    const kills: string[] = [];
    for (const at of [1000, 4500, 9500]) {
      const r = await runOnce(cfg, out, at);
      kills.push(`${at}: ${r.signal ?? r.code}`);
    }
    assert.ok(kills.filter((k) => k.endsWith("SIGKILL")).length >= 2, `killed mid-way: ${kills.join(", ")}`);
    const last = await runOnce(cfg, out);
    assert.equal(last.code, 0, last.stderr);
    const text = readFileSync(out, "utf8");
    assert.ok(text.endsWith("\n"));
    const written = text.split("\n").slice(0, -1).map((l, i) => {
      try {
        return (JSON.parse(l) as { event_id: string }).event_id;
      } catch {
        throw new Error(`line ${i + 1} of the output is not JSON: ${l.slice(0, 80)}`);
      }
    });
    const counts = new Map<string, number>();
    for (const id of written) counts.set(id, (counts.get(id) ?? 0) + 1);
    const doubled = [...counts].filter(([, n]) => n > 1).length;
    const missing = ids.filter((id) => !counts.has(id)).length;
    assert.equal(doubled, 0, `${doubled} events written twice`);
    assert.equal(missing, 0, `${missing} events missing`);
    assert.equal(written.length, ids.length);
  });
});
