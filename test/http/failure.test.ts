// The one classification of HTTP failures: one row per status or error, Retry-After in both forms, and the
// TLS table with the fix each code gets.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { classifyError, classifyReply, parseRetryAfter, TLS_ERRORS, tlsMessage, truncate, type FailureKind } from "../../sidecar/http/failure.ts";
import { HttpTimeoutError } from "../../sidecar/http/transport.ts";

const err = (code: string | undefined, message: string): Error => Object.assign(new Error(message), code === undefined ? {} : { code });
const NOW = Date.parse("2026-11-25T12:00:00Z");

describe("classifyReply", () => {
  type Row = [name: string, reply: { status: number; body?: string; retryAfter?: string }, kind: FailureKind | "ok", extra?: { retry500?: boolean; retryAfterMs?: number; reason?: RegExp }];
  const table: Row[] = [
    ["200", { status: 200 }, "ok"],
    ["204", { status: 204 }, "ok"],
    ["301 (a redirect means a wrong URL)", { status: 301 }, "permanent"],
    ["400 with a body", { status: 400, body: '{"text":"Invalid data format","code":6}' }, "permanent", { reason: /^HTTP 400: \{"text":"Invalid data format","code":6\}$/ }],
    ["401", { status: 401, body: '{"text":"Token is required","code":2}' }, "permanent"],
    ["403", { status: 403, body: '{"text":"Invalid token","code":4}' }, "permanent"],
    ["404", { status: 404 }, "permanent", { reason: /^HTTP 404$/ }],
    ["408 request timeout", { status: 408 }, "retryable"],
    ["413 too large", { status: 413 }, "permanent"],
    ["429", { status: 429 }, "retryable"],
    ["429 with Retry-After seconds", { status: 429, retryAfter: "7" }, "retryable", { retryAfterMs: 7000 }],
    ["429 with Retry-After as an HTTP date", { status: 429, retryAfter: "Wed, 25 Nov 2026 12:00:30 GMT" }, "retryable", { retryAfterMs: 30_000 }],
    ["500 where the policy does not retry it (splunkd)", { status: 500, body: "Internal error" }, "permanent", { retry500: false }],
    ["500 where the policy retries it (HEC)", { status: 500, body: '{"text":"Internal server error","code":8}' }, "retryable", { retry500: true }],
    ["501 not implemented", { status: 501 }, "permanent", { retry500: true }],
    ["502", { status: 502 }, "retryable"],
    ["503", { status: 503, body: '{"text":"Server is busy","code":9}' }, "retryable", { reason: /Server is busy/ }],
    ["503 with Retry-After date", { status: 503, retryAfter: "Wed, 25 Nov 2026 12:00:30 GMT" }, "retryable", { retryAfterMs: 30_000 }],
    ["504", { status: 504 }, "retryable"],
    ["505", { status: 505 }, "permanent"],
    ["507 (other 5xx)", { status: 507 }, "permanent"],
    ["a 400 ignores Retry-After", { status: 400, retryAfter: "7" }, "permanent"],
  ];
  for (const [name, reply, kind, extra] of table) {
    it(`${kind}: ${name}`, () => {
      const f = classifyReply(reply, { retry500: extra?.retry500, nowMs: NOW });
      assert.equal(f?.kind ?? "ok", kind);
      if (f) {
        assert.equal(f.status, reply.status);
        assert.equal(f.retryAfterMs, extra?.retryAfterMs);
        if (extra?.reason) assert.match(f.reason, extra.reason);
      }
    });
  }

  it("quotes at most 256 characters of a long reply body, on one line", () => {
    const f = classifyReply({ status: 400, body: `{"text":"${"x".repeat(1000)}"}\n` });
    assert.ok(f && f.reason.length < 300, "reason is short");
    assert.match(f?.reason ?? "", /… \(1011 chars\)$/);
    assert.equal(truncate("a\n  b"), "a b");
  });
});

describe("classifyError", () => {
  type Row = [name: string, error: unknown, kind: FailureKind, reason?: RegExp];
  const table: Row[] = [
    ["our whole-request timeout", new HttpTimeoutError(500), "timeout", /^ETIMEDOUT: no complete reply within 500 ms$/],
    ["our idle timeout", new HttpTimeoutError(500, "idle"), "timeout", /^ETIMEDOUT: no data for 500 ms$/],
    ["ETIMEDOUT", err("ETIMEDOUT", "connect ETIMEDOUT 10.0.0.1:8088"), "timeout"],
    ["ECONNRESET", err("ECONNRESET", "read ECONNRESET"), "retryable", /^ECONNRESET: read ECONNRESET$/],
    ["ECONNREFUSED", err("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:8088"), "retryable"],
    ["EPIPE", err("EPIPE", "write EPIPE"), "retryable"],
    ["socket hang up without a code", err(undefined, "socket hang up"), "retryable"],
    ["EAI_AGAIN (DNS busy)", err("EAI_AGAIN", "getaddrinfo EAI_AGAIN splunk"), "retryable"],
    ["EHOSTUNREACH", err("EHOSTUNREACH", "connect EHOSTUNREACH"), "retryable"],
    ["a programming error", new TypeError("x is not a function"), "permanent", /^error: x is not a function$/],
    ["an unknown code", err("ERR_SOMETHING", "odd"), "permanent", /^ERR_SOMETHING: odd$/],
  ];
  for (const [name, error, kind, reason] of table) {
    it(`${kind}: ${name}`, () => {
      const f = classifyError(error);
      assert.equal(f.kind, kind);
      if (reason) assert.match(f.reason, reason);
    });
  }

  const ctx = { service: "HEC", url: "https://hec.example.com:8088", caFile: "/etc/soc/ca.pem", configPrefix: "hec" };
  const fixes: Record<string, RegExp> = {
    untrusted: /^HEC at https:\/\/hec\.example\.com:8088 presented a certificate not signed by the configured CA \(\/etc\/soc\/ca\.pem\): boom; set hec\.ca_file to the CA that signs it$/,
    validity: /^HEC at https:\/\/hec\.example\.com:8088 presented a certificate outside its validity period: boom; renew HEC's certificate$/,
    hostname: /^HEC at https:\/\/hec\.example\.com:8088 presented a certificate that is not valid for this host name: boom; use the host name the certificate names in hec\.url$/,
  };
  for (const [code, problem] of Object.entries(TLS_ERRORS)) {
    it(`tls: ${code} (${problem}), permanent, with the fix in the message`, () => {
      const f = classifyError(err(code, "boom"), ctx);
      assert.equal(f.kind, "tls");
      assert.equal(f.code, code);
      assert.match(f.reason, fixes[problem]!);
      assert.equal(classifyError(err(code, "boom")).reason, `the server's TLS certificate was refused (${code}: boom)`, "without a context: the code and Node's text");
    });
  }

  it("names Node's public roots when no CA file is set", () => {
    assert.match(tlsMessage("SELF_SIGNED_CERT_IN_CHAIN", "x", { service: "Splunk", url: "https://s:8089", configPrefix: "splunk" }), /configured CA \(none set: Node's public root CAs\): x; set splunk\.ca_file/);
  });
});

describe("parseRetryAfter", () => {
  const rows: [unknown, number | undefined][] = [
    ["0", 0],
    ["120", 120_000],
    [["3", "9"], 3000],
    ["Wed, 25 Nov 2026 12:01:00 GMT", 60_000],
    ["Wed, 25 Nov 2026 11:00:00 GMT", 0],
    ["soon", undefined],
    ["-5", undefined],
    [undefined, undefined],
    ["", undefined],
    [42, undefined],
  ];
  for (const [value, ms] of rows) {
    it(`reads ${JSON.stringify(value)} as ${ms} ms`, () => assert.equal(parseRetryAfter(value, NOW), ms));
  }
});
