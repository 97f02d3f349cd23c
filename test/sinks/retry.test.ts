// The retry helper: one classification table (one row per status or error), Retry-After parsing, and
// withRetry's backoff, deadline and Retry-After on a fake clock.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { HttpTimeoutError } from "../../sidecar/sinks/http.ts";
import { classify, parseRetryAfter, truncate, withRetry, type HttpOutcome } from "../../sidecar/sinks/retry.ts";
import type { SinkResult } from "../../sidecar/sinks/sink.ts";

const err = (code: string | undefined, message: string): Error => Object.assign(new Error(message), code === undefined ? {} : { code });
const NOW = Date.parse("2026-11-25T12:00:00Z");

describe("classify", () => {
  type Row = [name: string, outcome: HttpOutcome, kind: SinkResult["kind"], extra?: { retryAfterMs?: number; reason?: RegExp }];
  const table: Row[] = [
    ["200", { status: 200 }, "success"],
    ["204", { status: 204 }, "success"],
    ["301 (a redirect means a wrong URL)", { status: 301 }, "failure"],
    ["400 with a body", { status: 400, body: '{"text":"Invalid data format","code":6}' }, "failure", { reason: /^HTTP 400: \{"text":"Invalid data format","code":6\}$/ }],
    ["401", { status: 401, body: '{"text":"Token is required","code":2}' }, "failure"],
    ["403", { status: 403, body: '{"text":"Invalid token","code":4}' }, "failure"],
    ["404", { status: 404 }, "failure", { reason: /^HTTP 404$/ }],
    ["408 request timeout", { status: 408 }, "retryable"],
    ["413 too large", { status: 413 }, "failure"],
    ["429", { status: 429 }, "retryable"],
    ["429 with Retry-After seconds", { status: 429, retryAfter: "7" }, "retryable", { retryAfterMs: 7000 }],
    ["500", { status: 500, body: '{"text":"Internal server error","code":8}' }, "retryable"],
    ["501 not implemented", { status: 501 }, "failure"],
    ["502", { status: 502 }, "retryable"],
    ["503", { status: 503, body: '{"text":"Server is busy","code":9}' }, "retryable", { reason: /Server is busy/ }],
    ["503 with Retry-After date", { status: 503, retryAfter: "Wed, 25 Nov 2026 12:00:30 GMT" }, "retryable", { retryAfterMs: 30_000 }],
    ["504", { status: 504 }, "retryable"],
    ["505", { status: 505 }, "failure"],
    ["our request timeout", { error: new HttpTimeoutError(500) }, "retryable", { reason: /^ETIMEDOUT: no complete reply within 500 ms$/ }],
    ["ETIMEDOUT", { error: err("ETIMEDOUT", "connect ETIMEDOUT 10.0.0.1:8088") }, "retryable"],
    ["ECONNRESET", { error: err("ECONNRESET", "read ECONNRESET") }, "retryable"],
    ["ECONNREFUSED", { error: err("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:8088") }, "retryable"],
    ["EPIPE", { error: err("EPIPE", "write EPIPE") }, "retryable"],
    ["socket hang up without a code", { error: err(undefined, "socket hang up") }, "retryable"],
    ["EAI_AGAIN (DNS busy)", { error: err("EAI_AGAIN", "getaddrinfo EAI_AGAIN splunk") }, "retryable"],
    ["EHOSTUNREACH", { error: err("EHOSTUNREACH", "connect EHOSTUNREACH") }, "retryable"],
    ["self-signed certificate", { error: err("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate") }, "failure", { reason: /TLS certificate was refused \(DEPTH_ZERO_SELF_SIGNED_CERT/ }],
    ["unknown CA", { error: err("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate") }, "failure"],
    ["host name mismatch", { error: err("ERR_TLS_CERT_ALTNAME_INVALID", "Hostname/IP does not match") }, "failure"],
    ["expired certificate", { error: err("CERT_HAS_EXPIRED", "certificate has expired") }, "failure"],
    ["a programming error", { error: new TypeError("x is not a function") }, "failure"],
  ];
  for (const [name, outcome, kind, extra] of table) {
    it(`${kind}: ${name}`, () => {
      const r = classify(outcome, NOW);
      assert.equal(r.kind, kind);
      if (r.kind === "retryable") assert.equal(r.retryAfterMs, extra?.retryAfterMs);
      if (extra?.reason) assert.match(r.kind === "success" ? "" : r.reason, extra.reason);
    });
  }

  it("quotes at most 256 characters of a long reply body, on one line", () => {
    const r = classify({ status: 400, body: `{"text":"${"x".repeat(1000)}"}\n` });
    assert.equal(r.kind, "failure");
    assert.ok(r.kind === "failure" && r.reason.length < 300, "reason is short");
    assert.match(r.kind === "failure" ? r.reason : "", /… \(1011 chars\)$/);
    assert.equal(truncate("a\n  b"), "a b");
  });
});

describe("parseRetryAfter", () => {
  const rows: [string | string[] | undefined, number | undefined][] = [
    ["0", 0],
    ["120", 120_000],
    [["3", "9"], 3000],
    ["Wed, 25 Nov 2026 12:01:00 GMT", 60_000],
    ["Wed, 25 Nov 2026 11:00:00 GMT", 0],
    ["soon", undefined],
    ["-5", undefined],
    [undefined, undefined],
    ["", undefined],
  ];
  for (const [value, ms] of rows) {
    it(`reads ${JSON.stringify(value)} as ${ms} ms`, () => assert.equal(parseRetryAfter(value, NOW), ms));
  }
});

/** A fake clock whose sleeps advance it. */
function clock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: (ms: number) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
    sleeps,
    advance: (ms: number) => void (t += ms),
  };
}

const busy: SinkResult = { kind: "retryable", reason: "HTTP 503" };

describe("withRetry", () => {
  it("backs off exponentially up to maxMs, without jitter", async () => {
    const c = clock();
    let calls = 0;
    const r = await withRetry(() => Promise.resolve(++calls < 7 ? busy : { kind: "success" }), { deadlineMs: 60_000, baseMs: 100, maxMs: 1000, jitter: false, now: c.now, sleep: c.sleep });
    assert.deepEqual(r, { kind: "success" });
    assert.equal(calls, 7);
    assert.deepEqual(c.sleeps, [100, 200, 400, 800, 1000, 1000]);
  });

  it("draws full jitter in [0, ceiling)", async () => {
    const c = clock();
    const draws = [0, 0.5, 0.999];
    let calls = 0;
    await withRetry(() => Promise.resolve(++calls < 4 ? busy : { kind: "success" }), { deadlineMs: 60_000, baseMs: 100, maxMs: 10_000, jitter: true, random: () => draws.shift()!, now: c.now, sleep: c.sleep });
    assert.deepEqual(c.sleeps, [0, 100, 399]);
  });

  it("returns the last retryable result once the deadline passes, never sleeping past it", async () => {
    const c = clock();
    let calls = 0;
    const r = await withRetry(() => Promise.resolve({ kind: "retryable", reason: `busy #${++calls}` }), { deadlineMs: 1000, baseMs: 100, maxMs: 10_000, jitter: false, now: c.now, sleep: c.sleep });
    assert.deepEqual(r, { kind: "retryable", reason: "busy #4" });
    assert.deepEqual(c.sleeps, [100, 200, 400]);
    assert.ok(c.now() < 1000);
  });

  it("counts slow attempts against the deadline and tells each attempt the time left", async () => {
    const c = clock();
    const left: number[] = [];
    const r = await withRetry(
      (ctx) => {
        left.push(ctx.remainingMs);
        c.advance(400);
        return Promise.resolve(busy);
      },
      { deadlineMs: 1000, baseMs: 100, jitter: false, now: c.now, sleep: c.sleep },
    );
    assert.equal(r.kind, "retryable");
    assert.deepEqual(left, [1000, 500]);
  });

  it("waits at least Retry-After, and gives up at once when Retry-After ends past the deadline", async () => {
    const c = clock();
    let calls = 0;
    const r = await withRetry(() => Promise.resolve(++calls === 1 ? { ...busy, retryAfterMs: 2000 } : { kind: "success" }), { deadlineMs: 10_000, baseMs: 100, jitter: false, now: c.now, sleep: c.sleep });
    assert.equal(r.kind, "success");
    assert.deepEqual(c.sleeps, [2000]);

    const c2 = clock();
    calls = 0;
    const r2 = await withRetry(() => Promise.resolve({ ...busy, retryAfterMs: 60_000 }), { deadlineMs: 10_000, now: c2.now, sleep: c2.sleep, onRetry: () => calls++ });
    assert.deepEqual(r2, { ...busy, retryAfterMs: 60_000 });
    assert.deepEqual(c2.sleeps, []);
    assert.equal(calls, 0);
  });

  it("stops at the first permanent failure", async () => {
    const c = clock();
    let calls = 0;
    const r = await withRetry(() => Promise.resolve(++calls === 1 ? busy : { kind: "failure", reason: "HTTP 403" }), { deadlineMs: 60_000, jitter: false, now: c.now, sleep: c.sleep });
    assert.deepEqual(r, { kind: "failure", reason: "HTTP 403" });
    assert.equal(calls, 2);
  });

  it("makes exactly one attempt with a zero deadline", async () => {
    let calls = 0;
    const r = await withRetry(() => Promise.resolve((calls++, busy)), { deadlineMs: 0 });
    assert.equal(r.kind, "retryable");
    assert.equal(calls, 1);
  });

  it("reports each retry, and an abort cuts a sleep short and stops retrying", async () => {
    const ac = new AbortController();
    const seen: [number, number][] = [];
    let calls = 0;
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 30);
    const r = await withRetry(() => Promise.resolve((calls++, busy)), { deadlineMs: 60_000, baseMs: 5000, jitter: false, signal: ac.signal, onRetry: (_r, attempt, delay) => seen.push([attempt, delay]) });
    assert.deepEqual(r, busy);
    assert.ok(Date.now() - t0 < 2000, "returned soon after the abort, not after the 5 s sleep");
    assert.deepEqual(seen, [[0, 5000]]);
    assert.equal(calls, 1);
  });
});
