// The Splunk an end-to-end test runs against, as a parameter of the test body: by default a fresh emulator over
// HTTPS with the test CA; a real Splunk when SPLUNK_URL, SPLUNK_USERNAME/SPLUNK_PASSWORD or SPLUNK_TOKEN,
// SPLUNK_HEC_URL and SPLUNK_HEC_TOKEN are set (optional: SPLUNK_CA_FILE, SPLUNK_VERIFY_TLS=false,
// SPLUNK_INDEX for the seeded events, default netflow; SPLUNK_RISK_INDEX, default soc_risk; SPLUNK_HEC_ACK=false
// when the HEC token has indexer acknowledgement off). Seeding a real Splunk goes through HEC and waits until
// the events are searchable; the HEC token must be allowed to write to both indexes, and the user to create
// them (the seeded index through the SDK here, the risk index by the sidecar's hec.create_index).
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { createEmulator, type Emulator, type EmulatorOptions } from "../../emulator/index.ts";
import { SplunkClient, type SplunkConnectionOptions } from "../../sidecar/splunk/sdk.ts";
import { Transport } from "../../sidecar/http/transport.ts";
import { CA_FILE, TLS } from "../splunk/target.ts";

export { CA_FILE, TLS, UNTRUSTED_TLS } from "../splunk/target.ts";

/** The HEC token the emulator accepts (indexer acknowledgement on). */
export const HEC_TOKEN = "22222222-2222-2222-2222-222222222222";

/** One event to seed: `_time` (epoch seconds) and `_raw`. */
export interface SeedRow {
  time: number;
  raw: string;
}

export interface SeedOptions {
  sourcetype: string;
  /** The events' `source`: the tests give each run a unique one, so a shared real index stays separable. */
  source: string;
}

export interface Target {
  label: string;
  /** Management port URL. */
  url: string;
  auth: { username: string; password: string } | { token: string };
  hecUrl: string;
  hecToken: string;
  /** Whether the HEC token has indexer acknowledgement on (the sidecar's `hec.ack`). */
  hecAck: boolean;
  caFile?: string;
  verifyTls: boolean;
  /** Index the seeded network events go to. */
  index: string;
  /** Index the sidecar writes risk and run events to. */
  riskIndex: string;
  /** The target's clock, epoch ms (what `_indextime` is stamped with). */
  now(): number;
  /** Adds events with `_indextime` = now and resolves once they are searchable and their index second is past. */
  seed(rows: SeedRow[], o: SeedOptions): Promise<void>;
  /** Present on the emulator: faults, request log, settings. */
  emulator?: Emulator;
  stop(): Promise<void>;
}

export function connection(t: Target, extra: Partial<SplunkConnectionOptions> = {}): SplunkConnectionOptions {
  return {
    url: t.url,
    auth: "token" in t.auth ? { kind: "token", token: t.auth.token } : { kind: "password", ...t.auth },
    caFile: t.caFile,
    verifyTls: t.verifyTls,
    timeoutMs: 15_000,
    app: "search",
    ...extra,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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

/** A fresh emulator over HTTPS with the test certificate, a HEC token with acknowledgement, fast jobs and acks. */
export async function emulatorTarget(options: EmulatorTargetOptions = {}): Promise<Target> {
  const { start = true, ...rest } = options;
  const emu = createEmulator({ tls: TLS, jobDelayMs: 10, ackDelayMs: 10, hecTokens: [{ token: HEC_TOKEN, name: "e2e", useAck: true }], ...rest });
  if (start) await emu.start();
  else if (typeof rest.port !== "number" || typeof rest.hecPort !== "number") throw new Error("an emulator started later needs fixed ports");
  const t: Target = {
    label: "the emulator",
    url: start ? emu.url : `https://127.0.0.1:${rest.port}`,
    auth: { username: "admin", password: "changeme" },
    hecUrl: start ? emu.hecUrl : `https://127.0.0.1:${rest.hecPort as number}`,
    hecToken: HEC_TOKEN,
    hecAck: true,
    caFile: CA_FILE,
    verifyTls: true,
    index: "netflow",
    riskIndex: "soc_risk",
    now: emu.now,
    emulator: emu,
    async seed(rows, o) {
      const text = rows.map((r) => r.raw).join("\n");
      const before = Math.floor(emu.now() / 1000);
      const n = emu.seed(text, { index: t.index, sourcetype: o.sourcetype, source: o.source, host: "sensor-1" });
      if (n !== rows.length) throw new Error(`seeded ${n} of ${rows.length} rows`);
      await passSecond(Math.max(before, Math.floor(emu.now() / 1000)), emu.now);
    },
    stop: () => emu.stop(),
  };
  return t;
}

/** Why the real-Splunk run is skipped, or undefined when the environment names one. */
export function realTargetMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing = [
    !env.SPLUNK_URL && "SPLUNK_URL",
    !env.SPLUNK_TOKEN && !(env.SPLUNK_USERNAME && env.SPLUNK_PASSWORD) && "SPLUNK_USERNAME and SPLUNK_PASSWORD (or SPLUNK_TOKEN)",
    !env.SPLUNK_HEC_URL && "SPLUNK_HEC_URL",
    !env.SPLUNK_HEC_TOKEN && "SPLUNK_HEC_TOKEN",
  ].filter((m): m is string => typeof m === "string");
  if (missing.length === 0) return undefined;
  return `runs against a real Splunk when these are set: ${missing.join(", ")} (optional: SPLUNK_CA_FILE, SPLUNK_VERIFY_TLS=false, SPLUNK_INDEX, SPLUNK_RISK_INDEX, SPLUNK_HEC_ACK=false)`;
}

/** A real Splunk from the environment (check `realTargetMissing` first). Seeds through HEC. */
export function realTarget(env: NodeJS.ProcessEnv = process.env): Target {
  const username = env.SPLUNK_USERNAME;
  const password = env.SPLUNK_PASSWORD;
  const t: Target = {
    label: `Splunk at ${env.SPLUNK_URL}`,
    url: env.SPLUNK_URL!,
    auth: username && password ? { username, password } : { token: env.SPLUNK_TOKEN! },
    hecUrl: env.SPLUNK_HEC_URL!,
    hecToken: env.SPLUNK_HEC_TOKEN!,
    hecAck: env.SPLUNK_HEC_ACK !== "false",
    caFile: env.SPLUNK_CA_FILE,
    verifyTls: env.SPLUNK_VERIFY_TLS !== "false",
    index: env.SPLUNK_INDEX ?? "netflow",
    riskIndex: env.SPLUNK_RISK_INDEX ?? "soc_risk",
    now: Date.now,
    async seed(rows, o) {
      const client = new SplunkClient(connection(t));
      const transport = new Transport({ caFile: t.caFile, verifyTls: t.verifyTls, timeoutMs: 30_000, maxReplyBytes: Infinity });
      try {
        await client.createIndex(t.index);
        const base = t.hecUrl.replace(/\/services\/collector.*$/, "").replace(/\/+$/, "");
        const channel = randomUUID();
        for (let i = 0; i < rows.length; i += 500) {
          const body = rows
            .slice(i, i + 500)
            .map((r) => JSON.stringify({ time: r.time, index: t.index, sourcetype: o.sourcetype, source: o.source, host: "sensor-1", event: r.raw }))
            .join("\n");
          const headers = { Authorization: `Splunk ${t.hecToken}`, "X-Splunk-Request-Channel": channel, "Content-Type": "application/json" };
          const r = await transport.request(`${base}/services/collector/event`, { method: "POST", headers, body });
          if (r.status !== 200) throw new Error(`HEC answered ${r.status} while seeding: ${r.body.toString()}`);
        }
        const spl = `search index=${t.index} source="${o.source}" | stats count`;
        for (let i = 0; i < 120; i++) {
          const job = await client.createJob(spl, { earliest_time: "0", max_count: 10 });
          await client.waitForJob(job, { pollMs: 200 });
          const page = await client.results(job, 0, 1);
          await client.removeJob(job);
          if (Number(page.results?.[0]?.count ?? 0) >= rows.length) {
            await passSecond(Math.floor(Date.now() / 1000));
            return;
          }
          await sleep(1000);
        }
        throw new Error(`the ${rows.length} seeded events did not become searchable within two minutes`);
      } finally {
        client.close();
        transport.close();
      }
    },
    stop: () => Promise.resolve(),
  };
  return t;
}
