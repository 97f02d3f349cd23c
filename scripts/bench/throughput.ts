/**
 * `npm run bench`: scoring throughput and memory, stage by stage and as whole processes (ADR 0009).
 *
 * 1. Model: the bundled default (`models/zeek-conn`) when present, else one trained on the sample into a
 *    temp dir. Inputs: Zeek logs built from the sample's data rows under the OS temp dir (`inputs.ts`):
 *    - `plain`: the sample's rows repeated (about 62% of them are written at the default threshold);
 *    - `mix`: one row in 100 from the rows the model writes, the rest from the others (1% written: "explain
 *      the top 1%").
 * 2. Stages on `mix` (`stage.ts`, each in its own process, `--repeat` times, interleaved): read; read +
 *    featurize; + score; + explain the top 1% (risk events built, not written); + write (JSON lines file).
 *    Then the full pipeline again on a larger `mix` (`--large`): peak RSS must not grow with the input.
 * 3. Whole processes, same files, `--whole-repeat` times, interleaved: `soc-assistant score` at the default
 *    threshold (20) and at `--min-risk-score 100` on `plain`, at the default threshold on `mix`; the peer
 *    (`../shared/peers/sklearn_score.py`) on `plain` and `mix` when /usr/bin/python3 has sklearn and pandas.
 *    Wall seconds and peak RSS from /usr/bin/time when present, else from the child's /proc status.
 *
 * Flags: --events N (1000000), --large N (4000000), --repeat N (5 per stage), --whole-repeat N (3 per whole
 * process), --workers N (the pool default), --no-peer, --no-whole, --keep (keep the inputs).
 * The last line of the output is one JSON object. The machine may be shared: stage overheads are computed from
 * the best run of each stage, and CPU seconds (all threads) are printed beside every wall time.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readSample, writeMix, writeReplicated } from "./inputs.ts";
import type { Stage, StageResult } from "./stage.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SAMPLE = join(ROOT, "data/sample/conn.sample.log");
const BIN = join(ROOT, "bin/soc-assistant.mjs");
const STAGE_SCRIPT = join(ROOT, "scripts/bench/stage.ts");
const PEER = resolve(ROOT, "../shared/peers/sklearn_score.py");
const PEER_DATA = resolve(ROOT, "../shared/datasets/zeek");
const PYTHON = "/usr/bin/python3";
const TIME = "/usr/bin/time";
/** The shipped `sink.min_risk_score` (21: the low band and above; ADR 0016). */
const DEFAULT_MIN_RISK = 21;
const MIX_EVERY = 100;

const { values: flags } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    large: { type: "string", default: "4000000" },
    repeat: { type: "string", default: "5" },
    "whole-repeat": { type: "string", default: "3" },
    workers: { type: "string" },
    "no-peer": { type: "boolean", default: false },
    "no-whole": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const EVENTS = Number(flags.events);
const LARGE = Number(flags.large);
const REPEAT = Number(flags.repeat);
const WHOLE_REPEAT = Number(flags["whole-repeat"]);

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** The model to bench: the bundled default, or one trained on the sample. */
function prepareModel(work: string): { modelsDir: string; ref: string; origin: string } {
  const bundled = join(ROOT, "models");
  if (existsSync(join(bundled, "zeek-conn", "CURRENT"))) return { modelsDir: bundled, ref: "zeek-conn", origin: "models/zeek-conn (bundled)" };
  const modelsDir = join(work, "models");
  log(`no bundled model: training one on ${SAMPLE} into ${modelsDir}`);
  run(process.execPath, [BIN, "train", "--data", SAMPLE, "--model", "bench", "--models-dir", modelsDir]);
  return { modelsDir, ref: "bench", origin: `bench (trained on the sample into ${modelsDir})` };
}

/** Sample lines the model writes at the default threshold (from `soc-assistant score` on the sample). */
function riskyLines(work: string, modelsDir: string, ref: string): Set<number> {
  const out = join(work, "sample-scored.jsonl");
  run(process.execPath, [BIN, "score", "--model", ref, "--models-dir", modelsDir, "--input", SAMPLE, "--output", out, "--min-risk-score", String(DEFAULT_MIN_RISK)]);
  const lines = new Set<number>();
  for (const l of readFileSync(out, "utf8").split("\n")) if (l) lines.add((JSON.parse(l) as { orig_line: number }).orig_line);
  rmSync(out, { force: true });
  return lines;
}

function runStage(stage: Stage, input: string, model: { modelsDir: string; ref: string }): StageResult {
  const args = ["--import", "tsx", STAGE_SCRIPT, stage, "--input", input, "--models-dir", model.modelsDir, "--model", model.ref];
  if (flags.workers !== undefined) args.push("--workers", flags.workers);
  const out = run(process.execPath, args).trim().split("\n");
  return JSON.parse(out[out.length - 1]!) as StageResult;
}

interface ProcessResult {
  seconds: number;
  peak_rss_mb: number;
  cpu_seconds: number | null;
}

/** Runs a whole process; wall seconds and peak RSS from /usr/bin/time, or from polling /proc when it is absent. */
async function measureProcess(cmd: string, args: string[]): Promise<ProcessResult> {
  if (existsSync(TIME)) {
    const stats = join(tmpdir(), `soc-bench-time-${process.pid}.txt`);
    run(TIME, ["-f", "%e %M %U %S", "-o", stats, cmd, ...args]);
    const [e, m, u, s] = readFileSync(stats, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
    rmSync(stats, { force: true });
    return { seconds: e!, peak_rss_mb: round(m! / 1024, 1), cpu_seconds: round(u! + s!, 2) };
  }
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let peakKb = 0;
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // the child has exited
    }
  }, 20);
  const code = await new Promise<number | null>((res) => child.on("close", res));
  clearInterval(poll);
  if (code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${code}): ${stderr.slice(-2000)}`);
  return { seconds: round((performance.now() - t0) / 1000, 2), peak_rss_mb: round(peakKb / 1024, 1), cpu_seconds: null };
}

function peerAvailable(): string | null {
  if (!existsSync(PEER)) return `${PEER} not found`;
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ["-c", "import sklearn, pandas"], { encoding: "utf8" });
  if (r.status !== 0) return `${PYTHON} cannot import sklearn and pandas (apt-get install -y python3-sklearn python3-pandas)`;
  return null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

function range(xs: number[], digits: number): string {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? `${round(lo, digits)}` : `${round(lo, digits)}-${round(hi, digits)}`;
}

function fmtRate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${Math.round(x / 1000)}k`;
}

async function main(): Promise<void> {
  const work = join(tmpdir(), `soc-bench-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const load0 = loadavg();
  const cores = availableParallelism();
  log(`machine: ${cores} cores (${cpus()[0]?.model ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, load average ${load0.map((l) => l.toFixed(2)).join(" ")}`);
  log("note: the cores may be shared with other work; figures are the median (range) of the runs");

  const model = prepareModel(work);
  const sample = readSample(SAMPLE);
  const risky = riskyLines(work, model.modelsDir, model.ref);
  log(`model: ${model.origin}; ${risky.size} of the sample's ${sample.rows.length} rows score >= ${DEFAULT_MIN_RISK}`);

  const plain = join(work, `plain-${EVENTS}.log`);
  const mix = join(work, `mix-${EVENTS}.log`);
  const mixLarge = join(work, `mix-${LARGE}.log`);
  writeReplicated(plain, sample, EVENTS);
  writeMix(mix, sample, risky, EVENTS, MIX_EVERY);
  if (LARGE > 0) writeMix(mixLarge, sample, risky, LARGE, MIX_EVERY);
  const mb = (f: string): string => `${Math.round(statSync(f).size / 1e6)} MB`;
  log(`inputs: ${plain} (${mb(plain)}, the sample repeated), ${mix} (${mb(mix)}, 1 row in ${MIX_EVERY} written)`);

  // Stages.
  const order: Stage[] = ["read", "featurize", "score", "explain", "write"];
  const runs = new Map<Stage, StageResult[]>(order.map((s) => [s, []]));
  for (let r = 0; r < REPEAT; r++) for (const s of order) runs.get(s)!.push(runStage(s, mix, model));
  const labels: Record<Stage, string> = {
    read: "read only",
    featurize: "read + featurize",
    score: "read + featurize + score",
    explain: "+ explain top 1%",
    write: "+ write",
  };
  const stages: Record<string, unknown> = {};
  log(`\nstages on ${EVENTS} events (${REPEAT} runs each, own process each, wasm backend):`);
  for (const s of order) {
    const rs = runs.get(s)!;
    const eps = rs.map((x) => x.events_per_second);
    const sec = rs.map((x) => x.seconds);
    const cpu = rs.map((x) => x.cpu_seconds);
    const rss = rs.map((x) => x.peak_rss_mb);
    stages[s] = {
      events: rs[0]!.events,
      written: rs[0]!.written,
      events_per_second: Math.round(median(eps)),
      events_per_second_range: [Math.min(...eps), Math.max(...eps)],
      seconds: round(median(sec), 3),
      best_seconds: Math.min(...sec),
      cpu_seconds: round(median(cpu), 3),
      peak_rss_mb: Math.max(...rss),
      ...(rs[0]!.runtime ? { runtime: rs[0]!.runtime } : {}),
    };
    log(
      `  ${labels[s].padEnd(26)} ${fmtRate(median(eps)).padStart(6)} events/s (${eps.map(fmtRate).join(", ")}); ` +
        `${range(sec, 2)} s, cpu ${range(cpu, 2)} s; peak RSS ${range(rss, 0)} MB; written ${rs[0]!.written}` +
        (rs[0]!.runtime ? `; ${rs[0]!.runtime}` : ""),
    );
  }
  // Overheads from the best run of each stage (the one least slowed by other work on the machine), and from
  // the median CPU seconds (work done, whatever the contention).
  const best = (s: Stage): number => Math.min(...runs.get(s)!.map((x) => x.seconds));
  const cpu = (s: Stage): number => median(runs.get(s)!.map((x) => x.cpu_seconds));
  const pct = (a: number, b: number): number => round(((a - b) / b) * 100, 1);
  const explainPct = pct(best("explain"), best("score"));
  const explainCpuPct = pct(cpu("explain"), cpu("score"));
  log(
    `  explaining the top 1% adds ${explainPct}% to read + featurize + score (best runs; ${explainCpuPct}% in CPU seconds); ` +
      `writing them adds ${round(((best("write") - best("explain")) / best("score")) * 100, 1)}% more`,
  );

  let large: StageResult | null = null;
  if (LARGE > 0) {
    large = runStage("write", mixLarge, model);
    const small = Math.max(...runs.get("write")!.map((x) => x.peak_rss_mb));
    log(`  full pipeline on ${LARGE} events: ${fmtRate(large.events_per_second)} events/s, peak RSS ${large.peak_rss_mb} MB (${small} MB on ${EVENTS})`);
  }

  // Whole processes.
  let whole: Record<string, unknown> | string = "skipped (--no-whole)";
  if (!flags["no-whole"]) {
    const peerMissing = flags["no-peer"] ? "--no-peer" : peerAvailable();
    let pkl: string | null = null;
    if (peerMissing === null) {
      pkl = join(work, "peer.pkl");
      const data = existsSync(PEER_DATA) ? readdirGz(PEER_DATA) : [SAMPLE];
      run(PYTHON, [PEER, "train", pkl, ...(data.length > 0 ? data : [SAMPLE])]);
    }
    const out = join(work, "out.jsonl");
    const soc = (input: string, minRisk?: number) => async (): Promise<ProcessResult & { written: number }> => {
      const args = [BIN, "score", "--model", model.ref, "--models-dir", model.modelsDir, "--input", input, "--output", out];
      if (minRisk !== undefined) args.push("--min-risk-score", String(minRisk));
      if (flags.workers !== undefined) args.push("--workers", flags.workers);
      const r = await measureProcess(process.execPath, args);
      const written = countLines(out);
      rmSync(out, { force: true });
      return { ...r, written };
    };
    const peer = (input: string) => async (): Promise<ProcessResult & { written: number }> => {
      const r = await measureProcess(PYTHON, [PEER, "score", pkl!, input, out]);
      const written = countLines(out);
      rmSync(out, { force: true });
      return { ...r, written };
    };
    const cases: [string, string, () => Promise<ProcessResult & { written: number }>][] = [
      ["soc_default_threshold", `soc-assistant score, plain, --min-risk-score ${DEFAULT_MIN_RISK} (default)`, soc(plain)],
      ["soc_min_risk_100", "soc-assistant score, plain, --min-risk-score 100", soc(plain, 100)],
      ["soc_top_1pct", `soc-assistant score, mix, --min-risk-score ${DEFAULT_MIN_RISK} (default)`, soc(mix)],
    ];
    if (pkl !== null) {
      cases.push(["peer", "peer sklearn_score.py score, plain", peer(plain)]);
      cases.push(["peer_mix", "peer sklearn_score.py score, mix", peer(mix)]);
    }
    const results = new Map<string, (ProcessResult & { written: number })[]>(cases.map(([k]) => [k, []]));
    for (let r = 0; r < WHOLE_REPEAT; r++) for (const [k, , f] of cases) results.get(k)!.push(await f());
    whole = {};
    log(`\nwhole processes on ${EVENTS} events (${WHOLE_REPEAT} runs each, interleaved):`);
    for (const [k, label] of cases) {
      const rs = results.get(k)!;
      const sec = rs.map((x) => x.seconds);
      const rss = rs.map((x) => x.peak_rss_mb);
      const cpu = rs.map((x) => x.cpu_seconds).filter((x): x is number => x !== null);
      whole[k] = { seconds: median(sec), seconds_range: [Math.min(...sec), Math.max(...sec)], peak_rss_mb: Math.max(...rss), cpu_seconds: cpu.length ? median(cpu) : null, lines_written: rs[0]!.written };
      log(`  ${label.padEnd(58)} ${range(sec, 2).padStart(11)} s, peak RSS ${range(rss, 0)} MB${cpu.length ? `, cpu ${range(cpu, 1)} s` : ""}, ${rs[0]!.written} lines written`);
    }
    if (pkl === null) {
      log(`  peer skipped: ${peerMissing}`);
      whole.peer = `skipped: ${peerMissing}`;
    } else {
      const w = whole as Record<string, { seconds: number }>;
      const speedup = (k: string, p: string): number => round(w[p]!.seconds / w[k]!.seconds, 2);
      whole.speedup_vs_peer = {
        mix: speedup("soc_top_1pct", "peer_mix"),
        plain: speedup("soc_default_threshold", "peer"),
        default_threshold: speedup("soc_default_threshold", "peer"),
        min_risk_100: speedup("soc_min_risk_100", "peer"),
        top_1pct: speedup("soc_top_1pct", "peer_mix"),
      };
      const line = (name: string, k: string, p: string, target: number) =>
        log(`  ${name.padEnd(6)} soc-assistant ${w[k]!.seconds} s, peer ${w[p]!.seconds} s: ${speedup(k, p)}x the peer (target >= ${target}x)`);
      log("\nside by side with the peer (median wall seconds; the peer writes five short fields per line, soc-assistant an explained risk event per written event: not equal output):");
      line("mix", "soc_top_1pct", "peer_mix", 3);
      line("plain", "soc_default_threshold", "peer", 1.5);
      log(`  speed-up over the peer: ${JSON.stringify(whole.speedup_vs_peer)}`);
    }
  }

  if (!flags.keep) rmSync(work, { recursive: true, force: true });
  const load1 = loadavg();
  const st = stages as Record<Stage, { events_per_second: number; peak_rss_mb: number }>;
  const summary = {
    events: EVENTS,
    events_per_second: st.score.events_per_second,
    peak_rss_mb: Math.max(st.score.peak_rss_mb, st.explain.peak_rss_mb, st.write.peak_rss_mb),
    backend: "wasm",
    cores,
    cpu: cpus()[0]?.model ?? null,
    node: process.version,
    load_average: { start: load0.map((l) => round(l, 2)), end: load1.map((l) => round(l, 2)) },
    model: model.origin,
    stages,
    explain_top_1pct_overhead_pct: explainPct,
    explain_top_1pct_cpu_overhead_pct: explainCpuPct,
    peak_rss_mb_by_events: large ? { [EVENTS]: st.write.peak_rss_mb, [LARGE]: large.peak_rss_mb } : null,
    whole_process: whole,
  };
  log(JSON.stringify(summary));
}

function readdirGz(dir: string): string[] {
  const out = run("find", [dir, "-name", "*.gz", "-type", "f"]).trim();
  return out ? out.split("\n").sort() : [];
}

function countLines(file: string): number {
  if (!existsSync(file)) return 0;
  const r = spawnSync("wc", ["-l", file], { encoding: "utf8" });
  return Number(r.stdout.trim().split(/\s+/)[0] ?? 0);
}

await main();
