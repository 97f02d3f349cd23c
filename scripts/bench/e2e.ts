// `npm run bench:e2e`: events through the Splunk emulator → the sidecar (`run --once`, its own process) → back
// into the emulator through HEC, end to end, at several sizes.
//
// Per size: the emulator starts as its own process in generator mode (the bundled Zeek sample replayed with
// shifted times, nothing stored per event), HTTPS, HEC tokens with indexer acknowledgement; a temporary config
// points the sidecar at it with `sink.min_risk_score: 0` (every event is written); the sidecar runs once as a
// child process. Measured: wall time from the sidecar's spawn to its exit, its peak RSS and CPU time (its own
// `process.resourceUsage()` at exit, worker threads included, written by `e2e-rusage.mjs`), the emulator's CPU
// time over the same span (`/proc/<pid>/stat`), and the sidecar's time split from the `soc_assistant:run`
// events it wrote (pull, featurize, score, explain+write). Then the emulator is asked how many risk events it
// indexed and how many distinct `event_id`s they have: both must equal the events pulled and generated.
//
// Options: --sizes 1000000,4000000  --repeat 1  --rate 2000 (generated events per second of _time)
//          --window-seconds N (splunk.max_window_seconds; default: 250 000 events per window)
//          --page-size N (splunk.page_size)  --batch-max-events N  --max-in-flight N (hec)
//          --workers N (model.workers)  --backend wasm  --http (plain HTTP)  --no-ack  --keep (keep temp dirs)
//          --profile (CPU profiles of both processes into the kept temp dir; implies --keep)
//          --threads (the sidecar's CPU time per thread name, polled every 200 ms)
// SOC_BENCH_SIDECAR_NODE_ARGS adds node options to the sidecar's command line (e.g. --trace-gc).
// The last line printed is one JSON object with the figures.

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SAMPLE = join(ROOT, "data", "sample", "conn.sample.log");
const TLS = join(ROOT, "test", "fixtures", "tls");
const HEC_TOKEN = "11111111-1111-1111-1111-111111111113";
const INDEX = "netflow";
const RISK_INDEX = "soc_risk";
const CLK_TCK = 100;

const { values: a } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000000,4000000" },
    repeat: { type: "string", default: "1" },
    rate: { type: "string", default: "2000" },
    "window-seconds": { type: "string" },
    "page-size": { type: "string" },
    "batch-max-events": { type: "string" },
    "max-in-flight": { type: "string" },
    workers: { type: "string" },
    backend: { type: "string", default: "wasm" },
    http: { type: "boolean", default: false },
    "no-ack": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    threads: { type: "boolean", default: false },
  },
});

const sizes = a.sizes.split(",").map((s) => Number(s.replace(/_/g, "")));
const repeat = Number(a.repeat);
const rate = Number(a.rate);
const https = !a.http;
const ack = !a["no-ack"];
const windowSeconds = a["window-seconds"] !== undefined ? Number(a["window-seconds"]) : Math.max(1, Math.floor(250_000 / rate));
const ca = readFileSync(join(TLS, "ca.pem"));

interface Proc {
  child: ChildProcess;
  out: string;
}

function startProc(args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const p: Proc = { child, out: "" };
  child.stdout!.on("data", (c: Buffer) => (p.out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (p.out += c.toString()));
  return p;
}

/** utime + stime of a live process (or one of its threads), seconds. */
function cpuSeconds(pid: number, path = `/proc/${pid}/stat`): number {
  const stat = readFileSync(path, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

function statusKb(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

async function waitFor(p: Proc, re: RegExp, ms: number): Promise<RegExpExecArray> {
  const until = Date.now() + ms;
  for (;;) {
    const m = re.exec(p.out);
    if (m) return m;
    if (p.child.exitCode !== null) throw new Error(`process exited (${p.child.exitCode}):\n${p.out}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${re}:\n${p.out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One REST call to the emulator's management port (basic auth), JSON reply. */
function rest(base: string, path: string, form: Record<string, string>): Promise<unknown> {
  const body = new URLSearchParams(form).toString();
  const u = new URL(path, base);
  return new Promise((resolveP, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      u,
      {
        method: "POST",
        ca,
        headers: {
          Authorization: `Basic ${Buffer.from("admin:changeme").toString("base64")}`,
          "Content-Type": "application/x-www-form-urlencoded",
          "Content-Length": Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`${path}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          else resolveP(JSON.parse(text));
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function oneshot(base: string, search: string): Promise<Record<string, string>[]> {
  const r = (await rest(base, "/services/search/jobs", { search, exec_mode: "oneshot", output_mode: "json", count: "0" })) as { results: Record<string, string>[] };
  return r.results;
}

interface RunEvent {
  events_pulled: number;
  events_written: number;
  events_rejected: number;
  duration_seconds: number;
  committed: boolean;
  error: string | null;
  seconds: { pull?: number; featurize: number; score: number; explain_write: number };
}

interface Result {
  events: number;
  wall_seconds: number;
  events_per_second: number;
  peak_rss_mb: number;
  sidecar_cpu_seconds: number;
  emulator_cpu_seconds: number;
  emulator_peak_rss_mb: number;
  cpu_us_per_event: number;
  sidecar_cpu_us_per_event: number;
  emulator_cpu_us_per_event: number;
  runs: number;
  run_seconds: number;
  /** Per stage, summed over the runs; `other` is the rest of the runs' time (flush and ack waits, job creation). */
  split_seconds: { pull: number; featurize: number; score: number; explain_write: number; other: number };
  /** Wall time outside the runs: process start, backend and model loading, readiness checks, exit. */
  startup_seconds: number;
  /** 1-minute load average of the machine before and after the run (2 cores: above 2 means others were running). */
  load: [number, number];
  indexed: number;
  distinct_ids: number;
  verify_seconds: number;
  ok: boolean;
}

function round(x: number, d = 2): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

async function runOne(n: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), "soc-e2e-"));
  const emuArgs = [
    "--import", "tsx", join(ROOT, "emulator", "main.ts"),
    "--port", "0", "--hec-port", "0",
    "--seed", SAMPLE, "--index", INDEX, "--generate", String(n), "--rate", String(rate),
    "--hec-token", HEC_TOKEN,
  ];
  if (a.profile) emuArgs.unshift("--cpu-prof", `--cpu-prof-dir=${join(dir, "prof-emulator")}`);
  if (https) emuArgs.push("--https");
  if (ack) emuArgs.push("--hec-ack");
  const emu = startProc(emuArgs);
  try {
    const mgmt = (await waitFor(emu, /management: (\S+)/, 60_000))[1];
    const hecUrl = (await waitFor(emu, /hec:\s+(\S+)/, 60_000))[1];
    const emuPid = emu.child.pid!;
    const span = Math.ceil(n / rate);
    const config = {
      source: { type: "splunk" },
      sink: { type: "splunk_hec", min_risk_score: 0 },
      splunk: {
        url: mgmt,
        username: "admin",
        password: "changeme",
        ...(https ? { ca_file: join(TLS, "ca.pem") } : {}),
        searches: [{ name: "bench", query: `index=${INDEX} sourcetype=zeek:conn` }],
        lag_seconds: 0,
        initial_lookback_seconds: span + 120,
        max_window_seconds: windowSeconds,
        ...(a["page-size"] ? { page_size: Number(a["page-size"]) } : {}),
      },
      hec: {
        url: hecUrl,
        token: HEC_TOKEN,
        index: RISK_INDEX,
        create_index: true,
        ack,
        ...(https ? { ca_file: join(TLS, "ca.pem") } : {}),
        ...(a["batch-max-events"] ? { batch_max_events: Number(a["batch-max-events"]) } : {}),
        ...(a["max-in-flight"] ? { max_in_flight: Number(a["max-in-flight"]) } : {}),
      },
      model: { registry_dir: join(ROOT, "models"), name: "zeek-conn", backend: a.backend, ...(a.workers ? { workers: Number(a.workers) } : {}) },
      api: { enabled: false },
      state_dir: join(dir, "var"),
      logging: { level: "info", format: "json" },
    };
    const cfgPath = join(dir, "config.yaml");
    // JSON is YAML.
    writeFileSync(cfgPath, JSON.stringify(config, null, 2));
    const rusageFile = join(dir, "rusage.json");

    const load0 = loadavg()[0]!;
    const emuCpu0 = cpuSeconds(emuPid);
    const t0 = performance.now();
    const side = startProc(
      [
        ...(a.profile ? ["--cpu-prof", `--cpu-prof-dir=${join(dir, "prof-sidecar")}`] : []),
        ...(process.env.SOC_BENCH_SIDECAR_NODE_ARGS ?? "").split(" ").filter(Boolean),
        "--import", join(ROOT, "scripts", "bench", "e2e-rusage.mjs"), join(ROOT, "bin", "soc-assistant.mjs"), "run", "--config", cfgPath, "--once",
      ],
      { ...process.env, SOC_BENCH_RUSAGE_FILE: rusageFile },
    );
    let polledPeakKb = 0;
    /** Last CPU seconds seen per thread of the sidecar, by thread name. */
    const threads = new Map<string, { name: string; cpu: number }>();
    const poll = setInterval(() => {
      const pid = side.child.pid!;
      try {
        polledPeakKb = Math.max(polledPeakKb, statusKb(pid, "VmHWM"));
        if (a.threads) {
          for (const tid of readdirSync(`/proc/${pid}/task`)) {
            const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
            const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
            threads.set(tid, { name: `${tid}@${f[19]}`, cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK });
          }
        }
      } catch {
        /* exited */
      }
    }, 200);
    const [code] = (await once(side.child, "exit")) as [number | null];
    const wall = (performance.now() - t0) / 1000;
    const load1 = loadavg()[0]!;
    clearInterval(poll);
    if (a.threads) {
      const main = threads.get(String(side.child.pid));
      const others = [...threads].filter(([tid]) => tid !== String(side.child.pid)).map(([, t]) => t.cpu).sort((x, y) => y - x);
      process.stdout.write(`  sidecar threads (CPU s, polled every 200 ms): main ${main?.cpu ?? "?"}, others ${others.filter((c) => c >= 0.05).map((c) => round(c)).join(" ")}\n`);
    }
    const emuCpu = cpuSeconds(emuPid) - emuCpu0;
    if (code !== 0) throw new Error(`sidecar exited with ${code}:\n${side.out.slice(-4000)}`);
    writeFileSync(join(dir, "sidecar.log"), side.out);
    const ru = existsSync(rusageFile) ? (JSON.parse(readFileSync(rusageFile, "utf8")) as { maxRSSKb: number; userUs: number; systemUs: number }) : undefined;
    const peakKb = Math.max(ru?.maxRSSKb ?? 0, polledPeakKb);
    const sideCpu = ru ? (ru.userUs + ru.systemUs) / 1e6 : NaN;

    const tv = performance.now();
    const runs = (await oneshot(mgmt, `search index=${RISK_INDEX} sourcetype="soc_assistant:run"`)).map((r) => JSON.parse(r._raw) as RunEvent);
    const failed = runs.filter((r) => r.error);
    if (failed.length > 0) throw new Error(`runs failed: ${failed.map((r) => r.error).join("; ")}`);
    const pulled = runs.reduce((s, r) => s + r.events_pulled, 0);
    const written = runs.reduce((s, r) => s + r.events_written, 0);
    const split = { pull: 0, featurize: 0, score: 0, explain_write: 0 };
    let runSeconds = 0;
    for (const r of runs) {
      split.pull += r.seconds.pull ?? NaN;
      split.featurize += r.seconds.featurize;
      split.score += r.seconds.score;
      split.explain_write += r.seconds.explain_write;
      runSeconds += r.duration_seconds;
    }
    const [c] = await oneshot(mgmt, `search index=${RISK_INDEX} sourcetype="soc_assistant:risk" | stats count as n, dc(event_id) as ids`);
    const indexed = Number(c?.n ?? 0);
    const ids = Number(c?.ids ?? 0);
    const verifySeconds = (performance.now() - tv) / 1000;
    const emuPeakKb = statusKb(emuPid, "VmHWM");
    const ok = pulled === n && written === n && indexed === n && ids === n;
    if (!ok) process.stdout.write(`  MISMATCH: generated ${n}, pulled ${pulled}, written ${written}, indexed ${indexed}, distinct event_id ${ids}\n`);
    return {
      events: n,
      wall_seconds: round(wall),
      events_per_second: Math.round(n / wall),
      peak_rss_mb: Math.round(peakKb / 1024),
      sidecar_cpu_seconds: round(sideCpu),
      emulator_cpu_seconds: round(emuCpu),
      emulator_peak_rss_mb: Math.round(emuPeakKb / 1024),
      cpu_us_per_event: round(((sideCpu + emuCpu) / n) * 1e6, 1),
      sidecar_cpu_us_per_event: round((sideCpu / n) * 1e6, 1),
      emulator_cpu_us_per_event: round((emuCpu / n) * 1e6, 1),
      runs: runs.length,
      run_seconds: round(runSeconds),
      split_seconds: {
        pull: round(split.pull), featurize: round(split.featurize), score: round(split.score), explain_write: round(split.explain_write),
        other: round(runSeconds - split.pull - split.featurize - split.score - split.explain_write),
      },
      startup_seconds: round(wall - runSeconds),
      load: [round(load0), round(load1)],
      indexed,
      distinct_ids: ids,
      verify_seconds: round(verifySeconds, 1),
      ok,
    };
  } finally {
    if (emu.child.exitCode === null) {
      emu.child.kill("SIGTERM");
      await once(emu.child, "exit");
    }
    if (!a.keep && !a.profile) rmSync(dir, { recursive: true, force: true });
    else process.stdout.write(`  kept ${dir}\n`);
  }
}

function range(xs: number[]): string {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

function median(xs: number[]): number {
  const v = [...xs].sort((x, y) => x - y);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : round((v[m - 1]! + v[m]!) / 2);
}

const cpu = cpus()[0]?.model ?? "unknown";
const cores = availableParallelism();
process.stdout.write(
  `e2e: emulator → sidecar (run --once, own process) → emulator; ${https ? "HTTPS" : "HTTP"}, HEC ack ${ack ? "on" : "off"}, backend ${a.backend}, ` +
    `min_risk_score 0, generated at ${rate}/s of _time, windows of ${windowSeconds} s, page_size ${a["page-size"] ?? "default"}; ` +
    `${cores} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GB, shared with other work (load average ${round(loadavg()[0]!)})\n`,
);
const all: Result[] = [];
for (const n of sizes) {
  for (let i = 0; i < repeat; i++) {
    const r = await runOne(n);
    all.push(r);
    const sp = r.split_seconds;
    process.stdout.write(
      `${n} events: ${r.wall_seconds} s wall, ${r.events_per_second} events/s, sidecar peak RSS ${r.peak_rss_mb} MB; ` +
        `CPU sidecar ${r.sidecar_cpu_seconds} s (${r.sidecar_cpu_us_per_event} µs/event) + emulator ${r.emulator_cpu_seconds} s (${r.emulator_cpu_us_per_event} µs/event) = ${r.cpu_us_per_event} µs/event; ` +
        `${r.runs} runs ${r.run_seconds} s (pull ${sp.pull}, featurize ${sp.featurize}, score ${sp.score}, explain+write ${sp.explain_write}, other ${sp.other}) ` +
        `+ startup/exit ${r.startup_seconds} s; indexed ${r.indexed}, ${r.distinct_ids} distinct event_id: ${r.ok ? "OK" : "MISMATCH"}; ` +
        `emulator peak RSS ${r.emulator_peak_rss_mb} MB; load ${r.load[0]}→${r.load[1]}; verify ${r.verify_seconds} s\n`,
    );
  }
}

const bySize = sizes.map((n) => {
  const rs = all.filter((r) => r.events === n);
  // The run with the median throughput stands for the size; ranges show the spread.
  const eps = median(rs.map((r) => r.events_per_second));
  const mid = rs.reduce((x, y) => (Math.abs(y.events_per_second - eps) < Math.abs(x.events_per_second - eps) ? y : x));
  const cpuUs = median(rs.map((r) => r.cpu_us_per_event));
  return {
    events: n,
    runs: rs.length,
    events_per_second: Math.round(eps),
    events_per_second_range: range(rs.map((r) => r.events_per_second)),
    wall_seconds_range: range(rs.map((r) => r.wall_seconds)),
    peak_rss_mb: Math.max(...rs.map((r) => r.peak_rss_mb)),
    peak_rss_mb_range: range(rs.map((r) => r.peak_rss_mb)),
    sidecar_cpu_seconds: mid.sidecar_cpu_seconds,
    emulator_cpu_seconds: mid.emulator_cpu_seconds,
    cpu_us_per_event: cpuUs,
    sidecar_cpu_us_per_event: median(rs.map((r) => r.sidecar_cpu_us_per_event)),
    sidecar_cpu_us_per_event_range: range(rs.map((r) => r.sidecar_cpu_us_per_event)),
    emulator_cpu_us_per_event: median(rs.map((r) => r.emulator_cpu_us_per_event)),
    cpu_us_per_event_range: range(rs.map((r) => r.cpu_us_per_event)),
    // What the CPU cost allows if every core were busy with this and nothing else.
    cpu_bound_events_per_second: Math.round((cores * 1e6) / cpuUs),
    split_seconds: mid.split_seconds,
    startup_seconds: mid.startup_seconds,
    load_range: range(rs.flatMap((r) => r.load)),
    load_average: round(Math.max(...rs.flatMap((r) => r.load))),
    ok: rs.every((r) => r.ok),
  };
});
const first = bySize[0]!;
const four = bySize.find((s) => s.events === 4_000_000);
const summary = {
  events: first.events,
  events_per_second: first.events_per_second,
  peak_rss_mb: Math.max(...bySize.map((s) => s.peak_rss_mb)),
  ...(four ? { events_4m_per_second: four.events_per_second, cpu_us_per_event_4m: four.cpu_us_per_event } : {}),
  cpu_us_per_event: first.cpu_us_per_event,
  sidecar_cpu_us_per_event: first.sidecar_cpu_us_per_event,
  emulator_cpu_us_per_event: first.emulator_cpu_us_per_event,
  ...(four ? { sidecar_cpu_us_per_event_4m: four.sidecar_cpu_us_per_event } : {}),
  emulator_cpu_seconds: first.emulator_cpu_seconds,
  sidecar_cpu_seconds: first.sidecar_cpu_seconds,
  // The 1-minute load average: the highest seen at the start or end of a run (the machine is shared).
  load_average: Math.max(...bySize.map((s) => s.load_average)),
  load_range: range(all.flatMap((r) => r.load)),
  split_seconds: first.split_seconds,
  sizes: bySize,
  repeat,
  transport: https ? "https" : "http",
  ack,
  backend: a.backend,
  page_size: a["page-size"] ? Number(a["page-size"]) : "default",
  machine: { cores, cpu, shared: true },
  ok: all.every((r) => r.ok),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
if (!summary.ok) process.exitCode = 1;
