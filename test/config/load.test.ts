import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { loadConfig, parseConfig, ConfigError } from "../../sidecar/config/load.ts";

function problems(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(raw, "t.yaml", env);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  assert.fail("expected a ConfigError");
}

describe("config", () => {
  it("loads the shipped config.yaml with the documented defaults", () => {
    const c = loadConfig("config.yaml", {});
    assert.equal(c.source.type, "file");
    assert.equal(c.sink.min_risk_score, 21);
    assert.equal(c.model.training.batch_size, 256);
    assert.deepEqual(
      c.model.architecture.hidden.map((h) => [h.units, h.dropout]),
      [[64, 0.2], [32, 0.2]],
    );
    assert.ok(c.source.type === "file" && c.source.file.paths[0]!.endsWith("data/sample/conn.sample.log"));
  });

  it("lists every unknown key by its dotted path", () => {
    const p = problems({ source: { type: "file", file: { paths: ["a"], formt: "csv" } }, sinc: {} });
    assert.ok(p.includes("source.file.formt: unknown key (remove it or check its spelling)"), p.join("|"));
    assert.ok(p.some((x) => x.startsWith("sinc: unknown key")), p.join("|"));
  });

  it("names a bad URL and a missing token together", () => {
    const p = problems({
      source: { type: "splunk" },
      splunk: { url: "splunk:8089", searches: [{ name: "a", query: "index=x" }] },
      sink: { type: "splunk_hec" },
      hec: { url: "https://h:8088" },
    });
    assert.ok(p.some((x) => x.startsWith("splunk.url:")), p.join("|"));
    assert.ok(p.includes("hec.token: required"), p.join("|"));
    assert.ok(p.some((x) => x.startsWith("splunk.token: set either token")), p.join("|"));
  });

  it("expands ${ENV} and reports an unset variable by its key", () => {
    const base = {
      source: { type: "file", file: { paths: ["a"] } },
      sink: { type: "splunk_hec" },
      hec: { url: "https://h:8088", token: "${HEC_TOKEN}" },
    };
    const c = parseConfig(base, "t", { HEC_TOKEN: "abc-123" });
    assert.ok(c.sink.type === "splunk_hec");
    assert.equal(c.sink.hec.token.reveal(), "abc-123");
    assert.ok(problems(base, {}).some((x) => x.startsWith("hec.token: environment variable HEC_TOKEN is not set")));
  });

  it("never prints a secret", () => {
    const c = parseConfig(
      { source: { file: { paths: ["a"] } }, sink: { type: "splunk_hec" }, hec: { url: "https://h:8088", token: "s3cret" } },
      "t",
      {},
    );
    assert.ok(!JSON.stringify(c).includes("s3cret"));
    assert.ok(!inspect(c, { depth: 10 }).includes("s3cret"));
    assert.ok(c.sink.type === "splunk_hec");
    assert.ok(!String(c.sink.hec.token).includes("s3cret"));
  });

  it("defaults splunk.incomplete_result_patterns and max_window_failures, and names a pattern that is not a regular expression", () => {
    const base = { source: { type: "splunk" }, splunk: { url: "https://s:8089", token: "t", searches: [{ name: "a", query: "index=x" }] } };
    const c = parseConfig(base, "t", {});
    assert.ok(c.source.type === "splunk");
    assert.equal(c.source.splunk.max_window_failures, 5);
    const res = c.source.splunk.incomplete_result_patterns.map((x) => new RegExp(x, "i"));
    for (const text of [
      "Unable to distribute to peer named idx2 at uri=10.0.0.2:8089 because peer has status=Down.",
      "Search peer idx3 is unreachable",
      "The search job has been finalized",
      "Search results may be incomplete",
      "Results were truncated",
    ]) assert.ok(res.some((re) => re.test(text)), text);
    assert.ok(!res.some((re) => re.test("Field 'src_ip' does not exist in the data.")));
    const p = problems({ ...base, splunk: { ...base.splunk, incomplete_result_patterns: ["ok", "(unclosed"], max_window_failures: 0 } });
    assert.ok(p.some((x) => x.startsWith("splunk.incomplete_result_patterns.1: not a valid regular expression")), p.join("|"));
    assert.ok(p.some((x) => x.startsWith("splunk.max_window_failures:")), p.join("|"));
  });
});
