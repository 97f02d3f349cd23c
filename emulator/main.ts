// `npm run emulator -- [options]`: runs the Splunk emulator standalone and prints its URLs.
// A test instrument, not a Splunk: see docs/adr/0007-splunk-emulator.md.

import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createEmulator, DEFAULT_HEC_TOKEN, type EmulatorOptions } from "./emulator.ts";
import type { HecTokenConfig } from "./hec.ts";
import { parseSeed } from "./seed.ts";

const USAGE = `Usage: npm run emulator -- [options]
  --port N              management API port (default 8089; 0 = any free port)
  --hec-port N|shared   HEC port (default 8088), or "shared" to serve HEC on the management port
  --host ADDR           listen address (default 127.0.0.1)
  --https               serve HTTPS with the test certificate (test/fixtures/tls), or --cert/--key
  --cert FILE --key FILE  PEM certificate and key for --https
  --version V           version reported by server/info (default 9.4.3; < 9.0.2 makes the SDK use v1 search paths)
  --user NAME:PASSWORD  a user (repeatable; default admin:changeme)
  --token TOKEN[:USER]  a bearer token for the management API (repeatable)
  --hec-token TOKEN     a HEC token (repeatable; default ${DEFAULT_HEC_TOKEN})
  --hec-ack             HEC tokens require indexer acknowledgement
  --ack-delay-ms N      time before an ackId reads true (default 0)
  --seed FILE           JSON lines or a Zeek TSV log (conn.log) to load (repeatable)
  --index NAME          index for --seed events without one (default main)
  --sourcetype ST       sourcetype for --seed events (default: zeek:<path> or _json)
  --generate N          replay the seeded events as a generator of N events ending now, instead of storing them
  --rate N              generated events per second of _time (default 100)
  --job-delay-ms N      minimum time from job creation to DONE (default 0)
  --session-timeout-ms N  session idle timeout (default 3600000)
  --max-concurrent N    searches allowed to run at once before 503
Admin (no auth): GET /__emulator/requests, POST /__emulator/faults {"fault":"hecBusy","count":3}, POST /__emulator/events, GET /__emulator/status`;

function fail(msg: string): never {
  process.stderr.write(`emulator: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) fail(`--${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

async function main(): Promise<void> {
  let a;
  try {
    a = parseArgs({
      options: {
        port: { type: "string" },
        "hec-port": { type: "string" },
        host: { type: "string" },
        https: { type: "boolean" },
        cert: { type: "string" },
        key: { type: "string" },
        version: { type: "string" },
        user: { type: "string", multiple: true },
        token: { type: "string", multiple: true },
        "hec-token": { type: "string", multiple: true },
        "hec-ack": { type: "boolean" },
        "ack-delay-ms": { type: "string" },
        seed: { type: "string", multiple: true },
        index: { type: "string" },
        sourcetype: { type: "string" },
        generate: { type: "string" },
        rate: { type: "string" },
        "job-delay-ms": { type: "string" },
        "session-timeout-ms": { type: "string" },
        "max-concurrent": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  if (a.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const fixtures = join(here, "..", "test", "fixtures", "tls");
  let tls: EmulatorOptions["tls"];
  if (a.https || a.cert || a.key) {
    if ((a.cert === undefined) !== (a.key === undefined)) fail("--cert and --key go together");
    tls = { cert: readFileSync(a.cert ?? join(fixtures, "server.pem")), key: readFileSync(a.key ?? join(fixtures, "server-key.pem")) };
  }
  const users = (a.user ?? []).map((u) => {
    const i = u.indexOf(":");
    if (i <= 0) fail(`--user must be NAME:PASSWORD, got "${u}"`);
    return { name: u.slice(0, i), password: u.slice(i + 1) };
  });
  const tokens = (a.token ?? []).map((t) => {
    const i = t.lastIndexOf(":");
    return i > 0 ? { token: t.slice(0, i), user: t.slice(i + 1) } : { token: t, user: users[0]?.name ?? "admin" };
  });
  const hecTokens: HecTokenConfig[] = (a["hec-token"] ?? [DEFAULT_HEC_TOKEN]).map((token) => ({ token, name: "emulator", useAck: a["hec-ack"] ?? false }));
  const hecPortArg = a["hec-port"];
  const emu = createEmulator({
    host: a.host,
    port: int(a.port, "port") ?? 8089,
    hecPort: hecPortArg === "shared" ? "shared" : (int(hecPortArg, "hec-port") ?? 8088),
    tls,
    version: a.version,
    users: users.length ? users : undefined,
    tokens,
    hecTokens,
    ackDelayMs: int(a["ack-delay-ms"], "ack-delay-ms"),
    jobDelayMs: int(a["job-delay-ms"], "job-delay-ms"),
    sessionTimeoutMs: int(a["session-timeout-ms"], "session-timeout-ms"),
    maxConcurrentSearches: int(a["max-concurrent"], "max-concurrent"),
  });
  const generate = int(a.generate, "generate");
  for (const file of a.seed ?? []) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      fail(`cannot read --seed ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const defaults = { index: a.index, sourcetype: a.sourcetype, source: basename(file) };
    if (generate !== undefined) {
      const sample = parseSeed(text, defaults);
      if (sample.length > 0) emu.generate({ sample, count: generate, index: a.index, ratePerSecond: int(a.rate, "rate") ?? 100 });
      process.stdout.write(`generator: ${generate} events replaying ${sample.length} from ${file}\n`);
    } else process.stdout.write(`seeded ${emu.seed(text, defaults)} events from ${file}\n`);
  }
  await emu.start();
  process.stdout.write(`Splunk emulator ${emu.settings.version}\n  management: ${emu.url}\n  hec:        ${emu.hecUrl}\n`);
  const stop = () => {
    void emu.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`emulator: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
