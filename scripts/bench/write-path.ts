// The write path alone, in one process, no network: the bundled Zeek sample as the Splunk source gives it
// (string fields, a Splunk origin), scored and explained once on the main thread (not measured), then per
// event, on the main thread: risk event build + HEC encode (the pipeline's and the sink's work), and gzip of
// the posts at each level against wire bytes. Prints µs per event; CPU time, not wall, so a shared machine
// blurs it less.
//
//   node --import tsx scripts/bench/write-path.ts [--events 200000] [--levels 0,1,2,3,6]
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import type { NetEvent } from "../../sidecar/sources/event.ts";
import { readFile } from "../../sidecar/sources/file/index.ts";
import { loadScoringModel } from "../../sidecar/scoring/load.ts";
import { initBackend } from "../../sidecar/tf/backend.ts";
import { riskBand, riskScore } from "../../sidecar/scoring/risk.ts";
import { buildRiskEvent, RiskEventWriter, type RiskContext } from "../../sidecar/pipeline/risk-event.ts";
import { eventId } from "../../sidecar/sources/event-id.ts";
import { Encoder, splitTime } from "../../sidecar/sinks/hec/encode.ts";
import type { RiskEvent, TopFeature } from "../../sidecar/contract/index.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values: a } = parseArgs({ options: { events: { type: "string", default: "200000" }, levels: { type: "string", default: "0,1,2,3,6" } } });
const N = Number(a.events);

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const sample: NetEvent[] = [];
for await (const b of readFile({ file: join(ROOT, "data/sample/conn.sample.log"), format: "zeek" } as never)) for (const e of b.events) sample.push(e);
// As the Splunk source gives them: every value a string, a Splunk origin whose raw is the line.
const events: NetEvent[] = sample.map((e, i) => ({
  fields: Object.fromEntries(Object.entries(e.fields).map(([k, v]) => [k, String(v)])),
  time: e.time,
  origin: { kind: "splunk", index: "netflow", sourcetype: "zeek:conn", host: "sensor-1", source: "/var/log/zeek/conn.log", cd: `1:${i}`, time: e.time ?? 0, raw: (e.origin as { raw: string }).raw },
}));
await initBackend("wasm");
const model = await loadScoringModel({ registryDir: join(ROOT, "models"), ref: "zeek-conn", backend: "wasm", workers: 0 });
const x = new Float32Array(events.length * model.width);
for (let i = 0; i < events.length; i++) model.featurize(events[i]!.fields, x, i * model.width);
const { probs, keep, tops } = await model.assess(x, events.length, 0, events);
await model.close();
const ctx: RiskContext = {
  runId: "0b0c6f0e-5a0b-4b8e-9a56-6a4f3cf2b8a1",
  scoredAt: new Date().toISOString(),
  model: { name: model.name, kind: model.kind, version: model.version, featureSchema: model.featureSchema, threshold: model.threshold },
  riskObjectField: "src_ip",
  threatObjectField: "dest_ip",
};
const rows = Array.from(keep);
const enc = new Encoder<RiskEvent>({
  envelope: { host: "sidecar", source: "soc-assistant", sourcetype: "soc_assistant:risk", index: "soc_risk" },
  format: splitTime,
  maxEvents: 1000,
  maxBytes: 1_000_000,
  onDrop: () => undefined,
});

const per = (s: number) => ((s * 1e6) / N).toFixed(2);
const results: Record<string, string> = {};
// Warm up, then measure build + encode, batches of 1000 as the pipeline makes them.
function buildEncode(n: number): Buffer[] {
  const bodies: Buffer[] = [];
  for (let start = 0; start < n; start += 1000) {
    const out: RiskEvent[] = [];
    for (let k = start; k < Math.min(n, start + 1000); k++) {
      const j = k % rows.length;
      const row = rows[j]!;
      const p = probs[row]!;
      const s = riskScore(p);
      out.push(buildRiskEvent(events[row]!, p, s, riskBand(s), tops[j] as TopFeature[], ctx));
    }
    for (const post of enc.posts(out)) bodies.push(post.body);
  }
  return bodies;
}
const writer = new RiskEventWriter(ctx);
function writeEncode(n: number): Buffer[] {
  const bodies: Buffer[] = [];
  for (let start = 0; start < n; start += 1000) {
    const m = Math.min(n, start + 1000) - start;
    const ids = new Array<string>(m);
    const time = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      const e = events[rows[(start + k) % rows.length]!]!;
      ids[k] = eventId(e);
      time[k] = writer.time(e);
    }
    const json = (k: number): string => {
      const j = (start + k) % rows.length;
      const row = rows[j]!;
      const p = probs[row]!;
      const s = riskScore(p);
      return writer.json(events[row]!, p, s, riskBand(s), tops[j] as TopFeature[], ids[k]);
    };
    for (const post of enc.serializedPosts({ length: m, json, time, ids })) bodies.push(post.body);
  }
  return bodies;
}
if (!process.env.ONLY_WRITER) buildEncode(20_000);
writeEncode(20_000);
let t = cpu();
const bodies = process.env.ONLY_WRITER ? [] : buildEncode(N);
results.build_encode_us = per(cpu() - t);
t = cpu();
const bodies2 = writeEncode(N);
results.writer_encode_us = per(cpu() - t);
results.same_bytes = String(bodies.length === bodies2.length && bodies.every((b, i) => b.equals(bodies2[i]!)));
const raw = bodies.reduce((s, b) => s + b.length, 0);
results.bytes_per_event = (raw / N).toFixed(0);
for (const level of a.levels.split(",").map(Number)) {
  t = cpu();
  let wire = 0;
  for (const b of bodies) wire += gzipSync(b, { level, chunkSize: 256 * 1024 }).length;
  results[`gzip${level}_us`] = per(cpu() - t);
  results[`gzip${level}_bytes`] = (wire / N).toFixed(0);
}
void readFileSync;
if (process.env.DUMP) (await import("node:fs")).writeFileSync(process.env.DUMP, JSON.stringify(bodies2.map((b) => b.toString())));
if (process.env.PEEK) process.stdout.write(bodies[0]!.toString().split("\n").slice(0, Number(process.env.PEEK)).join("\n") + "\n");
process.stdout.write(JSON.stringify(results) + "\n");
