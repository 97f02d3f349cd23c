/**
 * `soc-assistant config validate [--config config.yaml] [--check-connections]`: validates the config, prints
 * the effective config (defaults filled in, paths resolved, secrets as [REDACTED]) as YAML, and exits 0; an
 * invalid config prints every problem by its dotted key and exits 1. With `--check-connections`, also checks
 * the model, Splunk and HEC the way readiness does, prints each result, and exits 1 when one fails.
 */
import { stringify } from "yaml";
import { loadConfig } from "../config/load.ts";
import { configureLogging } from "../telemetry/log.ts";
import { Sidecar } from "../service/sidecar.ts";
import { parse, UsageError } from "./args.ts";

const USAGE = `Usage: soc-assistant config validate [--config config.yaml] [--check-connections]

Prints the effective configuration (secrets redacted) and exits 0, or lists every problem by key and exits 1.
  --check-connections   also load the model and reach Splunk and HEC as configured, printing each result`;

export async function configCommand(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action === "--help" || action === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (action !== "validate") throw new UsageError(`config: unknown action ${JSON.stringify(action ?? "")}; expected validate`);
  const { values } = parse(rest, { config: { type: "string" }, "check-connections": { type: "boolean" } }, "config validate");
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file = values.config ?? "config.yaml";
  const config = loadConfig(file);
  // Secrets serialize as [REDACTED] (Secret.toJSON).
  process.stdout.write(`# ${file}: valid; effective configuration (defaults filled in, secrets redacted)\n`);
  process.stdout.write(stringify(JSON.parse(JSON.stringify(config))));
  if (!values["check-connections"]) return 0;
  configureLogging({ level: "error", format: config.logging.format });
  const sidecar = new Sidecar(config, () => undefined);
  const results = await sidecar.checkConnections();
  process.stdout.write("\n# connection checks\n");
  for (const r of results) process.stdout.write(`${r.ok ? "ok  " : "FAIL"} ${r.check}: ${r.detail}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}
