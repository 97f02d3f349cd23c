// The one retry wrapper on a fake clock: backoff, jitter, attempts, deadline, Retry-After, abort; thrown
// errors as well as returned results.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { retry, type Outcome } from "../../sidecar/http/retry.ts";

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

type R = { kind: "ok" } | { kind: "busy"; n?: number; retryAfterMs?: number } | { kind: "no" };
const busy: R = { kind: "busy" };
const ok: R = { kind: "ok" };
/** Retries "busy" values, with their Retry-After. */
const retryable = (o: Outcome<R>) => ("value" in o && o.value.kind === "busy" ? { retryAfterMs: o.value.retryAfterMs } : false);

describe("retry", () => {
  it("backs off exponentially up to maxMs, without jitter", async () => {
    const c = clock();
    let calls = 0;
    const r = await retry(() => Promise.resolve(++calls < 7 ? busy : ok), { retryable, deadlineMs: 60_000, baseMs: 100, maxMs: 1000, jitter: false, now: c.now, sleep: c.sleep });
    assert.deepEqual(r, ok);
    assert.equal(calls, 7);
    assert.deepEqual(c.sleeps, [100, 200, 400, 800, 1000, 1000]);
  });

  it("draws full jitter in [0, ceiling)", async () => {
    const c = clock();
    const draws = [0, 0.5, 0.999];
    let calls = 0;
    await retry(() => Promise.resolve(++calls < 4 ? busy : ok), { retryable, deadlineMs: 60_000, baseMs: 100, maxMs: 10_000, jitter: true, random: () => draws.shift()!, now: c.now, sleep: c.sleep });
    assert.deepEqual(c.sleeps, [0, 100, 399]);
  });

  it("returns the last retryable result once the deadline passes, never sleeping past it", async () => {
    const c = clock();
    let calls = 0;
    const r = await retry(() => Promise.resolve<R>({ kind: "busy", n: ++calls }), { retryable, deadlineMs: 1000, baseMs: 100, jitter: false, now: c.now, sleep: c.sleep });
    assert.deepEqual(r, { kind: "busy", n: 4 });
    assert.deepEqual(c.sleeps, [100, 200, 400]);
    assert.ok(c.now() < 1000);
  });

  it("stops after the attempts, whichever comes first", async () => {
    const c = clock();
    let calls = 0;
    const r = await retry(() => Promise.resolve<R>({ kind: "busy", n: ++calls }), { retryable, attempts: 3, baseMs: 100, jitter: false, now: c.now, sleep: c.sleep });
    assert.deepEqual(r, { kind: "busy", n: 3 });
    assert.deepEqual(c.sleeps, [100, 200]);
  });

  it("counts slow attempts against the deadline and tells each attempt the time left", async () => {
    const c = clock();
    const left: number[] = [];
    const r = await retry(
      (ctx) => {
        left.push(ctx.remainingMs);
        c.advance(400);
        return Promise.resolve(busy);
      },
      { retryable, deadlineMs: 1000, baseMs: 100, jitter: false, now: c.now, sleep: c.sleep },
    );
    assert.equal(r.kind, "busy");
    assert.deepEqual(left, [1000, 500]);
  });

  it("waits at least Retry-After, and gives up at once when Retry-After ends past the deadline", async () => {
    const c = clock();
    let calls = 0;
    const r = await retry(() => Promise.resolve<R>(++calls === 1 ? { kind: "busy", retryAfterMs: 2000 } : ok), { retryable, deadlineMs: 10_000, baseMs: 100, jitter: false, now: c.now, sleep: c.sleep });
    assert.deepEqual(r, ok);
    assert.deepEqual(c.sleeps, [2000]);

    const c2 = clock();
    let retries = 0;
    const r2 = await retry(() => Promise.resolve<R>({ kind: "busy", retryAfterMs: 60_000 }), { retryable, deadlineMs: 10_000, now: c2.now, sleep: c2.sleep, onRetry: () => retries++ });
    assert.deepEqual(r2, { kind: "busy", retryAfterMs: 60_000 });
    assert.deepEqual(c2.sleeps, []);
    assert.equal(retries, 0);
  });

  it("stops at the first outcome that is not retryable", async () => {
    const c = clock();
    let calls = 0;
    const r = await retry(() => Promise.resolve<R>(++calls === 1 ? busy : { kind: "no" }), { retryable, deadlineMs: 60_000, jitter: false, now: c.now, sleep: c.sleep });
    assert.deepEqual(r, { kind: "no" });
    assert.equal(calls, 2);
  });

  it("retries thrown errors the same way and rethrows the last one", async () => {
    const c = clock();
    let calls = 0;
    const seen: [number, number][] = [];
    await assert.rejects(
      retry(
        () => Promise.reject(new Error(`down ${++calls}`)),
        { retryable: (o) => ("error" in o ? {} : false), attempts: 3, baseMs: 50, jitter: false, now: c.now, sleep: c.sleep, onRetry: (_o, attempt, delay) => seen.push([attempt, delay]) },
      ),
      /down 3/,
    );
    assert.deepEqual(seen, [[0, 50], [1, 100]]);
  });

  it("makes exactly one attempt with a zero deadline", async () => {
    let calls = 0;
    const r = await retry(() => Promise.resolve((calls++, busy)), { retryable, deadlineMs: 0 });
    assert.equal(r.kind, "busy");
    assert.equal(calls, 1);
  });

  it("reports each retry, and an abort cuts a sleep short and stops retrying", async () => {
    const ac = new AbortController();
    const seen: [number, number][] = [];
    let calls = 0;
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 30);
    const r = await retry(() => Promise.resolve((calls++, busy)), { retryable, deadlineMs: 60_000, baseMs: 5000, jitter: false, signal: ac.signal, onRetry: (_r, attempt, delay) => seen.push([attempt, delay]) });
    assert.deepEqual(r, busy);
    assert.ok(Date.now() - t0 < 2000, "returned soon after the abort, not after the 5 s sleep");
    assert.deepEqual(seen, [[0, 5000]]);
    assert.equal(calls, 1);
  });
});
