import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiServer } from "../../sidecar/api/server.ts";
import { ApiError, redactedUrl } from "../../sidecar/api/errors.ts";
import type { Request } from "express";
import { fakeBackend, serve, TOKEN, WEBHOOK } from "./helpers.ts";

/** Every route, with a body that succeeds and the status it succeeds with. */
const ROUTES: { path: string; body?: unknown; ok: number; open?: boolean; webhook?: boolean }[] = [
  { path: "/healthz", ok: 200, open: true },
  { path: "/readyz", ok: 200, open: true },
  { path: "/metrics", ok: 200 },
  { path: "/api/v1/status", ok: 200 },
  { path: "/api/v1/models", ok: 200 },
  { path: "/api/v1/models/zeek-conn/versions/v0002/promote", body: {}, ok: 200 },
  { path: "/api/v1/models/zeek-conn/rollback", body: {}, ok: 200 },
  { path: "/api/v1/retrain", body: { search_name: "s", sid: "1" }, ok: 202, webhook: true },
  { path: "/api/v1/score", body: { events: [{ src_ip: "10.0.0.1" }] }, ok: 503 },
  { path: "/api/v1/backfill", body: { earliest: 1_700_000_000, latest: 1_700_003_600 }, ok: 202 },
];

describe("API auth (api.token set)", () => {
  for (const route of ROUTES) {
    for (const who of ["no token", "wrong token", "right token", "webhook token"] as const) {
      const want = route.open
        ? route.ok
        : who === "no token"
          ? 401
          : who === "wrong token"
            ? 403
            : who === "right token"
              ? route.ok
              : route.webhook
                ? route.ok
                : 403;
      it(`${route.body !== undefined ? "POST" : "GET"} ${route.path} with ${who}: ${want}`, async () => {
        // A fresh server per case, so one case's job does not leave the next one a 409.
        const s = await serve(fakeBackend(), { token: TOKEN, webhookToken: WEBHOOK });
        try {
          const r = await s.call(route.path, {
            body: route.body,
            bearer: who === "wrong token" ? "nope" : who === "right token" ? TOKEN : undefined,
            query: who === "webhook token" ? `token=${WEBHOOK}` : undefined,
          });
          assert.equal(r.status, want, r.text);
          if (want === 401 || want === 403) assert.equal(typeof r.json.error, "string");
        } finally {
          await s.close();
        }
      });
    }
  }

  it("refuses a webhook token sent as a bearer token, and a wrong query token on retrain", async () => {
    const s = await serve(fakeBackend(), { token: TOKEN, webhookToken: WEBHOOK });
    try {
      assert.equal((await s.call("/api/v1/status", { bearer: WEBHOOK })).status, 403);
      assert.equal((await s.call("/api/v1/retrain", { body: {}, query: "token=nope" })).status, 403);
      assert.equal((await s.call("/api/v1/status", { bearer: "" })).status, 401);
    } finally {
      await s.close();
    }
  });

  it("without api.token every route answers on loopback", async () => {
    const s = await serve();
    try {
      assert.equal((await s.call("/api/v1/status")).status, 200);
      assert.equal((await s.call("/metrics")).status, 200);
    } finally {
      await s.close();
    }
  });

  it("refuses to bind beyond loopback without a token, with the fix", () => {
    assert.throws(() => new ApiServer({ host: "0.0.0.0", port: 0 }, fakeBackend()), /refusing to listen on 0\.0\.0\.0 without api\.token.*Set api\.token/);
    assert.doesNotThrow(() => new ApiServer({ host: "0.0.0.0", port: 0, token: TOKEN }, fakeBackend()));
    for (const host of ["127.0.0.1", "::1", "localhost", "127.1.2.3"]) assert.doesNotThrow(() => new ApiServer({ host, port: 0 }, fakeBackend()));
  });
});

describe("API errors", () => {
  it("answers a bad body with 400 and every problem by path", async () => {
    const s = await serve();
    try {
      const r = await s.call("/api/v1/score", { body: { events: [{ src_ip: { nested: 1 } }], extra: 1 } });
      assert.equal(r.status, 400);
      assert.equal(r.json.error, "invalid request body");
      const details = r.json.details as string[];
      assert.ok(details.some((d) => d.startsWith("events.0.src_ip:")), details.join("; "));
      assert.ok(details.some((d) => d.includes("unknown field(s) extra")), details.join("; "));
      const empty = await s.call("/api/v1/score", { body: { events: [] } });
      assert.equal(empty.status, 400);
      assert.deepEqual(empty.json.details, ["events: send at least one event"]);
      const retrain = await s.call("/api/v1/retrain", { body: { data: "not-a-list" } });
      assert.equal(retrain.status, 400);
    } finally {
      await s.close();
    }
  });

  it("answers malformed JSON with 400, never a stack trace", async () => {
    const s = await serve();
    try {
      const r = await s.call("/api/v1/score", { raw: '{"events": [' });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json, { error: "request body is not valid JSON" });
      assert.doesNotMatch(r.text, /at .*\.ts:\d+/);
    } finally {
      await s.close();
    }
  });

  it("answers an oversize body with 413 naming the limit", async () => {
    const s = await serve(fakeBackend(), { maxBodyBytes: 2048 });
    try {
      const r = await s.call("/api/v1/score", { body: { events: [{ note: "x".repeat(4000) }] } });
      assert.equal(r.status, 413);
      assert.match(r.json.error as string, /larger than 2048 bytes \(api\.max_body_bytes\)/);
    } finally {
      await s.close();
    }
  });

  it("answers too many events with 400 naming api.score_max_events", async () => {
    const s = await serve(fakeBackend(), { scoreMaxEvents: 2 });
    try {
      const r = await s.call("/api/v1/score", { body: { events: [{}, {}, {}] } });
      assert.equal(r.status, 400);
      assert.match((r.json.details as string[])[0]!, /at most 2 events per request \(api\.score_max_events\)/);
    } finally {
      await s.close();
    }
  });

  it("answers unknown routes, models and versions with a JSON 404", async () => {
    const s = await serve();
    try {
      assert.deepEqual((await s.call("/api/v1/nope")).json, { error: "no route GET /api/v1/nope" });
      const model = await s.call("/api/v1/models/other/rollback", { body: {} });
      assert.equal(model.status, 404);
      assert.match(model.json.error as string, /serves model zeek-conn \(model\.name\), not other/);
      const version = await s.call("/api/v1/models/zeek-conn/versions/v0009/promote", { body: {} });
      assert.equal(version.status, 404);
      assert.match(version.json.error as string, /no version v0009/);
    } finally {
      await s.close();
    }
  });

  it("hides an internal failure behind a 500 without details", async () => {
    const s = await serve(fakeBackend({ status: () => {
      throw new Error("secret path /etc/x at line 3");
    } }));
    try {
      const r = await s.call("/api/v1/status");
      assert.equal(r.status, 500);
      assert.deepEqual(r.json, { error: "internal error; the sidecar's log has the cause" });
    } finally {
      await s.close();
    }
  });

  it("refuses a promotion the holder refuses with 409 and its reason", async () => {
    const b = fakeBackend();
    b.models.promote = () => Promise.reject(new Error("its output on a probe batch is NaN (not a probability)"));
    const s = await serve(b);
    try {
      const r = await s.call("/api/v1/models/zeek-conn/versions/2/promote", { body: {} });
      assert.equal(r.status, 409);
      assert.match(r.json.error as string, /probe batch is NaN/);
    } finally {
      await s.close();
    }
  });

  it("redacts query strings in what request logs show", () => {
    const req = { originalUrl: "/api/v1/retrain?token=abc&x=1" } as Request;
    assert.equal(redactedUrl(req), "/api/v1/retrain?token=[REDACTED]&x=[REDACTED]");
    assert.equal(redactedUrl({ originalUrl: "/healthz" } as Request), "/healthz");
  });

  it("keeps ApiError's status", () => {
    assert.equal(new ApiError(409, "busy").status, 409);
  });
});

describe("one-at-a-time jobs", () => {
  for (const path of ["/api/v1/retrain", "/api/v1/backfill"]) {
    it(`${path}: of two concurrent requests one runs (202) and the other gets 409`, async () => {
      const s = await serve();
      try {
        const body = path.endsWith("retrain") ? { data: ["x.log"] } : { earliest: 1_700_000_000, latest: 1_700_000_100 };
        const [a, b] = await Promise.all([s.call(path, { body }), s.call(path, { body })]);
        assert.deepEqual([a.status, b.status].sort(), [202, 409]);
        const refused = a.status === 409 ? a : b;
        assert.match(refused.json.error as string, /already running/);
      } finally {
        await s.close();
      }
    });
  }

  it("refuses reversed, future and too-wide backfill ranges with the reason", async () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    const s = await serve(fakeBackend(), { now: () => now, backfillMaxSeconds: 3600 });
    try {
      const t = now / 1000;
      const cases: [unknown, RegExp][] = [
        [{ earliest: t - 100, latest: t - 200 }, /must be after earliest/],
        [{ earliest: t + 100, latest: t + 200 }, /earliest .* is in the future/],
        [{ earliest: t - 100, latest: t + 200 }, /latest .* is in the future/],
        [{ earliest: t - 7200, latest: t - 1 }, /wider than api\.backfill_max_seconds \(3600\)/],
        [{ earliest: "yesterday", latest: t }, /neither epoch seconds nor an ISO 8601 time/],
      ];
      for (const [body, re] of cases) {
        const r = await s.call("/api/v1/backfill", { body });
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.match(r.json.error as string, re);
      }
      const iso = await s.call("/api/v1/backfill", { body: { earliest: "2025-12-31T23:00:00Z", latest: "2025-12-31T23:30:00Z" } });
      assert.equal(iso.status, 202);
    } finally {
      await s.close();
    }
  });

  it("answers /readyz 503 with the reason while not ready", async () => {
    const s = await serve(fakeBackend({ notReadyReason: () => "model: no version can score" }));
    try {
      const r = await s.call("/readyz");
      assert.equal(r.status, 503);
      assert.deepEqual(r.json, { status: "not ready", reason: "model: no version can score" });
      assert.deepEqual((await s.call("/healthz")).json, { status: "ok" });
    } finally {
      await s.close();
    }
  });

  it("names the port and the fix when it cannot listen, and shutdown is idempotent and safe without start", async () => {
    const s = await serve();
    try {
      const second = new ApiServer({ host: "127.0.0.1", port: s.api.address!.port }, fakeBackend());
      await assert.rejects(second.start(), /cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\); set api\.port to a free port or api\.enabled: false/);
      await second.shutdown();
      await second.shutdown();
    } finally {
      await s.close();
    }
  });
});
