/**
 * Reproduces the shipped default model `models/zeek-conn`: trains on every labeled flow of the six public
 * Zeek captures in `../shared/datasets/zeek` (or `$SOC_DATASETS/zeek`) with the training job and the default
 * config, saves it as a new version and makes it current.
 *
 * Usage: npm run train:default
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseConfig } from "../sidecar/config/load.ts";
import { logEvent } from "../sidecar/telemetry/log.ts";
import { startBackend } from "../sidecar/tf/start.ts";
import { formatMetricsTable } from "../sidecar/training/evaluate.ts";
import { fileTrainingData, runTrainingJob } from "../sidecar/training/job.ts";

const datasets = resolve(process.env.SOC_DATASETS ?? "../shared/datasets");
const zeek = join(datasets, "zeek");
if (!existsSync(zeek)) {
  console.error(`train:default needs the public Zeek captures in ${zeek} (set SOC_DATASETS to the datasets folder)`);
  process.exit(1);
}
const files = readdirSync(zeek, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".gz"))
  .sort()
  .map((f) => join(zeek, f));
console.error(`training zeek-conn on ${files.length} captures:\n  ${files.join("\n  ")}`);
// The built-in defaults: the source section is required by the schema but unused here.
const config = parseConfig({ source: { type: "file", file: { paths: ["unused"] } } });
await startBackend(config.model.backend);
const result = await runTrainingJob({
  data: fileTrainingData({ files }),
  architecture: config.model.architecture,
  training: config.model.training,
  baseRate: config.model.base_rate,
  registryDir: "models",
  name: "zeek-conn",
  makeCurrent: "always",
  onEpoch: (p) => logEvent("train_epoch", { epoch: p.epoch, epochs: p.epochs, loss: p.loss, val_loss: p.valLoss, improved: p.improved, seconds: p.seconds }),
});
console.error(`validation metrics:\n${formatMetricsTable(result.metrics)}`);
console.error(`models/zeek-conn: current is ${result.version}`);
