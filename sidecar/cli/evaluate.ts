/**
 * `soc-assistant evaluate --model <name>[@<version>] --data <file>...`: metrics of a version on labeled data,
 * pooled and per input file (with the spread), beside how the version chose its operating point (the
 * threshold's goal and the validation grouping it was chosen on).
 */
import { ModelRegistry } from "../registry/registry.ts";
import { checkInputFields } from "../scoring/load.ts";
import { openFileSource, readAllLabeled } from "../sources/file/index.ts";
import { benignHighOrCritical, formatMetricsTable, groupFigures } from "../training/evaluate.ts";
import type { GroupMetrics } from "../registry/metadata.ts";
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
  let evaluation;
  try {
    evaluation = evaluateModel(model, metadata, labeled.events);
  } finally {
    model.dispose();
  }
  const m = evaluation.metrics;
  const benignHigh = benignHighOrCritical(evaluation.prob, evaluation.y);
  const groups = perFile(labeled.events, evaluation.prob, evaluation.y, metadata.threshold);
  const operatingPoint = {
    threshold: metadata.threshold,
    goal: metadata.threshold_goal ?? { goal: "f1" },
    base_rate: metadata.calibration.base_rate ?? null,
    validation: metadata.validation ?? { group_by: "none", used: "none", folds: 0, groups: [] },
  };
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({
        model: metadata.name,
        version: metadata.version,
        ...m,
        benign_high_or_critical: benignHigh,
        excluded: labeled.counts.excluded,
        rejected: labeled.counts.rejected,
        operating_point: operatingPoint,
        groups,
        spread: spread(groups),
      })}\n`,
    );
  } else {
    const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : "n/a");
    const v = operatingPoint.validation;
    const lines = [
      `${metadata.name}@${metadata.version} on ${files.join(", ")}`,
      formatMetricsTable(m),
      `  benign at high or critical: ${f(benignHigh)}`,
      `  threshold chosen for ${operatingPoint.goal.goal}${operatingPoint.goal.max_false_positive_rate !== undefined ? ` (at most ${operatingPoint.goal.max_false_positive_rate} of benign above it)` : ""}` +
        (v.used === "none" ? " on a random validation split" : ` on ${v.folds}-fold cross-validation by ${v.used}`) +
        `${operatingPoint.base_rate !== null ? `; probabilities assume a base rate of ${operatingPoint.base_rate}` : ""}`,
    ];
    if (groups.length > 1) {
      lines.push("  per file:");
      for (const g of groups) {
        lines.push(`    ${g.name}: ${g.rows} rows, ${g.positives} attack, accuracy ${f(g.accuracy)}, roc_auc ${f(g.roc_auc)}, benign high/critical ${f(g.benign_high_or_critical)}${g.one_class ? " (one class only)" : ""}`);
      }
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  return 0;
}


/** Figures per input file, in first-seen order. */
function perFile(events: readonly { origin: { kind: string; file?: string } }[], prob: Float32Array, y: Uint8Array, threshold: number): GroupMetrics[] {
  const rows = new Map<string, number[]>();
  events.forEach((e, i) => {
    const key = e.origin.file ?? e.origin.kind;
    const list = rows.get(key);
    if (list) list.push(i);
    else rows.set(key, [i]);
  });
  return [...rows].map(([name, idx]) => {
    return groupFigures(name, Float32Array.from(idx, (i) => prob[i]!), Uint8Array.from(idx, (i) => y[i]!), threshold);
  });
}

/** Min and max of each figure over the files (undefined figures, e.g. a one-class file's AUC, left out). */
function spread(groups: GroupMetrics[]): Record<string, [number, number] | null> {
  const out: Record<string, [number, number] | null> = {};
  for (const k of ["accuracy", "roc_auc", "pr_auc", "benign_high_or_critical"] as const) {
    const v = groups.map((g) => g[k]).filter((x) => Number.isFinite(x));
    out[k] = v.length > 0 ? [Math.min(...v), Math.max(...v)] : null;
  }
  return out;
}
