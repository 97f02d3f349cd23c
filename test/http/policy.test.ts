// The per-endpoint retry policies: where they differ, and that each difference is what the table says.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { classifyReply } from "../../sidecar/http/failure.ts";
import { ENDPOINT_POLICIES, policyFor, type Endpoint } from "../../sidecar/http/policy.ts";

describe("endpoint retry policies", () => {
  type Row = [endpoint: Endpoint, attempts: number, deadline: "configured" | "none", jitter: boolean, retry500: boolean];
  const table: Row[] = [
    ["hec.event", Infinity, "configured", true, true],
    ["hec.ack", Infinity, "configured", false, true],
    ["hec.health", 1, "none", false, false],
    ["hec.token_check", 1, "none", false, false],
    ["splunkd.login", 1, "none", false, false],
    ["splunkd.dispatch", 6, "none", true, false],
    ["splunkd.job_poll", 6, "none", true, false],
    ["splunkd.results", 6, "none", true, false],
    ["splunkd.job_remove", 1, "none", false, false],
    ["splunkd.index", 1, "none", false, false],
  ];
  for (const [endpoint, attempts, deadline, jitter, retry500] of table) {
    it(`${endpoint}: ${attempts === 1 ? "one attempt" : `${attempts} attempts`}, ${deadline} deadline, ${jitter ? "jitter" : "no jitter"}, 500 ${retry500 ? "retried" : "final"}`, () => {
      const p = ENDPOINT_POLICIES[endpoint];
      assert.equal(p.attempts, attempts);
      assert.equal(Number.isFinite(p.deadlineMs), deadline === "configured");
      assert.equal(p.jitter, jitter);
      assert.equal(p.retry500, retry500);
      assert.equal(classifyReply({ status: 500 }, p)?.kind, retry500 ? "retryable" : "permanent");
      assert.equal(classifyReply({ status: 503 }, p)?.kind, "retryable", "503 is retryable everywhere; the attempts decide");
    });
  }

  it("lists every endpoint the table test covers", () => {
    assert.deepEqual(Object.keys(ENDPOINT_POLICIES).sort(), table.map((r) => r[0]).sort());
  });

  it("takes overrides (a configured deadline, test timings) and ignores undefined ones", () => {
    const p = policyFor("hec.event", { deadlineMs: 800, baseMs: undefined });
    assert.equal(p.deadlineMs, 800);
    assert.equal(p.baseMs, 200);
    assert.equal(p.maxMs, 10_000);
  });
});
