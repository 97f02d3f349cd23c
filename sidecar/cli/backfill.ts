/**
 * `soc-assistant backfill --earliest <time> --latest <time> [--search <name>] [--config <file>]`: scores a
 * `_time` range from Splunk through the configured sink, leaving the live checkpoints alone.
 */
import { loadConfig } from "../config/load.ts";
import { Sidecar } from "../service/sidecar.ts";
import { configureLogging } from "../telemetry/log.ts";
import { parse, required, UsageError, UserError } from "./args.ts";

/** Epoch seconds from an epoch number or an ISO 8601 time. */
export function parseTime(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() !== "" && Number.isFinite(n)) return n;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`backfill: ${flag} must be epoch seconds or an ISO 8601 time, got ${JSON.stringify(value)}`);
  return ms / 1000;
}

export async function backfillCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: "string" }, earliest: { type: "string" }, latest: { type: "string" }, search: { type: "string" } }, "backfill");
  const earliest = parseTime(required(values.earliest, "--earliest", "backfill"), "--earliest");
  const latest = parseTime(required(values.latest, "--latest", "backfill"), "--latest");
  const config = loadConfig(values.config ?? "config.yaml");
  configureLogging(config.logging);
  const service = new Sidecar(config);
  try {
    const reports = await service.backfill(earliest, latest, values.search);
    const failed = reports.filter((r) => r.error);
    for (const r of reports) {
      process.stderr.write(`backfill ${r.source}: pulled ${r.events_pulled}, scored ${r.events_scored}, wrote ${r.events_written}${r.error ? `, FAILED: ${r.error}` : ""}\n`);
    }
    return failed.length > 0 ? 1 : 0;
  } catch (e) {
    throw new UserError((e as Error).message);
  } finally {
    await service.shutdown();
  }
}
