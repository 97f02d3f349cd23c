/** `soc-assistant models list | promote <name>@<version> | rollback <name>`. */
import type { Config } from "../config/schema.ts";
import { ModelRegistry } from "../registry/registry.ts";
import { ModelHolder } from "../scoring/holder.ts";
import { modelHolderOptions } from "../service/wiring.ts";
import { parse, UsageError, UserError } from "./args.ts";
import { cliConfig } from "./common.ts";
import { startBackend } from "../tf/start.ts";
import { actorText, readModelEvents } from "../training/model-events.ts";

/**
 * A holder that verifies a version before the pointer moves: it loads, the configured file input (if any)
 * has the fields it reads, and a probe batch scores to finite probabilities. A running sidecar picks the new
 * pointer up at its next run.
 */
async function verifyingHolder(config: Config, dir: string, name: string): Promise<ModelHolder> {
  await startBackend(config.model.backend);
  return new ModelHolder(modelHolderOptions(config, { registryDir: dir, name, workers: 0 }));
}

export async function modelsCommand(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const { values, positionals } = parse(rest, { "models-dir": { type: "string" }, model: { type: "string" }, config: { type: "string" }, json: { type: "boolean" } }, `models ${action ?? ""}`.trim());
  const config = cliConfig(values.config);
  const dir = values["models-dir"] ?? config.model.registry_dir;
  const registry = new ModelRegistry(dir);
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  };
  switch (action) {
    case "list": {
      const entries = wrap(() => registry.list(values.model));
      if (values.json) {
        process.stdout.write(`${JSON.stringify(entries)}\n`);
        return 0;
      }
      if (entries.length === 0) {
        process.stdout.write(`no models in ${registry.root}\n`);
        return 0;
      }
      process.stdout.write(`${"model".padEnd(20)} ${"version".padEnd(8)} cur ${"created".padEnd(24)} ${"pr_auc".padStart(7)} ${"roc_auc".padStart(7)} ${"f1".padStart(6)}\n`);
      for (const e of entries) {
        const m = e.metrics;
        const f = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(4));
        process.stdout.write(
          `${e.name.padEnd(20)} ${e.version.padEnd(8)} ${e.current ? " * " : "   "} ${(e.created_at ?? e.error ?? "").padEnd(24)} ` +
            `${f(m?.pr_auc).padStart(7)} ${f(m?.roc_auc).padStart(7)} ${f(m?.f1).padStart(6)}\n`,
        );
      }
      for (const name of [...new Set(entries.map((e) => e.name))]) {
        const lines = historyLines(registry, dir, name);
        if (lines.length === 0) continue;
        process.stdout.write(`\nhistory of ${name}:\n${lines.join("\n")}\n`);
      }
      return 0;
    }
    case "promote": {
      const ref = positionals[0];
      const m = ref === undefined ? null : /^([A-Za-z0-9_.-]+)@(v\d{4,})$/.exec(ref);
      if (!m) throw new UsageError("models promote: expected <name>@<version>, e.g. zeek-conn@v0002");
      const holder = await verifyingHolder(config, dir, m[1]!);
      const r = await holder.promote(m[2]!, "cli").catch((e: Error) => {
        throw new UserError(`models promote: refused ${m[1]}@${m[2]}: ${e.message}`);
      }).finally(() => holder.shutdown());
      process.stdout.write(`${m[1]}: current is now ${r.to} (was ${r.from ?? "none"})\n`);
      return 0;
    }
    case "rollback": {
      const name = positionals[0];
      if (!name) throw new UsageError("models rollback: expected <name>");
      const holder = await verifyingHolder(config, dir, name);
      const r = await holder.rollback("cli").catch((e: Error) => {
        throw new UserError(`models rollback: refused: ${e.message}`);
      }).finally(() => holder.shutdown());
      process.stdout.write(`${name}: rolled back to ${r.to} (was ${r.from ?? "none"})\n`);
      return 0;
    }
    default:
      throw new UsageError(`models: expected list, promote or rollback, got ${JSON.stringify(action ?? "")}`);
  }
}

/**
 * The pointer's moves (registry history, with the actor) and the retraining decisions that moved nothing
 * (model events: kept champion, refused, failed), oldest first, one line each.
 */
function historyLines(registry: ModelRegistry, dir: string, name: string): string[] {
  const rows: { time: string; text: string }[] = [];
  for (const h of registry.history(name)) {
    rows.push({ time: h.time, text: `${h.action.padEnd(13)} ${(h.from ?? "none").padEnd(6)} -> ${h.to.padEnd(6)} by ${actorText(h.actor)}` });
  }
  for (const e of readModelEvents(dir, name)) {
    if (e.action !== "rejected" && e.action !== "retrain_failed") continue;
    const what = e.action === "retrain_failed" ? "retrain_failed" : e.decision ?? e.action;
    rows.push({ time: new Date(e._time * 1000).toISOString(), text: `${what.padEnd(13)} ${(e.challenger_version ?? "-").padEnd(16)} by ${actorText(e.actor)}: ${e.reason}` });
  }
  return rows.sort((a, b) => a.time.localeCompare(b.time)).map((r) => `  ${r.time}  ${r.text}`);
}
