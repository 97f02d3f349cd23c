import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { ConfigError, loadConfig } from "../../sidecar/config/load.ts";

const FIXTURES = "test/fixtures/config";

function problemsOf(file: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(`${FIXTURES}/${file}`, env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  return assert.fail(`${file} loaded without a problem`);
}

describe("config files", () => {
  it("a Splunk source with a HEC sink carries its connection to both the source and index creation", () => {
    const c = loadConfig(`${FIXTURES}/splunk-hec.yaml`, { SPLUNK_TOKEN: "t", SPLUNK_HEC_TOKEN: "h" });
    assert.ok(c.source.type === "splunk" && c.sink.type === "splunk_hec");
    assert.equal(c.source.splunk.searches[0]!.name, "zeek_conn");
    assert.equal(c.sink.hec.token.reveal(), "h");
    assert.equal(c.sink.index_admin, c.source.splunk, "one Splunk connection serves both");
  });

  it("names both unset secrets by key", () => {
    const p = problemsOf("splunk-hec.yaml");
    assert.ok(p.some((x) => x.startsWith("splunk.token: environment variable SPLUNK_TOKEN is not set")), p.join("|"));
    assert.ok(p.some((x) => x.startsWith("hec.token: environment variable SPLUNK_HEC_TOKEN is not set")), p.join("|"));
  });

  it("refuses hec.create_index without the splunk section, saying why it is needed", () => {
    assert.deepEqual(problemsOf("hec-create-index-without-splunk.yaml"), [
      "splunk: required when hec.create_index is true (the index is created through Splunk's REST API)",
    ]);
  });

  it("lists every mistake of a file at once", () => {
    const p = problemsOf("mistakes.yaml");
    assert.ok(p.includes("schedul: unknown key (remove it or check its spelling)"), p.join("|"));
    assert.ok(p.some((x) => x === "splunk.url: must start with http:// or https://"), p.join("|"));
    assert.ok(p.some((x) => x.startsWith("splunk.token: set either token")), p.join("|"));
    assert.ok(p.includes("hec: required when sink.type is splunk_hec"), `a rule across sections is listed with the field problems: ${p.join("|")}`);
  });

  it("resolves relative paths against the file's directory", () => {
    const c = loadConfig(`${FIXTURES}/hec-create-index-without-splunk.yaml`.replace("hec-create-index-without-splunk", "splunk-hec"), { SPLUNK_TOKEN: "t", SPLUNK_HEC_TOKEN: "h" });
    assert.equal(c.state_dir, resolve(FIXTURES, "var"));
  });
});
