import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

function validate(yaml: string, ...flags: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "cfg-validate-"));
  const cfg = join(dir, "config.yaml");
  writeFileSync(cfg, yaml);
  return spawnSync(process.execPath, ["bin/soc-assistant.mjs", "config", "validate", "--config", cfg, ...flags], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, SOC_API_TOKEN: "tok-very-secret" },
  });
}

const SAMPLE = resolve("data/sample/conn.sample.log");

describe("soc-assistant config validate", () => {
  it("prints the effective config with secrets redacted and exits 0", () => {
    const r = validate(`source: {type: file, file: {paths: [${SAMPLE}]}}\napi: {host: 0.0.0.0, token: "\${SOC_API_TOKEN}"}\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /valid; effective configuration/);
    assert.match(r.stdout, /token: "?\[REDACTED\]"?/);
    assert.match(r.stdout, /max_body_bytes: 1048576/);
    assert.doesNotMatch(r.stdout, /tok-very-secret/);
  });

  it("lists every problem by key with the fix and exits 1", () => {
    const r = validate(`source: {type: file, file: {paths: [${SAMPLE}]}}\napi: {host: 0.0.0.0, prot: 1}\n`);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /api\.prot: unknown key/);
    assert.equal(r.stdout, "");
  });

  it("with --check-connections reports a model that cannot load and exits 1", () => {
    const r = validate(`source: {type: file, file: {paths: [${SAMPLE}]}}\nmodel: {registry_dir: ${join(tmpdir(), "no-such-registry")}}\n`, "--check-connections");
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /FAIL model: model zeek-conn has no current version/);
    assert.match(r.stdout, /ok {3}connections: file source and file sink/);
  });

  it("prints its usage on --help and refuses an unknown action with exit 2", () => {
    const help = spawnSync(process.execPath, ["bin/soc-assistant.mjs", "config", "validate", "--help"], { encoding: "utf8" });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--check-connections/);
    const bad = spawnSync(process.execPath, ["bin/soc-assistant.mjs", "config", "check"], { encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /expected validate/);
  });
});
