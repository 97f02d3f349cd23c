/**
 * The main job on the embedded default, as `npm start` runs it: file source, bundled model, file sink,
 * checkpoints; and as a process that stays up and stops cleanly on SIGTERM.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseConfig } from "../../sidecar/config/load.ts";
import { Sidecar } from "../../sidecar/service/sidecar.ts";

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "svc-"));
  const sample = join(dir, "conn.log");
  copyFileSync("data/sample/conn.sample.log", sample);
  const config = parseConfig(
    {
      source: { type: "file", file: { paths: [sample] } },
      sink: { type: "file", file: { path: join(dir, "out/risk.jsonl"), runs_path: join(dir, "out/runs.jsonl") } },
      model: { registry_dir: resolve("models"), name: "zeek-conn", workers: 1 },
      state_dir: join(dir, "var"),
      api: { enabled: false },
    },
    "test",
    {},
  );
  const read = (p: string) =>
    readFileSync(join(dir, p), "utf8")
      .trim()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { dir, sample, config, read };
}

describe("Service on the embedded default", () => {
  it("scores the sample once, writes risk events and a run event whose counts add up", async () => {
    const { config, read } = setup();
    let printed = "";
    const s = new Sidecar(config, (t) => (printed += t));
    await s.start({ once: true });
    await s.shutdown();
    const risk = read("out/risk.jsonl");
    const [run] = read("out/runs.jsonl");
    assert.ok(risk.length > 0);
    assert.ok(risk.every((e) => (e.risk_score as number) >= 20));
    assert.equal(run!.events_pulled, 3400);
    assert.equal(run!.events_scored, 3400);
    assert.equal(run!.events_written, risk.length);
    const bands = run!.by_band as Record<string, number>;
    assert.equal(Object.values(bands).reduce((a, b) => a + b, 0), 3400);
    // The default threshold is the low band's first score: the written count is the bands above informational.
    assert.equal(run!.events_written, bands.low! + bands.medium! + bands.high! + bands.critical!);
    assert.ok(risk.every((e) => e.risk_band !== "informational"));
    assert.equal(run!.committed, true);
    assert.match(printed, /Top 10 risk events/);
    assert.match(printed, new RegExp(`Wrote ${risk.length} risk events`));
  });

  it("scores only lines appended since the checkpoint, so no event is written twice", async () => {
    const { config, read, sample } = setup();
    const first = new Sidecar(config, () => undefined);
    await first.start({ once: true });
    await first.shutdown();
    const before = read("out/risk.jsonl");
    const lines = readFileSync(sample, "utf8").split("\n");
    const attack = lines.find((l) => l.includes("\tMalicious\t") && l.includes("\t23\t"))!;
    // The same flow again at a new time: a new event.
    appendFileSync(sample, `${attack.replace(/^\d+/, "1800000000")}\n`);
    const second = new Sidecar(config, () => undefined);
    await second.start({ once: true });
    await second.shutdown();
    const after = read("out/risk.jsonl");
    const runs = read("out/runs.jsonl");
    assert.equal(runs[1]!.events_pulled, 1);
    assert.equal(after.length, before.length + 1);
    assert.equal(new Set(after.map((e) => e.event_id)).size, after.length);
    assert.equal(after.at(-1)!.orig_line, lines.length);
  });

  it("appends every event again when the checkpoints are deleted, as the README says, with the same ids", async () => {
    const { config, read, dir } = setup();
    const first = new Sidecar(config, () => undefined);
    await first.start({ once: true });
    await first.shutdown();
    const before = read("out/risk.jsonl");
    rmSync(join(dir, "var/checkpoints"), { recursive: true });
    const again = new Sidecar(config, () => undefined);
    await again.start({ once: true });
    await again.shutdown();
    const after = read("out/risk.jsonl");
    assert.equal(after.length, 2 * before.length);
    assert.deepEqual(after.slice(before.length).map((e) => e.event_id), before.map((e) => e.event_id));
  });

  it("keeps serving and reports not ready when the model does not match the input", async () => {
    const { config, dir } = setup();
    const csv = join(dir, "kdd.txt");
    writeFileSync(csv, readFileSync("test/fixtures/sources/file/KDDTrain+.head.txt"));
    assert.ok(config.source.type === "file");
    config.source.file.paths = [csv];
    const s = new Sidecar(config, () => undefined);
    await s.start({ once: true });
    assert.match(s.notReadyReason() ?? "", /lacks fields that model zeek-conn@v\d+ reads/);
    await s.shutdown();
  });
});

describe("soc-assistant run", () => {
  it("stays up on its schedule and exits 0 on SIGTERM after a clean shutdown", async () => {
    const { dir, sample } = setup();
    const cfg = join(dir, "config.yaml");
    writeFileSync(
      cfg,
      [
        "source: {type: file, file: {paths: [" + JSON.stringify(sample) + "]}}",
        `sink: {type: file, file: {path: ${JSON.stringify(join(dir, "o/r.jsonl"))}, runs_path: ${JSON.stringify(join(dir, "o/runs.jsonl"))}}}`,
        `model: {registry_dir: ${JSON.stringify(resolve("models"))}, workers: 1}`,
        `state_dir: ${JSON.stringify(join(dir, "var"))}`,
        "api: {port: 0}",
      ].join("\n"),
    );
    const p = spawn(process.execPath, ["bin/soc-assistant.mjs", "run", "--config", cfg], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!/No new events since the checkpoint/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /Scored 3400 events/);
    assert.equal(p.exitCode, null, "still running after the first run");
    p.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => p.once("exit", (c) => r(c)));
    assert.equal(code, 0, err);
    assert.match(err, /Shutdown complete/);
  });
});
