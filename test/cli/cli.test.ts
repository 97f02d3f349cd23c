/**
 * The `soc-assistant` command as a user runs it: a real process, real files, the bundled sample.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SAMPLE = "data/sample/conn.sample.log";
const FIX = "test/fixtures/sources/file";

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/soc-assistant.mjs", ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe("soc-assistant CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "cli-"));
  const models = join(dir, "models");
  let version = "";

  before(() => {
    // The sample's own attack share as the base rate: these tests are about the commands, not about how a
    // site's much lower base rate lowers every score (ADR 0018).
    const r = cli("train", "--data", SAMPLE, "--model", "t", "--models-dir", models, "--epochs", "3", "--base-rate", "0.5");
    assert.equal(r.code, 0, r.stderr);
    version = r.stdout.trim();
  });

  it("train prints the new version and makes the first one current", () => {
    assert.equal(version, "v0001");
    const list = cli("models", "list", "--models-dir", models, "--json");
    const entries = JSON.parse(list.stdout) as { version: string; current: boolean }[];
    assert.deepEqual(entries.map((e) => [e.version, e.current]), [["v0001", true]]);
  });

  it("evaluate --json prints one object with the metrics", () => {
    const r = cli("evaluate", "--model", "t@v0001", "--models-dir", models, "--data", SAMPLE, "--json");
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

  it("score writes only events at or above the write threshold, with the contract's fields", () => {
    const out = join(dir, "risk.jsonl");
    const r = cli("score", "--model", "t", "--models-dir", models, "--input", SAMPLE, "--output", out, "--min-risk-score", "50");
    assert.equal(r.code, 0, r.stderr);
    const events = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(events.length > 100);
    assert.ok(events.every((e) => (e.risk_score as number) >= 50));
    assert.equal(new Set(events.map((e) => e.event_id)).size, events.length, "event_id unique");
    assert.match(r.stderr, new RegExp(`scored 3400 events .* wrote ${events.length} at risk_score >= 50`));
  });

  it("promote and rollback move the current pointer", () => {
    assert.equal(cli("train", "--data", SAMPLE, "--model", "t", "--models-dir", models, "--epochs", "1").stdout.trim(), "v0002");
    assert.match(cli("models", "promote", "t@v0002", "--models-dir", models).stdout, /current is now v0002 \(was v0001\)/);
    assert.match(cli("models", "rollback", "t", "--models-dir", models).stdout, /rolled back to v0001 \(was v0002\)/);
  });

  it("refuses a model whose features the input lacks, naming them", () => {
    const r = cli("score", "--model", "t", "--models-dir", models, "--input", `${FIX}/KDDTrain+.head.txt`, "--output", join(dir, "x.jsonl"));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /lacks fields that model t@v0001 reads: .*conn_state/);
    assert.equal(r.stderr.trim().split("\n").filter((l) => l.startsWith("soc-assistant:")).length, 1);
  });

  it("says which column to name when the training data has no label column", () => {
    const csv = join(dir, "nolabel.csv");
    writeFileSync(csv, "duration,bytes_in,bytes_out,verdict\n1,2,3,attack\n4,5,6,normal\n");
    const r = cli("train", "--data", csv, "--model", "x", "--models-dir", models);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no row carries a label.*--label-column/);
    const ok = cli("train", "--data", csv, "--model", "x", "--models-dir", models, "--label-column", "verdict");
    assert.doesNotMatch(ok.stderr, /no row carries a label/);
  });

  it("rejects an unknown format with the valid ones listed", () => {
    const r = cli("score", "--model", "t", "--models-dir", models, "--input", SAMPLE, "--output", join(dir, "y.jsonl"), "--format", "parquet");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /parquet.*zeek.*csv.*jsonl.*nsl-kdd/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  });

  it("answers a wrong flag, a missing file and an unknown model with one line and a non-zero exit", () => {
    const flag = cli("train", "--bogus");
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /train: Unknown option '--bogus'/);
    const missing = cli("evaluate", "--model", "t", "--models-dir", models, "--data", join(dir, "nope.log"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.log/);
    const unknown = cli("score", "--model", "ghost", "--models-dir", models, "--input", SAMPLE, "--output", join(dir, "z.jsonl"));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /ghost/);
    for (const r of [flag, missing, unknown]) assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
