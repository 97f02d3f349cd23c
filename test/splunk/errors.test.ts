import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { splunkErrorKind, SplunkError, toSplunkError, withRetry, type SplunkErrorKind } from "../../sidecar/splunk/errors.ts";

const ctx = { url: "https://splunk.example.com:8089", caFile: "/etc/soc/ca.pem", action: "create the search job" };
const reply = (status: number, text?: string, headers: Record<string, string> = {}) => ({
  status,
  data: text === undefined ? {} : { messages: [{ type: "ERROR", text }] },
  error: null,
  response: { headers, statusCode: status },
});

describe("Splunk error classification", () => {
  const table: [status: number | "abort", kind: SplunkErrorKind, why: string][] = [
    [400, "permanent", "bad SPL or arguments"],
    [401, "auth", "session or token refused"],
    [403, "permanent", "a capability is missing"],
    [404, "permanent", "unknown endpoint or sid"],
    [408, "retryable", "request timeout (a proxy's)"],
    [409, "permanent", "conflict"],
    [429, "retryable", "rate limited"],
    [500, "permanent", "splunkd's internal error for this request"],
    [502, "retryable", "bad gateway"],
    [503, "retryable", "too many concurrent searches, or busy"],
    [504, "retryable", "gateway timeout"],
    [600, "retryable", "the SDK's code for a network error"],
    ["abort", "retryable", "the SDK's per-call timeout"],
  ];
  for (const [status, kind, why] of table) {
    it(`classifies ${status} as ${kind} (${why})`, () => {
      assert.equal(splunkErrorKind(status), kind);
    });
  }

  it("surfaces Splunk's own message text with the status and the action", () => {
    const text = "Search not executed: The maximum number of concurrent historical searches on this instance has been reached.";
    const e = toSplunkError(reply(503, text), ctx);
    assert.equal(e.kind, "retryable");
    assert.equal(e.status, 503);
    assert.equal(e.splunkMessage, text);
    assert.equal(e.message, `Splunk at https://splunk.example.com:8089 answered 503 to create the search job: ${text}`);
  });

  it("reads messages from a reply the SDK left as a JSON string, and from [err, entity] rejections", () => {
    const asString = { ...reply(400), data: JSON.stringify({ messages: [{ type: "FATAL", text: "Unknown search command 'nosuch'." }] }) };
    assert.equal(toSplunkError(asString, ctx).splunkMessage, "Unknown search command 'nosuch'.");
    const pair = [reply(404, "Unknown sid."), { name: "job" }];
    const e = toSplunkError(pair, ctx);
    assert.equal(e.status, 404);
    assert.equal(e.kind, "permanent");
    assert.equal(e.splunkMessage, "Unknown sid.");
  });

  it("classifies a network failure (status 600) as retryable with Node's code", () => {
    const err = Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:8089"), { code: "ECONNREFUSED" });
    const e = toSplunkError({ status: 600, data: null, error: err, response: { headers: {}, statusCode: 600 } }, ctx);
    assert.equal(e.kind, "retryable");
    assert.equal(e.code, "ECONNREFUSED");
    assert.match(e.message, /could not be reached to create the search job: ECONNREFUSED/);
  });

  it("classifies a refused certificate as permanent with the fix in the message", () => {
    const err = Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    const e = toSplunkError({ status: 600, data: null, error: err, response: { headers: {}, statusCode: 600 } }, ctx);
    assert.equal(e.kind, "permanent");
    assert.equal(e.tls, true);
    assert.equal(
      e.message,
      "Splunk at https://splunk.example.com:8089 presented a certificate not signed by the configured CA (/etc/soc/ca.pem): self-signed certificate; set splunk.ca_file to the CA that signs it",
    );
  });

  it("reads Retry-After from a 503, in seconds or as an HTTP date", () => {
    assert.equal(toSplunkError(reply(503, "busy", { "retry-after": "7" }), ctx).retryAfterMs, 7000);
    const at = new Date(Date.now() + 60_000).toUTCString();
    const ms = toSplunkError(reply(429, "slow down", { "retry-after": at }), ctx).retryAfterMs ?? -1;
    assert.ok(ms > 55_000 && ms <= 60_000, `${ms} ms`);
  });

  it("turns the SDK's string rejections into permanent errors", () => {
    const e = toSplunkError("No session key available", { ...ctx, action: "log in" });
    assert.equal(e.kind, "permanent");
    assert.match(e.message, /could not log in: No session key available/);
  });
});

describe("withRetry", () => {
  const noSleep = { sleep: () => Promise.resolve(), random: () => 0.5 };

  it("retries retryable errors until the call succeeds", async () => {
    let calls = 0;
    const delays: number[] = [];
    const v = await withRetry(
      "splunkd.dispatch",
      () => {
        calls++;
        if (calls < 3) return Promise.reject(new SplunkError("busy", "retryable", 503));
        return Promise.resolve("ok");
      },
      { ...noSleep, baseMs: 100, onRetry: (_e, _n, d) => delays.push(d) },
    );
    assert.equal(v, "ok");
    assert.equal(calls, 3);
    assert.deepEqual(delays, [50, 100]);
  });

  it("does not retry auth or permanent errors", async () => {
    for (const kind of ["auth", "permanent"] as const) {
      let calls = 0;
      await assert.rejects(
        withRetry("splunkd.dispatch", () => {
          calls++;
          return Promise.reject(new SplunkError("no", kind, kind === "auth" ? 401 : 400));
        }, noSleep),
        (e: unknown) => e instanceof SplunkError && e.kind === kind,
      );
      assert.equal(calls, 1);
    }
  });

  it("gives up after the last attempt with the last error", async () => {
    let calls = 0;
    await assert.rejects(
      withRetry("splunkd.results", () => {
        calls++;
        return Promise.reject(new SplunkError(`busy ${calls}`, "retryable", 503));
      }, { ...noSleep, attempts: 4 }),
      /busy 4/,
    );
    assert.equal(calls, 4);
  });

  it("makes the policy's 6 attempts by default, and does not retry a splunkd 500", async () => {
    let calls = 0;
    await assert.rejects(withRetry("splunkd.job_poll", () => Promise.reject(new SplunkError(`busy ${++calls}`, "retryable", 503)), noSleep), /busy 6/);
    calls = 0;
    await assert.rejects(withRetry("splunkd.dispatch", () => Promise.reject(new SplunkError(`oops ${++calls}`, "permanent", 500)), noSleep), /oops 1/);
  });

  it("tries a readiness or cleanup call once", async () => {
    for (const endpoint of ["splunkd.login", "splunkd.job_remove", "splunkd.index"] as const) {
      let calls = 0;
      await assert.rejects(withRetry(endpoint, () => Promise.reject(new SplunkError(`busy ${++calls}`, "retryable", 503)), noSleep), /busy 1/);
    }
  });
});
