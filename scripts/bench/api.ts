/**
 * `npm run bench:api`: drives POST /api/v1/score on loopback from 64 concurrent keep-alive connections
 * against a real sidecar child process (the embedded default config, API with a token), bounded in count and
 * time, with malformed and oversize requests mixed in (about 1 in 50 each), and samples the server's RSS.
 *
 * Prints one JSON line for batches of 100 events, then, as its last line, one for single events, each with
 * batch, connections, requests, requests_per_second, p50_ms, p99_ms, errors_5xx, other_errors, rejected_4xx,
 * rss_start_mb, peak_rss_mb, rss_end_mb, load_avg (1 min, at the end; the machine is shared).
 *
 * Flags: --seconds <s per phase> (default 10), --requests <max per phase> (default 100000), --connections (64).
 * BENCH_PROF=<dir> writes the sidecar's CPU profiles there (node --cpu-prof).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Agent, request } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { seconds: { type: "string" }, requests: { type: "string" }, connections: { type: "string" } } });
const SECONDS = Number(values.seconds ?? 10);
const MAX_REQUESTS = Number(values.requests ?? 100_000);
const CONNECTIONS = Number(values.connections ?? 64);
const TOKEN = "bench-token";

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

const sampleLines = readFileSync("data/sample/conn.sample.log", "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
function event(i: number): Record<string, string> {
  const f = sampleLines[i % sampleLines.length]!.split("\t");
  const e: Record<string, string> = { src_ip: f[2]!, src_port: f[3]!, dest_ip: f[4]!, dest_port: f[5]!, transport: f[6]!, app: f[7]!, duration: f[8]!, bytes_out: f[9]!, bytes_in: f[10]!, conn_state: f[11]!, history: f[15]!, packets_out: f[16]!, packets_in: f[18]! };
  // Zeek's "-" is a missing value: left out, as the file source does.
  for (const [k, v] of Object.entries(e)) if (v === "-" || v === "(empty)") delete e[k];
  return e;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-api-"));
  const cfg = join(dir, "config.yaml");
  writeFileSync(
    cfg,
    [
      `source: {type: file, file: {paths: [${JSON.stringify(resolve("data/sample/conn.sample.log"))}]}}`,
      `sink: {type: file, file: {path: ${JSON.stringify(join(dir, "risk.jsonl"))}, runs_path: ${JSON.stringify(join(dir, "runs.jsonl"))}}}`,
      `model: {registry_dir: ${JSON.stringify(resolve("models"))}}`,
      `schedule: {scoring_cron: "0 0 1 1 *", run_on_start: false}`,
      `state_dir: ${JSON.stringify(join(dir, "var"))}`,
      `api: {port: 0, token: ${TOKEN}, max_body_bytes: 262144}`,
      `logging: {level: info}`,
    ].join("\n"),
  );
  const child = spawn(process.execPath, [...(process.env.BENCH_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), "bin/soc-assistant.mjs", "run", "--config", cfg], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((res, rej) => {
    const t = setInterval(() => {
      const m = /url=http:\/\/127\.0\.0\.1:(\d+)/.exec(err);
      if (m) {
        clearInterval(t);
        res(Number(m[1]));
      }
    }, 50);
    child.once("exit", (c) => rej(new Error(`sidecar exited (${c}): ${err}`)));
  });
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const post = (body: string): Promise<number> =>
    new Promise((res) => {
      const req = request(
        { host: "127.0.0.1", port, path: "/api/v1/score", method: "POST", agent, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
        (r) => {
          r.resume();
          r.on("end", () => res(r.statusCode ?? 0));
        },
      );
      req.on("error", () => res(-1));
      req.end(body);
    });
  // Wait for readiness (the model loads after the API listens).
  for (let i = 0; i < 600; i++) {
    const s = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status).catch(() => 0);
    if (s === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const malformed = '{"events": [{"src_ip": ';
  const oversize = JSON.stringify({ events: [{ note: "x".repeat(300_000) }] });

  async function phase(batch: number): Promise<Record<string, unknown>> {
    const bodies = Array.from({ length: 64 }, (_, k) => JSON.stringify({ events: Array.from({ length: batch }, (_, j) => event(k * batch + j)) }));
    // Warm-up.
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, k) => post(bodies[k % bodies.length]!)));
    const lat: number[] = [];
    let n = 0;
    let e5 = 0;
    let e4 = 0;
    let other = 0;
    const rss0 = rssMb(child.pid!);
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child.pid!))), 200);
    const t0 = performance.now();
    const end = t0 + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, c) => {
        for (let i = c; performance.now() < end && n < MAX_REQUESTS; i += CONNECTIONS) {
          n++;
          const kind = i % 50 === 7 ? "bad" : i % 50 === 23 ? "big" : "ok";
          const s0 = performance.now();
          const status = await post(kind === "bad" ? malformed : kind === "big" ? oversize : bodies[i % bodies.length]!);
          if (kind === "ok") lat.push(performance.now() - s0);
          if (status >= 500) e5++;
          else if (status >= 400) e4++;
          else if (status !== 200) other++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    lat.sort((a, b) => a - b);
    const q = (p: number) => Number(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(2));
    return {
      batch,
      connections: CONNECTIONS,
      requests: n,
      seconds: Number(seconds.toFixed(2)),
      requests_per_second: Math.round(n / seconds),
      events_per_second: Math.round((lat.length * batch) / seconds),
      p50_ms: q(0.5),
      p99_ms: q(0.99),
      errors_5xx: e5,
      rejected_4xx: e4,
      other_errors: other,
      rss_start_mb: rss0,
      peak_rss_mb: peak,
      rss_end_mb: rssMb(child.pid!),
      load_avg: Number(loadavg()[0]!.toFixed(2)),
      alive: child.exitCode === null,
    };
  }

  try {
    console.log(JSON.stringify(await phase(100)));
    console.log(JSON.stringify(await phase(1)));
  } finally {
    agent.destroy();
    child.kill("SIGTERM");
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
