/** `soc-assistant evaluate --model <name>[@<version>] --data <file>...`: metrics of a version on labeled data. */
import { ModelRegistry } from "../registry/registry.ts";
import { checkInputFields } from "../scoring/load.ts";
import { openFileSource, readAllLabeled } from "../sources/file/index.ts";
import { formatMetricsTable } from "../training/evaluate.ts";
import { evaluateModel } from "../training/evaluate-model.ts";
import { parse, UsageError, UserError, required } from "./args.ts";
import { cliConfig, parseRef } from "./common.ts";
import { startBackend } from "../tf/start.ts";

const FLAGS = {
  model: { type: "string" },
  "models-dir": { type: "string" },
  data: { type: "string", multiple: true },
  format: { type: "string" },
  "label-column": { type: "string" },
  json: { type: "boolean" },
  config: { type: "string" },
} as const;

export async function evaluateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, FLAGS, "evaluate");
  const ref = parseRef(required(values.model, "--model", "evaluate"), "evaluate");
  const files = [...(values.data ?? []), ...positionals];
  if (files.length === 0) throw new UsageError("evaluate: --data <file>... is required");
  const config = cliConfig(values.config);
  await startBackend(config.model.backend);
  const registry = new ModelRegistry(values["models-dir"] ?? config.model.registry_dir);
  let loaded;
  try {
    loaded = await registry.load(ref);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const { model, metadata } = loaded;
  const source = { files, format: values.format, labelColumn: values["label-column"] };
  let labeled;
  try {
    checkInputFields(metadata, await openFileSource(source).fields(), files.join(", "));
    labeled = await readAllLabeled(source);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const rows = labeled.events.length;
  if (rows === 0) throw new UserError(`${files.join(", ")}: no rows labeled benign or attack to evaluate on`);
  let m;
  try {
    m = evaluateModel(model, metadata, labeled.events).metrics;
  } finally {
    model.dispose();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ model: metadata.name, version: metadata.version, ...m, excluded: labeled.counts.excluded, rejected: labeled.counts.rejected })}\n`);
  } else {
    process.stdout.write(`${metadata.name}@${metadata.version} on ${files.join(", ")}\n${formatMetricsTable(m)}\n`);
  }
  return 0;
}
