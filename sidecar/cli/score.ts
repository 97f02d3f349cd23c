/**
 * `soc-assistant score --model <ref> --input <file> --output <file.jsonl>`: risk events (those at or above the
 * write threshold) as JSON lines, in input order; the counts of all events go to stderr.
 */
import { existsSync, rmSync, statSync } from "node:fs";
import type { RiskEvent } from "../contract/risk-event.ts";
import { runOnce } from "../pipeline/run-once.ts";
import type { EventSource } from "../sources/source.ts";
import { FileSink } from "../sinks/file.ts";
import { checkInputFields, loadScoringModel } from "../scoring/load.ts";
import { openFileSource, type FileSourceOptions } from "../sources/file/index.ts";
import { logEvent } from "../telemetry/log.ts";
import { parse, required, UsageError, UserError } from "./args.ts";
import { inputProblem } from "../sources/file/detect.ts";
import { cliConfig, parseRef } from "./common.ts";
import { startBackend } from "../tf/start.ts";

const FLAGS = {
  model: { type: "string" },
  "models-dir": { type: "string" },
  input: { type: "string" },
  output: { type: "string" },
  format: { type: "string" },
  "min-risk-score": { type: "string" },
  workers: { type: "string" },
  config: { type: "string" },
} as const;

/** All of a set of files as one window, with no position to keep. */
export function oneShotSource(options: FileSourceOptions): EventSource<true> {
  return {
    name: "file",
    plan: () => Promise.resolve(true),
    read: () => openFileSource(options).batches(),
    endPosition: () => null,
  };
}

export async function scoreCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, FLAGS, "score");
  const ref = parseRef(required(values.model, "--model", "score"), "score");
  const input = required(values.input, "--input", "score");
  const output = required(values.output, "--output", "score");
  const config = cliConfig(values.config);
  const minRisk = values["min-risk-score"] === undefined ? config.sink.min_risk_score : Number(values["min-risk-score"]);
  if (!Number.isInteger(minRisk) || minRisk < 0 || minRisk > 100) throw new UsageError(`score: --min-risk-score must be an integer 0-100, got ${JSON.stringify(values["min-risk-score"])}`);
  const workers = values.workers === undefined ? config.model.workers : Number(values.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 0 || workers > 64)) {
    throw new UsageError(`score: --workers must be a whole number from 0 to 64 (0 scores on the main thread), got ${JSON.stringify(values.workers)}`);
  }
  // The input first: missing, empty or binary input says so, before any model is loaded.
  let problem: string | null;
  try {
    problem = await inputProblem(input);
  } catch (e) {
    throw new UserError(`${input}: ${describeOpenError(e)}`);
  }
  if (problem) throw new UserError(`${input}: ${problem}; nothing to score`);
  if (sameFile(input, output)) throw new UsageError(`score: --output ${output} is the input file; write the risk events to another file`);
  // Then the output, before the worker pool exists: a failure here has nothing to close.
  const sink = new FileSink<RiskEvent>(output);
  try {
    if (existsSync(output) && statSync(output).isDirectory()) throw new Error("is a directory");
    rmSync(output, { force: true });
    await sink.start();
  } catch (e) {
    throw new UserError(`cannot write ${output}: ${((e as Error).message ?? "").replace(`cannot open ${output}: `, "")}`);
  }
  await startBackend(config.model.backend);
  const options = { files: [input], format: values.format };
  let model;
  try {
    try {
      const fields = await openFileSource(options).fields();
      model = await loadScoringModel({ registryDir: values["models-dir"] ?? config.model.registry_dir, ref, backend: config.model.backend, workers, topK: config.model.explain_top_k });
      checkInputFields(model.metadata, fields, input);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const progress = progressReporter(input);
    const report = await runOnce({ source: oneShotSource(options), model, sink, minRiskScore: minRisk, onProgress: progress.update });
    progress.done();
    if (!report) return 0;
    if (report.events_rejected > 0) {
      logEvent("rows_rejected", { rejected: report.events_rejected, first: report.rejected_samples.slice(0, 5).map((r) => `${r.file}:${r.line}: ${r.reason}`) });
    }
    const b = report.by_band;
    process.stderr.write(
      `scored ${report.events_scored} events with ${model.name}@${model.version} (${model.runtime}) in ${report.duration_seconds.toFixed(2)} s; ` +
        `wrote ${report.events_written} at risk_score >= ${minRisk} to ${output}; rejected ${report.events_rejected}\n` +
        `by band: critical ${b.critical}, high ${b.high}, medium ${b.medium}, low ${b.low}, informational ${b.informational}\n`,
    );
    if (report.error) throw new UserError(report.error);
    return 0;
  } finally {
    await sink.shutdown();
    await model?.close();
  }
}

/** Whether two paths are the same file (same device and inode); false when either does not exist. */
function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

function describeOpenError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "is a directory, not a file";
  if (code === "EACCES") return "permission denied";
  return (e as Error).message;
}

/**
 * Progress on a terminal (stderr a TTY): events, events/s and, for plain files, an ETA from the bytes read;
 * redrawn at most four times a second on one line. Quiet when stderr is not a terminal.
 */
export function progressReporter(input: string, tty = process.stderr.isTTY === true, write = (t: string) => process.stderr.write(t)): { update: (p: { events: number; bytes: number }) => void; done: () => void } {
  if (!tty) return { update: () => undefined, done: () => undefined };
  let total = 0;
  try {
    total = statSync(input).size;
  } catch {
    // no ETA
  }
  const t0 = performance.now();
  let last = 0;
  let shown = false;
  return {
    update({ events, bytes }) {
      const now = performance.now();
      if (now - last < 250) return;
      last = now;
      shown = true;
      write(`\r${formatProgress(events, bytes, total, (now - t0) / 1000)}\x1b[K`);
    },
    done() {
      if (shown) write("\r\x1b[K");
    },
  };
}

/** `12,345 events  6,100 events/s  ETA 0:12` (no ETA without a size to go by, e.g. a compressed input). */
export function formatProgress(events: number, bytes: number, totalBytes: number, seconds: number): string {
  const rate = seconds > 0 ? events / seconds : 0;
  let eta = "";
  if (totalBytes > 0 && bytes > 0 && bytes <= totalBytes && seconds > 0) {
    const left = Math.max(0, Math.round(((totalBytes - bytes) / bytes) * seconds));
    eta = `  ETA ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  }
  return `${events.toLocaleString("en-US")} events  ${Math.round(rate).toLocaleString("en-US")} events/s${eta}`;
}
