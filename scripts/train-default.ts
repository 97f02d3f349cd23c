/**
 * Reproduces the shipped default model `models/zeek-conn`: trains on every labeled flow of the six public
 * Zeek captures in `../shared/datasets/zeek` (or `$SOC_DATASETS/zeek`) with the production training path and
 * the default config, saves it as a new version and makes it current.
 *
 * Usage: npm run train:default
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { main } from "../sidecar/cli/main.ts";
import { ModelRegistry } from "../sidecar/registry/registry.ts";

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
const code = await main(["train", "--model", "zeek-conn", "--models-dir", "models", "--data", ...files]);
if (code !== 0) process.exit(code);
const registry = new ModelRegistry("models");
const latest = registry.versions("zeek-conn").at(-1)!;
if (registry.current("zeek-conn") !== latest) registry.promote("zeek-conn", latest);
console.error(`models/zeek-conn: current is ${latest}`);
