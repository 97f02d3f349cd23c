/**
 * `soc-assistant score --model <ref> --input <file> --output <file.jsonl>`: risk events (those at or above the
 * write threshold) as JSON lines, in input order; the counts of all events go to stderr.
 */
import { rmSync } from "node:fs";
import type { RiskEvent } from "../contract/risk-event.ts";
import { runOnce } from "../pipeline/run-once.ts";
import type { EventSource } from "../sources/source.ts";
import { FileSink } from "../sinks/file.ts";
import { checkInputFields, loadScoringModel } from "../scoring/load.ts";
import { openFileSource, type FileSourceOptions } from "../sources/file/index.ts";
import { logEvent } from "../telemetry/log.ts";
import { parse, required, UserError } from "./args.ts";
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
  if (!Number.isInteger(minRisk) || minRisk < 0 || minRisk > 100) throw new UserError(`score: --min-risk-score must be an integer 0-100`);
  const workers = values.workers === undefined ? config.model.workers : Number(values.workers);
  await startBackend(config.model.backend);
  const options = { files: [input], format: values.format };
  let model;
  try {
    const fields = await openFileSource(options).fields();
    model = await loadScoringModel({ registryDir: values["models-dir"] ?? config.model.registry_dir, ref, backend: config.model.backend, workers, topK: config.model.explain_top_k });
    checkInputFields(model.metadata, fields, input);
  } catch (e) {
    await model?.close();
    throw new UserError((e as Error).message);
  }
  rmSync(output, { force: true });
  const sink = new FileSink<RiskEvent>(output);
  await sink.start();
  try {
    const report = await runOnce({ source: oneShotSource(options), model, sink, minRiskScore: minRisk });
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
    await model.close();
  }
}
