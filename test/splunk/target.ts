// The Splunk a test runs against: the emulator over HTTPS with the test CA (always), or a real Splunk when
// SPLUNK_URL is set (SPLUNK_USERNAME + SPLUNK_PASSWORD and/or SPLUNK_TOKEN, SPLUNK_CA_FILE, SPLUNK_INDEX,
// SPLUNK_VERIFY_TLS=false). Test bodies take a `SplunkTarget`, so the same assertions run on both; what only
// the emulator can do (fault injection, chosen `_indextime`) is under `target.emulator`, and tests that need
// it skip on a real Splunk with a message.
import { readFileSync } from "node:fs";
import { createEmulator, type Emulator, type EmulatorOptions } from "../../emulator/index.ts";
import type { SplunkAuth, SplunkConnectionOptions } from "../../sidecar/splunk/sdk.ts";
import { SplunkClient } from "../../sidecar/splunk/sdk.ts";
import { Transport } from "../../sidecar/http/transport.ts";

export const CA_FILE = "test/fixtures/tls/ca.pem";
export const TLS = { cert: readFileSync("test/fixtures/tls/server.pem"), key: readFileSync("test/fixtures/tls/server-key.pem") };
export const UNTRUSTED_TLS = {
  cert: readFileSync("test/fixtures/tls/untrusted/server.pem"),
  key: readFileSync("test/fixtures/tls/untrusted/server-key.pem"),
};
export const TEST_TOKEN = "eyJ0ZXN0IjoidG9rZW4ifQ.test-token";

export interface SeedEvent {
  /** `_time`, epoch seconds. */
  time: number;
  /** `_indextime`, epoch seconds: honoured by the emulator only (a real Splunk stamps its own). */
  indextime?: number;
  raw: string;
  sourcetype?: string;
}

export interface SplunkTarget {
  label: string;
  url: string;
  password?: { username: string; password: string };
  token?: string;
  caFile?: string;
  verifyTls: boolean;
  /** The index test events are written to and searched in. */
  index: string;
  /** Present on the emulator: faults, request log, settings, stored events with chosen index times. */
  emulator?: Emulator;
  /** Adds events and resolves once they are searchable. */
  seed(events: SeedEvent[]): Promise<void>;
  /** Connection options for one of the target's auth methods. */
  connection(auth?: "password" | "token", extra?: Partial<SplunkConnectionOptions>): SplunkConnectionOptions;
  stop(): Promise<void>;
}

function connectionFor(t: Pick<SplunkTarget, "url" | "password" | "token" | "caFile" | "verifyTls">, auth: "password" | "token" | undefined, extra: Partial<SplunkConnectionOptions>): SplunkConnectionOptions {
  const kind = auth ?? (t.password ? "password" : "token");
  let a: SplunkAuth;
  if (kind === "password") {
    if (!t.password) throw new Error("this target has no username/password");
    a = { kind: "password", ...t.password };
  } else {
    if (!t.token) throw new Error("this target has no token");
    a = { kind: "token", token: t.token };
  }
  return { url: t.url, auth: a, caFile: t.caFile, verifyTls: t.verifyTls, timeoutMs: 10_000, app: "search", ...extra };
}

/** The emulator over HTTPS with the test certificate; stopped by `stop()`. */
export async function emulatorTarget(options: EmulatorOptions = {}): Promise<SplunkTarget> {
  const emu = createEmulator({ tls: TLS, jobDelayMs: 20, tokens: [{ token: TEST_TOKEN, user: "admin" }], ...options });
  await emu.start();
  const t: SplunkTarget = {
    label: "the emulator",
    url: emu.url,
    password: { username: "admin", password: "changeme" },
    token: TEST_TOKEN,
    caFile: CA_FILE,
    verifyTls: true,
    index: "netflow",
    emulator: emu,
    seed(events) {
      for (const e of events) {
        emu.store.append({ time: e.time, indextime: e.indextime, index: t.index, sourcetype: e.sourcetype ?? "_json", host: "sensor-1", source: "/var/log/zeek/conn.log", raw: e.raw });
      }
      return Promise.resolve();
    },
    connection: (auth, extra = {}) => connectionFor(t, auth, extra),
    stop: () => emu.stop(),
  };
  return t;
}

/** A real Splunk from the environment, or undefined when SPLUNK_URL is not set. */
export function realTarget(): SplunkTarget | undefined {
  const url = process.env.SPLUNK_URL;
  if (!url) return undefined;
  const username = process.env.SPLUNK_USERNAME;
  const password = process.env.SPLUNK_PASSWORD;
  const t: SplunkTarget = {
    label: `Splunk at ${url}`,
    url,
    password: username && password ? { username, password } : undefined,
    token: process.env.SPLUNK_TOKEN,
    caFile: process.env.SPLUNK_CA_FILE,
    verifyTls: process.env.SPLUNK_VERIFY_TLS !== "false",
    index: process.env.SPLUNK_INDEX ?? "soc_assistant_test",
    async seed(events) {
      // receivers/simple, one request per sourcetype; then wait until the search sees them all.
      const client = new SplunkClient(t.connection());
      const transport = new Transport({ caFile: t.caFile, verifyTls: t.verifyTls, timeoutMs: 30_000, maxReplyBytes: Infinity });
      try {
        await client.connect();
        const key = client.service.sessionKey ?? t.token ?? "";
        const scheme = t.password ? "Splunk" : "Bearer";
        for (const e of events) {
          const q = new URLSearchParams({ index: t.index, sourcetype: e.sourcetype ?? "_json", host: "sensor-1", source: "/var/log/zeek/conn.log" });
          const r = await transport.request(`${client.url}/services/receivers/simple?${q}`, { method: "POST", headers: { Authorization: `${scheme} ${key}`, "Content-Type": "text/plain" }, body: e.raw });
          if (r.status >= 300) throw new Error(`receivers/simple answered ${r.status}: ${r.body.toString()}`);
        }
        const want = new Set(events.map((e) => e.raw));
        for (let i = 0; i < 60; i++) {
          const job = await client.createJob(`search index=${t.index} earliest=-1d | fields _raw`, { max_count: 100_000 });
          const s = await client.waitForJob(job, { pollMs: 200 });
          const page = await client.results(job, 0, 50_000);
          await client.removeJob(job);
          const seen = new Set((page.results ?? []).map((r) => String(r._raw)));
          if (s.done && [...want].every((raw) => seen.has(raw))) return;
          await new Promise((r) => setTimeout(r, 1000));
        }
        throw new Error("seeded events did not become searchable within a minute");
      } finally {
        client.close();
        transport.close();
      }
    },
    connection: (auth, extra = {}) => connectionFor(t, auth, extra),
    stop: () => Promise.resolve(),
  };
  return t;
}

/** Why a real-Splunk run is skipped, for the test output. */
export const REAL_SPLUNK_SKIP = "set SPLUNK_URL (and SPLUNK_USERNAME/SPLUNK_PASSWORD or SPLUNK_TOKEN, SPLUNK_CA_FILE) to run these against a real Splunk";
export const NEEDS_EMULATOR = "needs the emulator (fault injection or chosen _indextime)";
