// The Splunk a test runs against, as a parameter of the test body, so the same assertions run on both:
//   - `emulatorTarget()`: a fresh emulator over HTTPS with the test CA (always available), accepting a
//     password (admin/changeme), a token (TEST_TOKEN) and a HEC token with indexer acknowledgement (HEC_TOKEN);
//   - `realTarget()`: a real Splunk named by SPLUNK_URL with SPLUNK_USERNAME + SPLUNK_PASSWORD and/or
//     SPLUNK_TOKEN, plus SPLUNK_HEC_URL + SPLUNK_HEC_TOKEN for the tests that run the sidecar's HEC sink
//     (optional: SPLUNK_CA_FILE, SPLUNK_VERIFY_TLS=false, SPLUNK_INDEX for the seeded events, default
//     soc_assistant_test; SPLUNK_RISK_INDEX, default soc_risk; SPLUNK_HEC_ACK=false when the HEC token has
//     indexer acknowledgement off); undefined when unset, and `realTargetMissing()` says which are missing.
// What only the emulator can do (fault injection, request log, chosen `_indextime`) is under `target.emulator`;
// tests that need it skip on a real Splunk with NEEDS_EMULATOR. Seeding a real Splunk goes through HEC when the
// target has one (else `receivers/simple`) and waits until the events are searchable; the user must be allowed
// to create the seeded index if it does not exist, and the HEC token to write to it and to the risk index.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createEmulator, type Emulator, type EmulatorOptions } from "../../emulator/index.ts";
import { Transport } from "../../sidecar/http/transport.ts";
import { SplunkClient, type SplunkAuth, type SplunkConnectionOptions } from "../../sidecar/splunk/sdk.ts";

export const CA_FILE = "test/fixtures/tls/ca.pem";
export const TLS = { cert: readFileSync("test/fixtures/tls/server.pem"), key: readFileSync("test/fixtures/tls/server-key.pem") };
/** A certificate the test CA did not sign. */
export const UNTRUSTED_TLS = {
  cert: readFileSync("test/fixtures/tls/untrusted/server.pem"),
  key: readFileSync("test/fixtures/tls/untrusted/server-key.pem"),
};
/** The bearer token the emulator accepts (user admin). */
export const TEST_TOKEN = "eyJ0ZXN0IjoidG9rZW4ifQ.test-token";
/** The HEC token the emulator accepts (indexer acknowledgement on). */
export const HEC_TOKEN = "22222222-2222-2222-2222-222222222222";

const OPTIONAL_ENV = "optional: SPLUNK_CA_FILE, SPLUNK_VERIFY_TLS=false, SPLUNK_INDEX, SPLUNK_RISK_INDEX, SPLUNK_HEC_ACK=false";
export const NEEDS_EMULATOR = "needs the emulator (fault injection or chosen _indextime)";

export interface SeedEvent {
  /** `_time`, epoch seconds. */
  time: number;
  /** `_indextime`, epoch seconds: honoured by the emulator only (a real Splunk stamps its own); default now. */
  indextime?: number;
  raw: string;
  /** Default: the seed options' sourcetype, else `_json`. */
  sourcetype?: string;
}

export interface SeedOptions {
  sourcetype?: string;
  /** The events' `source` (default /var/log/zeek/conn.log): a unique one keeps runs separable in a shared real index. */
  source?: string;
}

/** The HEC endpoint the sidecar writes to (the sidecar's `hec.url`, `hec.token`, `hec.ack`). */
export interface HecEndpoint {
  url: string;
  token: string;
  /** Whether the token has indexer acknowledgement on. */
  ack: boolean;
}

export interface Target {
  label: string;
  /** Management port URL. */
  url: string;
  password?: { username: string; password: string };
  token?: string;
  /** Present on the emulator always, on a real Splunk when SPLUNK_HEC_URL and SPLUNK_HEC_TOKEN are set. */
  hec?: HecEndpoint;
  caFile?: string;
  verifyTls: boolean;
  /** The index seeded events go to and are searched in. */
  index: string;
  /** The index the sidecar writes risk and run events to. */
  riskIndex: string;
  /** The target's clock, epoch ms (what `_indextime` is stamped with). */
  now(): number;
  /**
   * Adds events and resolves once they are searchable; when any was stamped with the target's clock (no
   * `indextime`, or a real Splunk), also once that index second is past, so a window ending "now" includes it.
   */
  seed(events: readonly SeedEvent[], o?: SeedOptions): Promise<void>;
  /** Connection options for one of the target's auth methods (default: password when it has one). */
  connection(auth?: "password" | "token", extra?: Partial<SplunkConnectionOptions>): SplunkConnectionOptions;
  /** Present on the emulator: faults, request log, settings, the event store. */
  emulator?: Emulator;
  stop(): Promise<void>;
}

const SOURCE = "/var/log/zeek/conn.log";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The target's HEC endpoint; throws when it has none (a real Splunk without SPLUNK_HEC_URL/SPLUNK_HEC_TOKEN). */
export function requireHec(t: Target): HecEndpoint {
  if (!t.hec) throw new Error(`${t.label} has no HEC endpoint: set SPLUNK_HEC_URL and SPLUNK_HEC_TOKEN`);
  return t.hec;
}

function connectionFor(t: Target, auth: "password" | "token" | undefined, extra: Partial<SplunkConnectionOptions>): SplunkConnectionOptions {
  const kind = auth ?? (t.password ? "password" : "token");
  let a: SplunkAuth;
  if (kind === "password") {
    if (!t.password) throw new Error(`${t.label} has no username/password`);
    a = { kind: "password", ...t.password };
  } else {
    if (!t.token) throw new Error(`${t.label} has no token`);
    a = { kind: "token", token: t.token };
  }
  return { url: t.url, auth: a, caFile: t.caFile, verifyTls: t.verifyTls, timeoutMs: 15_000, app: "search", ...extra };
}

/** Waits until the clock is past `second` (epoch s), so a window ending "now" includes events indexed in it. */
export async function passSecond(second: number, now: () => number = Date.now): Promise<void> {
  const wait = (second + 1) * 1000 - now() + 5;
  if (wait > 0) await sleep(wait);
}

/** A free TCP port on 127.0.0.1 (bound then released), for a server that starts later. */
export function reservePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface EmulatorTargetOptions extends EmulatorOptions {
  /** Default true; false leaves starting to the test (then `port` and `hecPort` must be numbers). */
  start?: boolean;
}

/** A fresh emulator over HTTPS with the test certificate, fast jobs and acks; stopped by `stop()`. */
export async function emulatorTarget(options: EmulatorTargetOptions = {}): Promise<Target> {
  const { start = true, ...rest } = options;
  const emu = createEmulator({
    tls: TLS,
    jobDelayMs: 10,
    ackDelayMs: 10,
    tokens: [{ token: TEST_TOKEN, user: "admin" }],
    hecTokens: [{ token: HEC_TOKEN, name: "tests", useAck: true }],
    ...rest,
  });
  if (start) await emu.start();
  else if (typeof rest.port !== "number" || typeof rest.hecPort !== "number") throw new Error("an emulator started later needs fixed ports");
  const t: Target = {
    label: "the emulator",
    url: start ? emu.url : `https://127.0.0.1:${rest.port as number}`,
    password: { username: "admin", password: "changeme" },
    token: TEST_TOKEN,
    hec: { url: start ? emu.hecUrl : `https://127.0.0.1:${rest.hecPort as number}`, token: HEC_TOKEN, ack: true },
    caFile: CA_FILE,
    verifyTls: true,
    index: "netflow",
    riskIndex: "soc_risk",
    now: emu.now,
    emulator: emu,
    async seed(events, o = {}) {
      const before = Math.floor(emu.now() / 1000);
      for (const e of events) {
        const sourcetype = e.sourcetype ?? o.sourcetype ?? "_json";
        emu.store.append({ time: e.time, indextime: e.indextime, index: t.index, sourcetype, host: "sensor-1", source: o.source ?? SOURCE, raw: e.raw });
      }
      if (events.some((e) => e.indextime === undefined)) await passSecond(Math.max(before, Math.floor(emu.now() / 1000)), emu.now);
    },
    connection: (auth, extra = {}) => connectionFor(t, auth, extra),
    stop: () => emu.stop(),
  };
  return t;
}

/** Why a real Splunk is not available, or undefined when the environment names one (with HEC when `hec`). */
export function realTargetMissing(o: { hec?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing = [
    !env.SPLUNK_URL && "SPLUNK_URL",
    !env.SPLUNK_TOKEN && !(env.SPLUNK_USERNAME && env.SPLUNK_PASSWORD) && "SPLUNK_USERNAME and SPLUNK_PASSWORD (or SPLUNK_TOKEN)",
    o.hec && !env.SPLUNK_HEC_URL && "SPLUNK_HEC_URL",
    o.hec && !env.SPLUNK_HEC_TOKEN && "SPLUNK_HEC_TOKEN",
  ].filter((m): m is string => typeof m === "string");
  if (missing.length === 0) return undefined;
  return `runs against a real Splunk when these are set: ${missing.join(", ")} (${OPTIONAL_ENV})`;
}

/** A real Splunk from the environment, or undefined when it names none (see `realTargetMissing`). */
export function realTarget(env: NodeJS.ProcessEnv = process.env): Target | undefined {
  if (realTargetMissing({}, env) !== undefined) return undefined;
  const url = env.SPLUNK_URL!;
  const username = env.SPLUNK_USERNAME;
  const password = env.SPLUNK_PASSWORD;
  const t: Target = {
    label: `Splunk at ${url}`,
    url,
    password: username && password ? { username, password } : undefined,
    token: env.SPLUNK_TOKEN,
    hec: env.SPLUNK_HEC_URL && env.SPLUNK_HEC_TOKEN ? { url: env.SPLUNK_HEC_URL, token: env.SPLUNK_HEC_TOKEN, ack: env.SPLUNK_HEC_ACK !== "false" } : undefined,
    caFile: env.SPLUNK_CA_FILE,
    verifyTls: env.SPLUNK_VERIFY_TLS !== "false",
    index: env.SPLUNK_INDEX ?? "soc_assistant_test",
    riskIndex: env.SPLUNK_RISK_INDEX ?? "soc_risk",
    now: Date.now,
    async seed(events, o = {}) {
      const client = new SplunkClient(t.connection());
      const transport = new Transport({ caFile: t.caFile, verifyTls: t.verifyTls, timeoutMs: 30_000, maxReplyBytes: Infinity });
      const source = o.source ?? SOURCE;
      const sourcetypeOf = (e: SeedEvent) => e.sourcetype ?? o.sourcetype ?? "_json";
      try {
        await client.connect();
        if (!(await client.indexExists(t.index))) await client.createIndex(t.index);
        if (t.hec) await seedThroughHec(transport, t.hec, events.map((e) => ({ time: e.time, index: t.index, sourcetype: sourcetypeOf(e), source, host: "sensor-1", event: e.raw })));
        else {
          // receivers/simple: one request per event, authenticated like the SDK (session key or token).
          const key = client.service.sessionKey ?? t.token ?? "";
          const scheme = t.password ? "Splunk" : "Bearer";
          for (const e of events) {
            const q = new URLSearchParams({ index: t.index, sourcetype: sourcetypeOf(e), host: "sensor-1", source });
            const r = await transport.request(`${client.url}/services/receivers/simple?${q}`, { method: "POST", headers: { Authorization: `${scheme} ${key}`, "Content-Type": "text/plain" }, body: e.raw });
            if (r.status >= 300) throw new Error(`receivers/simple answered ${r.status}: ${r.body.toString()}`);
          }
        }
        const want = new Set(events.map((e) => e.raw));
        for (let i = 0; i < 120; i++) {
          const job = await client.createJob(`search index=${t.index} source="${source}" | fields _raw`, { earliest_time: "0", max_count: 100_000 });
          const s = await client.waitForJob(job, { pollMs: 200 });
          const page = await client.results(job, 0, 100_000);
          await client.removeJob(job);
          const seen = new Set((page.results ?? []).map((r) => String(r._raw)));
          if (s.done && [...want].every((raw) => seen.has(raw))) {
            await passSecond(Math.floor(Date.now() / 1000));
            return;
          }
          await sleep(1000);
        }
        throw new Error(`the ${events.length} seeded events did not become searchable within two minutes`);
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

async function seedThroughHec(transport: Transport, hec: HecEndpoint, events: readonly Record<string, unknown>[]): Promise<void> {
  const base = hec.url.replace(/\/services\/collector.*$/, "").replace(/\/+$/, "");
  const headers = { Authorization: `Splunk ${hec.token}`, "X-Splunk-Request-Channel": randomUUID(), "Content-Type": "application/json" };
  for (let i = 0; i < events.length; i += 500) {
    const body = events.slice(i, i + 500).map((e) => JSON.stringify(e)).join("\n");
    const r = await transport.request(`${base}/services/collector/event`, { method: "POST", headers, body });
    if (r.status !== 200) throw new Error(`HEC answered ${r.status} while seeding: ${r.body.toString()}`);
  }
}
