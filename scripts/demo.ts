/**
 * `npm run demo`: the Splunk loop end to end on one machine. Starts the Splunk emulator (HTTPS with the test
 * CA) seeded with the bundled sample as `index=netflow sourcetype=zeek:conn`, runs the sidecar once through
 * the real Splunk path (splunk-sdk search, HEC write with acknowledgement into `soc_risk`), then searches
 * `index=soc_risk` through the SDK and prints the top risk events found there.
 *
 * The emulator is a test instrument, not Splunk (README, "Testing without Splunk").
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createEmulator, DEFAULT_HEC_TOKEN, parseZeek } from "../emulator/index.ts";
import { parseConfig } from "../sidecar/config/load.ts";
import { Sidecar } from "../sidecar/service/sidecar.ts";
import { configureLogging } from "../sidecar/telemetry/log.ts";
import { SplunkClient } from "../sidecar/splunk/sdk.ts";

const tls = "test/fixtures/tls";
const emu = createEmulator({
  tls: { cert: readFileSync(join(tls, "server.pem"), "utf8"), key: readFileSync(join(tls, "server-key.pem"), "utf8") },
  hecTokens: [{ token: DEFAULT_HEC_TOKEN, useAck: true }],
  jobDelayMs: 50,
  ackDelayMs: 50,
});
await emu.start();
// The sample's flows happened in 2018-2022; replay them as the last ten minutes of traffic.
const events = parseZeek(readFileSync("data/sample/conn.sample.log", "utf8"), { index: "netflow", sourcetype: "zeek:conn", host: "zeek-sensor-1" });
const now = Date.now() / 1000;
events.forEach((e, i) => emu.store.append({ ...e, time: now - 600 + (600 * i) / events.length }));
console.log(`Splunk emulator at ${emu.url} (HEC ${emu.hecUrl}), seeded ${events.length} Zeek events into index=netflow`);
// Windows end at now - lag_seconds (exclusive, whole seconds): let the seeding second pass.
await new Promise((r) => setTimeout(r, 1100));

const state = mkdtempSync(join(tmpdir(), "soc-demo-"));
const ca = resolve(tls, "ca.pem");
const config = parseConfig(
  {
    source: { type: "splunk" },
    splunk: {
      url: emu.url,
      username: "admin",
      password: "changeme",
      ca_file: ca,
      searches: [{ name: "zeek_conn", query: "index=netflow sourcetype=zeek:conn" }],
      lag_seconds: 0,
      page_size: 1000,
    },
    sink: { type: "splunk_hec", min_risk_score: 20 },
    hec: { url: emu.hecUrl, token: DEFAULT_HEC_TOKEN, index: "soc_risk", create_index: true, ca_file: ca },
    model: { registry_dir: resolve("models"), name: "zeek-conn" },
    state_dir: state,
    api: { enabled: false },
    logging: { level: "warn" },
  },
  "demo",
);
configureLogging(config.logging);
const service = new Sidecar(config);
await service.start({ once: true });
await service.shutdown();

const client = new SplunkClient({ url: emu.url, auth: { kind: "password", username: "admin", password: "changeme" }, caFile: ca, timeoutMs: 10_000 });
await client.connect();
const job = await client.createJob("search index=soc_risk sourcetype=soc_assistant:risk | sort - risk_score | head 10", {});
await client.waitForJob(job);
const page = await client.results(job, 0, 10);
const count = await client.createJob("search index=soc_risk sourcetype=soc_assistant:risk | stats count by risk_band", {});
await client.waitForJob(count);
const bands = await client.results(count, 0, 10);
await client.removeJob(job);
await client.removeJob(count);
client.close();

console.log(`\nRisk events in index=soc_risk by band: ${(bands.results as Record<string, unknown>[]).map((r) => `${String(r.risk_band)} ${String(r.count)}`).join(", ")}`);
console.log("Top 10 risk events found in Splunk (index=soc_risk | sort - risk_score):");
for (const r of page.results as Record<string, unknown>[]) {
  console.log(`  ${String(r.risk_score).padStart(3)} ${String(r.risk_band).padEnd(9)} ${String(r.src_ip)} -> ${String(r.dest_ip)}:${String(r.dest_port)}  ${String(r.explanation)}`);
}
await emu.stop();
