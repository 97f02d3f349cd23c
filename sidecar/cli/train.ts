/** `soc-assistant train --data <file>... --model <name>`: trains, saves a new registry version, prints it. */
import { fileTrainingData, runTrainingJob, TrainingDataError } from "../training/job.ts";
import { formatMetricsTable } from "../training/evaluate.ts";
import { parse, positiveInt, required, UsageError, UserError } from "./args.ts";
import { cliConfig, epochReporter } from "./common.ts";
import { startBackend } from "../tf/start.ts";

const FLAGS = {
  data: { type: "string", multiple: true },
  format: { type: "string" },
  "label-column": { type: "string" },
  model: { type: "string" },
  "models-dir": { type: "string" },
  epochs: { type: "string" },
  config: { type: "string" },
} as const;

export async function trainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, FLAGS, "train");
  const files = [...(values.data ?? []), ...positionals];
  if (files.length === 0) throw new UsageError("train: --data <file>... is required");
  const name = required(values.model, "--model", "train");
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new UsageError(`train: --model must match [A-Za-z0-9_.-]+, got ${JSON.stringify(name)}`);
  const config = cliConfig(values.config);
  const epochs = positiveInt(values.epochs, "--epochs", "train") ?? config.model.training.epochs;

  const backend = await startBackend(config.model.backend);
  let result;
  try {
    result = await runTrainingJob({
      data: fileTrainingData({ files, format: values.format, labelColumn: values["label-column"] }),
      architecture: config.model.architecture,
      training: { ...config.model.training, epochs },
      registryDir: values["models-dir"] ?? config.model.registry_dir,
      name,
      onEpoch: epochReporter(),
    });
  } catch (e) {
    if (e instanceof TrainingDataError) throw new UserError(e.message);
    throw e;
  } finally {
    if (process.stderr.isTTY) process.stderr.write("\n");
  }
  const { version, metadata, split } = result;
  process.stderr.write(
    `trained ${name}@${version} on ${backend}: ${split.train} training rows, ${split.validation} validation rows, ` +
      `${metadata.feature_spec.columns.length} features, best epoch ${metadata.training.best_epoch} of ${metadata.training.epochs_run}, ` +
      `${metadata.training.seconds.toFixed(1)} s${result.current ? " (now current)" : ` (not current: promote with 'soc-assistant models promote ${name}@${version}')`}\n` +
      `validation metrics:\n${formatMetricsTable(result.metrics)}\n`,
  );
  process.stdout.write(`${version}\n`);
  return 0;
}
