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
  "base-rate": { type: "string" },
  config: { type: "string" },
} as const;

/** Says which cross-validation fold is training before its epochs are reported. */
function foldAware<P extends { fold?: number; folds?: number; epoch: number }>(report: (p: P) => void): (p: P) => void {
  let last: number | undefined;
  return (p) => {
    if (p.fold !== last) {
      if (process.stderr.isTTY && last !== undefined) process.stderr.write("\n");
      process.stderr.write(p.fold === undefined ? "refitting on every row\n" : `cross-validation fold ${p.fold} of ${p.folds}\n`);
      last = p.fold;
    }
    report(p);
  };
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, FLAGS, "train");
  const files = [...(values.data ?? []), ...positionals];
  if (files.length === 0) throw new UsageError("train: --data <file>... is required");
  const name = required(values.model, "--model", "train");
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new UsageError(`train: --model must match [A-Za-z0-9_.-]+, got ${JSON.stringify(name)}`);
  const config = cliConfig(values.config);
  const epochs = positiveInt(values.epochs, "--epochs", "train") ?? config.model.training.epochs;
  const baseRate = values["base-rate"] === undefined ? config.model.base_rate : Number(values["base-rate"]);
  if (!(baseRate > 0 && baseRate < 1)) throw new UsageError(`train: --base-rate must be a number in (0, 1), got ${JSON.stringify(values["base-rate"])}`);

  const backend = await startBackend(config.model.backend);
  let result;
  try {
    result = await runTrainingJob({
      data: fileTrainingData({ files, format: values.format, labelColumn: values["label-column"] }),
      architecture: config.model.architecture,
      training: { ...config.model.training, epochs },
      baseRate,
      registryDir: values["models-dir"] ?? config.model.registry_dir,
      name,
      onEpoch: foldAware(epochReporter()),
    });
  } catch (e) {
    if (e instanceof TrainingDataError) throw new UserError(e.message);
    throw e;
  } finally {
    if (process.stderr.isTTY) process.stderr.write("\n");
  }
  const { version, metadata, split } = result;
  const v = metadata.validation;
  if (v?.note) process.stderr.write(`note: ${v.note}\n`);
  const chosen =
    `threshold ${metadata.threshold.toFixed(4)} chosen for ${metadata.threshold_goal?.goal ?? "f1"}` +
    (v && v.used !== "none" ? ` on ${v.folds}-fold cross-validation by ${v.used} (out-of-fold predictions; the model shown was refitted on every row)` : " on a random validation split") +
    (metadata.calibration.base_rate !== undefined ? `; probabilities assume a base rate of ${metadata.calibration.base_rate}` : "");
  const oneClass = (v?.groups ?? []).filter((g) => g.one_class).map((g) => g.name);
  process.stderr.write(
    `trained ${name}@${version} on ${backend}: ${split.train} training rows, ${split.validation} validation rows, ` +
      `${metadata.feature_spec.columns.length} features, best epoch ${metadata.training.best_epoch} of ${metadata.training.epochs_run}, ` +
      `${metadata.training.seconds.toFixed(1)} s${result.current ? " (now current)" : ` (not current: promote with 'soc-assistant models promote ${name}@${version}')`}\n` +
      `${chosen}\n` +
      (oneClass.length > 0 ? `groups with one class only (no AUC of their own): ${oneClass.join(", ")}\n` : "") +
      `validation metrics:\n${formatMetricsTable(result.metrics)}\n`,
  );
  process.stdout.write(`${version}\n`);
  return 0;
}
