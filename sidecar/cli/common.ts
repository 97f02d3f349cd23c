/**
 * What several subcommands share: the config they default from, the backend start-up line, model references
 * and the training progress display.
 */
import { existsSync } from "node:fs";
import type { Config } from "../config/schema.ts";
import { loadConfig, parseConfig } from "../config/load.ts";
import { logEvent } from "../telemetry/log.ts";
import { UsageError } from "./args.ts";

/** `--config` when given; else `./config.yaml` when present; else the built-in defaults. */
export function cliConfig(path: string | undefined): Config {
  if (path !== undefined) return loadConfig(path);
  if (existsSync("config.yaml")) return loadConfig("config.yaml");
  return parseConfig({ source: { type: "file", file: { paths: ["data/sample/conn.sample.log"] } } });
}


/** Splits `name@version`; the version part is optional. */
export function parseRef(ref: string, command: string): string {
  if (!/^[A-Za-z0-9_.-]+(@v\d{4,})?$/.test(ref)) {
    throw new UsageError(`${command}: --model must be <name> or <name>@<version> (e.g. zeek-conn@v0002), got ${JSON.stringify(ref)}`);
  }
  return ref;
}

/** A one-line progress bar on a terminal; one log line per epoch otherwise. */
export function epochReporter(): (p: { epoch: number; epochs: number; loss: number; valLoss: number; seconds: number; improved: boolean }) => void {
  const tty = process.stderr.isTTY === true;
  return (p) => {
    if (tty) {
      const width = 24;
      const done = Math.round((p.epoch / p.epochs) * width);
      process.stderr.write(
        `\repoch ${String(p.epoch).padStart(3)}/${p.epochs} [${"#".repeat(done)}${"-".repeat(width - done)}] ` +
          `loss ${p.loss.toFixed(4)} val_loss ${p.valLoss.toFixed(4)}${p.improved ? " *" : "  "} ${p.seconds.toFixed(1)}s`,
      );
    } else {
      logEvent("train_epoch", { epoch: p.epoch, epochs: p.epochs, loss: round(p.loss), val_loss: round(p.valLoss), improved: p.improved, seconds: round(p.seconds) });
    }
  };
}

function round(x: number): number {
  return Number(x.toFixed(4));
}
