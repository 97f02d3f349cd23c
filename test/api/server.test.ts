import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiServer } from "../../sidecar/api/server.ts";

async function serve(provider: { notReadyReason(): string | null; status(): unknown }) {
  const api = new ApiServer("127.0.0.1", 0, provider);
  await api.start();
  const base = `http://127.0.0.1:${api.address!.port}`;
  return { api, get: (path: string) => fetch(base + path) };
}

describe("API routes", () => {
  it("answers /healthz while not ready, and /readyz 503 with the reason", async () => {
    let reason: string | null = "model: no version can score";
    const { api, get } = await serve({ notReadyReason: () => reason, status: () => ({}) });
    try {
      const h = await get("/healthz");
      assert.equal(h.status, 200);
      assert.deepEqual(await h.json(), { status: "ok" });
      const r = await get("/readyz");
      assert.equal(r.status, 503);
      assert.deepEqual(await r.json(), { status: "not ready", reason: "model: no version can score" });
      reason = null;
      const ok = await get("/readyz");
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { status: "ready" });
    } finally {
      await api.shutdown();
    }
  });

  it("serves the provider's status as JSON", async () => {
    const { api, get } = await serve({ notReadyReason: () => null, status: () => ({ model: { version: "v0002" } }) });
    try {
      const s = await get("/api/v1/status");
      assert.equal(s.status, 200);
      assert.deepEqual(await s.json(), { model: { version: "v0002" } });
    } finally {
      await api.shutdown();
    }
  });

  it("answers an unknown route with a JSON 404 that names it", async () => {
    const { api, get } = await serve({ notReadyReason: () => null, status: () => ({}) });
    try {
      const r = await get("/api/v1/nope");
      assert.equal(r.status, 404);
      assert.deepEqual(await r.json(), { error: "no route GET /api/v1/nope" });
    } finally {
      await api.shutdown();
    }
  });

  it("names the port and the fix when it cannot listen, and shutdown is idempotent and safe without start", async () => {
    const { api } = await serve({ notReadyReason: () => null, status: () => ({}) });
    try {
      const second = new ApiServer("127.0.0.1", api.address!.port, { notReadyReason: () => null, status: () => ({}) });
      await assert.rejects(second.start(), /cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\); set api\.port to a free port or api\.enabled: false/);
      await second.shutdown();
      await second.shutdown();
    } finally {
      await api.shutdown();
    }
  });
});
