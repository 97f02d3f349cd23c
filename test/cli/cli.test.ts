/**
 * The `soc-assistant` command as a user runs it: real files, the bundled sample. The commands run in-process
 * through `main(argv)` (same parsing, output and exit codes); `score`, a scoring command for which the bin
 * sets a V8 flag, runs as a real process, as a user starts it.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, cliProcess } from "../helpers/cli.ts";

const SAMPLE = "data/sample/conn.sample.log";
const FIX = "test/fixtures/sources/file";

describe("soc-assistant CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "cli-"));
  const models = join(dir, "models");
  let version = "";

  before(async () => {
    // The sample's own attack share as the base rate: these tests are about the commands, not about how a
    // site's much lower base rate lowers every score (ADR 0018).
    const r = await cli("train", "--data", SAMPLE, "--model", "t", "--models-dir", models, "--epochs", "3", "--base-rate", "0.5");
    assert.equal(r.code, 0, r.stderr);
    version = r.stdout.trim();
  });

  it("train prints the new version and makes the first one current", async () => {
    assert.equal(version, "v0001");
    const list = await cli("models", "list", "--models-dir", models, "--json");
    const entries = JSON.parse(list.stdout) as { version: string; current: boolean }[];
    assert.deepEqual(entries.map((e) => [e.version, e.current]), [["v0001", true]]);
  });

  it("evaluate --json prints one object with the metrics", async () => {
    const r = await cli("evaluate", "--model", "t@v0001", "--models-dir", models, "--data", SAMPLE, "--json");
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout) as Record<string, number>;
    for (const k of ["rows", "accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "threshold"]) assert.equal(typeof m[k], "number", k);
    assert.equal(m.rows, 3241, "labeled rows of the sample (Background left out)");
    assert.ok(m.accuracy! > 0.8, `accuracy ${m.accuracy}`);
    const op = (JSON.parse(r.stdout) as { operating_point: { goal: { goal: string }; base_rate: number; validation: { used: string; note?: string } } }).operating_point;
    assert.equal(op.goal.goal, "balanced_accuracy", "the default goal");
    assert.equal(op.base_rate, 0.5, "the base rate train was given");
    assert.equal(op.validation.used, "none", "the default: a random stratified validation split");
  });

  it("score writes only events at or above the write threshold, with the contract's fields", async () => {
    const out = join(dir, "risk.jsonl");
    const r = cliProcess(["score", "--model", "t", "--models-dir", models, "--input", SAMPLE, "--output", out, "--min-risk-score", "50"]);
    assert.equal(r.code, 0, r.stderr);
    const events = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(events.length > 100);
    assert.ok(events.every((e) => (e.risk_score as number) >= 50));
    assert.equal(new Set(events.map((e) => e.event_id)).size, events.length, "event_id unique");
    assert.match(r.stderr, new RegExp(`scored 3400 events .* wrote ${events.length} at risk_score >= 50`));
  });

  it("promote and rollback move the current pointer", async () => {
    assert.equal((await cli("train", "--data", SAMPLE, "--model", "t", "--models-dir", models, "--epochs", "1")).stdout.trim(), "v0002");
    assert.match((await cli("models", "promote", "t@v0002", "--models-dir", models)).stdout, /current is now v0002 \(was v0001\)/);
    assert.match((await cli("models", "rollback", "t", "--models-dir", models)).stdout, /rolled back to v0001 \(was v0002\)/);
  });

  it("refuses a model whose features the input lacks, naming them", async () => {
    const r = await cli("score", "--model", "t", "--models-dir", models, "--input", `${FIX}/KDDTrain+.head.txt`, "--output", join(dir, "x.jsonl"));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /lacks fields that model t@v0001 reads: .*conn_state/);
    assert.equal(r.stderr.trim().split("\n").filter((l) => l.startsWith("soc-assistant:")).length, 1);
  });

  it("says which column to name when the training data has no label column", async () => {
    const csv = join(dir, "nolabel.csv");
    // Enough rows for a validation split, so naming the column trains a model.
    const rows = Array.from({ length: 40 }, (_, i) => `${i % 7},${i * 10},${i * 3},${i % 2 === 0 ? "attack" : "normal"}`);
    writeFileSync(csv, `duration,bytes_in,bytes_out,verdict\n${rows.join("\n")}\n`);
    const r = await cli("train", "--data", csv, "--model", "x", "--models-dir", models);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no row carries a label.*--label-column/);
    const ok = await cli("train", "--data", csv, "--model", "x", "--models-dir", models, "--label-column", "verdict", "--epochs", "2");
    assert.doesNotMatch(ok.stderr, /no row carries a label/);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), "v0001");
  });

  it("rejects an unknown format with the valid ones listed", async () => {
    const r = await cli("score", "--model", "t", "--models-dir", models, "--input", SAMPLE, "--output", join(dir, "y.jsonl"), "--format", "parquet");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /parquet.*zeek.*csv.*jsonl.*nsl-kdd/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  });

  it("answers a wrong flag, a missing file and an unknown model with one line and a non-zero exit", async () => {
    const flag = await cli("train", "--bogus");
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /train: Unknown option '--bogus'/);
    const missing = await cli("evaluate", "--model", "t", "--models-dir", models, "--data", join(dir, "nope.log"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.log/);
    const unknown = await cli("score", "--model", "ghost", "--models-dir", models, "--input", SAMPLE, "--output", join(dir, "z.jsonl"));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /ghost/);
    for (const r of [flag, missing, unknown]) assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
