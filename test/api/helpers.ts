/** An API server over a fake backend on a loopback port, and a client that speaks to it over real HTTP. */
import { ApiServer, type ApiBackend, type ApiOptions, type JobStart } from "../../sidecar/api/server.ts";
import type { SidecarStatus } from "../../sidecar/api/status.ts";

export const TOKEN = "s3cret-token";
export const WEBHOOK = "webhook-only-token";

export function fakeStatus(): SidecarStatus {
  const idle = { running: false, current: null, last: null };
  return {
    ready: true,
    reason: null,
    model: { name: "zeek-conn", version: "v0001", kind: "supervised", runtime: "main thread", feature_schema: "abc", problem: null },
    checkpoints: {},
    lag_seconds: {},
    last_runs: [],
    schedule: { scoring: { cron: "* * * * *", runs: 0, skipped: 0, running: false, next_run: null } },
    retrain: { running: null, last: null, runs: 0, refused: 0 },
    backfill: idle,
    warnings: [],
  };
}

/** A job that stays running until `finish()`: the second start is refused, as `SingleJob` does. */
export function gate() {
  let running = false;
  let release: () => void = () => undefined;
  return {
    start(): Promise<JobStart> {
      if (running) return Promise.resolve({ started: false, reason: "job 1 started earlier" });
      running = true;
      void new Promise<void>((r) => (release = r)).then(() => (running = false));
      return Promise.resolve({ started: true, id: "1", started_at: new Date().toISOString() });
    },
    finish: () => release(),
  };
}

export function fakeBackend(over: Partial<ApiBackend> = {}): ApiBackend {
  const retrain = gate();
  const backfill = gate();
  return {
    notReadyReason: () => null,
    status: fakeStatus,
    acquire: () => Promise.resolve(null),
    models: {
      name: "zeek-conn",
      list: () => [
        { name: "zeek-conn", version: "v0001", current: true },
        { name: "zeek-conn", version: "v0002", current: false },
      ],
      promote: (version) => Promise.resolve({ time: "t", action: "promote", from: "v0001", to: version }),
      rollback: () => Promise.resolve({ time: "t", action: "rollback", from: "v0002", to: "v0001" }),
    },
    retrain: () => retrain.start(),
    backfill: () => backfill.start(),
    metrics: { contentType: "text/plain; version=0.0.4", text: () => Promise.resolve("# HELP x y\n# TYPE x counter\nx 1\n") },
    ...over,
  };
}

export interface Call {
  method?: string;
  body?: unknown;
  /** Raw body text (sent as is). */
  raw?: string;
  bearer?: string;
  query?: string;
}

export async function serve(backend: ApiBackend = fakeBackend(), opts: Partial<ApiOptions> = {}) {
  const api = new ApiServer({ host: "127.0.0.1", port: 0, ...opts }, backend);
  await api.start();
  const base = `http://127.0.0.1:${api.address!.port}`;
  const call = async (path: string, c: Call = {}) => {
    const headers: Record<string, string> = {};
    if (c.bearer !== undefined) headers.authorization = `Bearer ${c.bearer}`;
    if (c.body !== undefined || c.raw !== undefined) headers["content-type"] = "application/json";
    const r = await fetch(`${base}${path}${c.query ? `?${c.query}` : ""}`, {
      method: c.method ?? (c.body !== undefined || c.raw !== undefined ? "POST" : "GET"),
      headers,
      body: c.raw ?? (c.body !== undefined ? JSON.stringify(c.body) : undefined),
    });
    const text = await r.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, json: json as Record<string, unknown>, text };
  };
  return { api, base, call, close: () => api.shutdown() };
}
