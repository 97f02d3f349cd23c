/**
 * `soc-assistant retrain [--config <file>] [--data <file>... [--format ...] [--label-column <col>]] [--json]`:
 * one retraining through the same job as the schedule and the API (champion/challenger, promotion through the
 * holder's verification, a `soc_assistant:model` event to the registry and the configured sink). Exits 0 when
 * the run decided (promoted or kept the champion), 1 when it failed or another retraining is running.
 */
import { userInfo } from "node:os";
import { configureLogging } from "../telemetry/log.ts";
import { ModelHolder } from "../scoring/holder.ts";
import { modelHolderOptions, retrainSpec, wire } from "../service/wiring.ts";
import { startBackend } from "../tf/start.ts";
import { ModelEventLog } from "../training/model-events.ts";
import { Retrainer } from "../training/retrainer.ts";
import { parse, positiveInt, UserError } from "./args.ts";
import { cliConfig } from "./common.ts";

const FLAGS = {
  config: { type: "string" },
  data: { type: "string", multiple: true },
  format: { type: "string" },
  "label-column": { type: "string" },
  epochs: { type: "string" },
  json: { type: "boolean" },
} as const;

function user(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

export async function retrainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, FLAGS, "retrain");
  const config = cliConfig(values.config);
  configureLogging(config.logging);
  const epochs = positiveInt(values.epochs, "--epochs", "retrain");
  if (epochs !== undefined) config.retrain.epochs = epochs;
  const files = [...(values.data ?? []), ...positionals];
  await startBackend(config.model.backend);
  const holder = new ModelHolder(modelHolderOptions(config, { workers: 0 }));
  const wiring = wire(config);
  const sink = wiring.modelSink;
  const retrainer = new Retrainer({
    name: config.model.name,
    registryDir: config.model.registry_dir,
    backend: config.model.backend,
    spec: (data) => retrainSpec(config, data),
    rule: { metric: config.retrain.metric, tolerance: config.retrain.tolerance, benignHighTolerance: config.retrain.benign_high_tolerance },
    promote: (version, actor) => holder.promote(version, actor),
    events: new ModelEventLog(config.model.registry_dir, async (e) => {
      const r = await sink.send([{ ...e }]);
      const f = r.kind === "success" ? await sink.flush() : r;
      if (f.kind !== "success") throw new Error(f.reason);
    }),
    keepVersions: config.retrain.keep_versions,
    mode: "inline",
  });
  try {
    await sink.start();
    const outcome = await retrainer.run({
      actor: { kind: "cli", user: user() },
      trigger: `soc-assistant retrain${files.length > 0 ? ` --data ${files.join(" ")}` : ""}`,
      data: files.length > 0 ? { kind: "file", files, format: values.format, labelColumn: values["label-column"] } : undefined,
    });
    if ("busy" in outcome) throw new UserError(`retrain: another retraining is running (${outcome.id}); try again when it has finished`);
    if (values.json) process.stdout.write(`${JSON.stringify(outcome.event)}\n`);
    else process.stdout.write(`${outcome.status}${outcome.challenger ? ` ${config.model.name}@${outcome.challenger}` : ""}: ${outcome.reason}\n`);
    return outcome.status === "failed" ? 1 : 0;
  } finally {
    await sink.shutdown();
    await holder.shutdown();
    wiring.close();
  }
}
