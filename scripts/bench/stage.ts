/**
 * One stage of the throughput bench, in its own process so that stages do not share a heap (or a peak RSS):
 *
 *   node --import tsx scripts/bench/stage.ts <stage> --input <zeek file> --models-dir <dir> --model <ref>
 *        [--min-risk-score n] [--workers n] [--output <file>] [--max-in-flight n] [--batch-rows n]
 *
 * Stages, each a superset of the one before, all through the product code:
 * - `read`: the file source alone (`openFileSource(...).batches()`), every event parsed.
 * - `featurize`: `runOnce` with the model's featurizer and a scorer that answers at once with zeros (so
 *   nothing is written): read + featurize + the pipeline's own work, no worker.
 * - `score`: `runOnce` with the loaded model (worker pool) and a write threshold of 101: nothing is written.
 * - `explain`: `runOnce` at `--min-risk-score` (default 20): the written events are explained and built into
 *   risk events, then dropped by a sink that only counts them.
 * - `write`: `runOnce` into a `FileSink` (`--output`, deleted afterwards unless given).
 *
 * Prints one JSON line: events, written, seconds (the measured work only, after model load), cpu_seconds
 * (user + system of the whole process over the same span, all threads), events_per_second, startup_seconds,
 * peak_rss_mb (`process.resourceUsage().maxRSS` at the end: the process's whole life, workers included).
 */
import { rmSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { RiskEvent } from "../../sidecar/contract/risk-event.ts";
import type { RunReport } from "../../sidecar/pipeline/run-once.ts";
import type { ScoringModel } from "../../sidecar/scoring/model.ts";
import type { EventSource } from "../../sidecar/sources/source.ts";
import type { Sink } from "../../sidecar/sinks/sink.ts";
import { openFileSource, type FileSourceOptions } from "../../sidecar/sources/file/index.ts";

export const STAGES = ["read", "featurize", "score", "explain", "write"] as const;
export type Stage = (typeof STAGES)[number];

export interface StageResult {
  stage: Stage;
  events: number;
  written: number;
  seconds: number;
  cpu_seconds: number;
  events_per_second: number;
  startup_seconds: number;
  peak_rss_mb: number;
  runtime?: string;
}

/** A sink that keeps nothing: counts what it is sent. */
class CountingSink implements Sink<RiskEvent> {
  count = 0;
  start(): Promise<void> {
    return Promise.resolve();
  }
  send(batch: RiskEvent[]): Promise<{ kind: "success" }> {
    this.count += batch.length;
    return Promise.resolve({ kind: "success" });
  }
  flush(): Promise<{ kind: "success" }> {
    return Promise.resolve({ kind: "success" });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** All of the input as one window, with no position to keep (what `soc-assistant score` reads). */
function oneShotSource(options: FileSourceOptions): EventSource<true> {
  return {
    name: "file",
    plan: () => Promise.resolve(true),
    read: () => openFileSource(options).batches(),
    endPosition: () => null,
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  // The heap policy `bin/soc-assistant.mjs` sets for the scoring commands, so that stages measure what
  // `soc-assistant score` runs.
  setFlagsFromString("--heap-growing-percent=100");
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      input: { type: "string" },
      "models-dir": { type: "string" },
      model: { type: "string" },
      "min-risk-score": { type: "string" },
      workers: { type: "string" },
      output: { type: "string" },
      "max-in-flight": { type: "string" },
      "batch-rows": { type: "string" },
    },
  });
  const stage = positionals[0] as Stage;
  if (!STAGES.includes(stage)) throw new Error(`stage must be one of ${STAGES.join(", ")}, got ${positionals[0]}`);
  const input = values.input;
  const modelsDir = values["models-dir"];
  const ref = values.model;
  if (!input || !modelsDir || !ref) throw new Error("--input, --models-dir and --model are required");
  const files = { files: [input] };

  let run: () => Promise<{ events: number; written: number }>;
  let close = (): Promise<void> => Promise.resolve();
  let runtime: string | undefined;
  if (stage === "read") {
    run = async () => {
      let events = 0;
      for await (const b of openFileSource(files).batches()) events += b.events.length;
      return { events, written: 0 };
    };
  } else {
    // Imported here, so that the read stage's peak RSS is the reader's alone.
    const { runOnce } = await import("../../sidecar/pipeline/run-once.ts");
    const { FileSink } = await import("../../sidecar/sinks/file.ts");
    let model: ScoringModel;
    if (stage === "featurize") {
      const { ModelRegistry } = await import("../../sidecar/registry/registry.ts");
      const { compileFeaturizer } = await import("../../sidecar/features/featurize.ts");
      const registry = new ModelRegistry(modelsDir);
      const { name, version } = registry.resolveRef(ref);
      const metadata = registry.readMetadata(name, version);
      model = {
        name,
        kind: "supervised",
        version,
        featureSchema: metadata.feature_schema,
        threshold: metadata.threshold,
        width: metadata.feature_spec.columns.length,
        featurize: compileFeaturizer(metadata.feature_spec),
        score: (_x, rows) => Promise.resolve(new Float32Array(rows)),
        explain: () => Promise.reject(new Error("the featurize stage explains nothing")),
        assess: (_x, rows) => Promise.resolve({ probs: new Float32Array(rows), keep: [], tops: [] }),
      };
    } else {
      const { initBackend } = await import("../../sidecar/tf/backend.ts");
      const { loadScoringModel } = await import("../../sidecar/scoring/load.ts");
      await initBackend("wasm");
      const workers = values.workers === undefined ? undefined : Number(values.workers);
      const loaded = await loadScoringModel({ registryDir: modelsDir, ref, backend: "wasm", workers });
      model = loaded;
      runtime = loaded.runtime;
      close = () => loaded.close();
    }
    const minRiskScore = stage === "featurize" || stage === "score" ? 101 : Number(values["min-risk-score"] ?? 20);
    const output = values.output ?? join(tmpdir(), `soc-bench-${process.pid}.jsonl`);
    run = async () => {
      let sink: Sink<RiskEvent> = new CountingSink();
      if (stage === "write") {
        rmSync(output, { force: true });
        sink = new FileSink<RiskEvent>(output);
      }
      await sink.start();
      let report: RunReport | null;
      try {
        report = await runOnce({
          source: oneShotSource(files),
          model,
          sink,
          minRiskScore,
          maxInFlight: values["max-in-flight"] === undefined ? undefined : Number(values["max-in-flight"]),
          batchRows: values["batch-rows"] === undefined ? undefined : Number(values["batch-rows"]),
        });
      } finally {
        await sink.shutdown();
        if (stage === "write" && values.output === undefined) rmSync(output, { force: true });
      }
      if (!report) throw new Error("the source planned no window");
      if (report.error) throw new Error(report.error);
      return { events: report.events_scored, written: report.events_written };
    };
  }

  const startup = (performance.now() - t0) / 1000;
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  const { events, written } = await run();
  const seconds = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await close();
  const result: StageResult = {
    stage,
    events,
    written,
    seconds: round(seconds, 3),
    cpu_seconds: round((cpu.user + cpu.system) / 1e6, 3),
    events_per_second: Math.round(events / seconds),
    startup_seconds: round(startup, 3),
    peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
    ...(runtime ? { runtime } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

await main();
