/** `soc-assistant train --data <file>... --model <name>`: trains, saves a new registry version, prints it. */
import { ModelRegistry } from "../registry/registry.ts";
import { readAllLabeled, openFileSource } from "../sources/file/index.ts";
import { trainFromEvents } from "../training/pipeline.ts";
import { formatMetricsTable } from "../training/evaluate.ts";
import { logEvent } from "../telemetry/log.ts";
import { parse, positiveInt, required, UsageError, UserError } from "./args.ts";
import { chooseFeatures, cliConfig, epochReporter, startBackend } from "./common.ts";

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
  const source = { files, format: values.format, labelColumn: values["label-column"] };

  let labeled;
  let fields: string[];
  try {
    fields = await openFileSource(source).fields();
    labeled = await readAllLabeled(source);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const { events, counts } = labeled;
  if (counts.rejected > 0) {
    logEvent("rows_rejected", { rejected: counts.rejected, first: labeled.rejected.slice(0, 5).map((r) => `${r.file}:${r.line}: ${r.reason}`) });
  }
  if (counts.benign === 0 || counts.attack === 0) {
    throw new UserError(`training needs both classes; the data has ${counts.benign} benign and ${counts.attack} attack rows`);
  }
  const backend = await startBackend(config.model.backend);
  const featureConfig = chooseFeatures(fields, events.slice(0, 2000).map((e) => e.fields));
  const result = await trainFromEvents({
    events: events.map((e) => ({ fields: e.fields, label: e.label as 0 | 1 })),
    featureConfig,
    arch: config.model.architecture,
    training: { ...config.model.training, epochs },
    data: { files, rows: events.length, positives: counts.attack, negatives: counts.benign, excluded: counts.excluded + counts.unlabeled, rejected: counts.rejected },
    onEpoch: epochReporter(),
  });
  if (process.stderr.isTTY) process.stderr.write("\n");
  const registry = new ModelRegistry(values["models-dir"] ?? config.model.registry_dir);
  const version = await registry.save(name, result.model, result.metadata);
  result.model.dispose();
  const current = registry.current(name) === version;
  process.stderr.write(
    `trained ${name}@${version} on ${backend}: ${result.split.train} training rows, ${result.split.validation} validation rows, ` +
      `${result.metadata.feature_spec.columns.length} features, best epoch ${result.metadata.training.best_epoch} of ${result.metadata.training.epochs_run}, ` +
      `${result.metadata.training.seconds.toFixed(1)} s${current ? " (now current)" : ` (not current: promote with 'soc-assistant models promote ${name}@${version}')`}\n` +
      `validation metrics:\n${formatMetricsTable(result.metadata.validation_metrics)}\n`,
  );
  process.stdout.write(`${version}\n`);
  return 0;
}
