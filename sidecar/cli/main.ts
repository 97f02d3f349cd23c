/**
 * `soc-assistant`: parses the subcommand and its flags, then calls in. Returns the exit code: 0 success,
 * 1 a user-facing error (bad input, missing file, refused model), 2 a usage error. Errors are one line on
 * stderr; a stack trace only for a bug (an error that is neither of those), and then with a note saying so.
 */
import { UsageError, UserError } from "./args.ts";
import { ConfigError } from "../config/load.ts";

const USAGE = `Usage: soc-assistant <command> [flags]

Commands:
  run       [--config config.yaml] [--once]          score on the configured schedule (the main job)
  train     --data <file>... --model <name> [--format zeek|csv|jsonl|nsl-kdd] [--label-column <col>]
            [--models-dir <dir>] [--epochs <n>] [--config <file>]
  evaluate  --model <name>[@<version>] --data <file>... [--format ...] [--label-column <col>] [--json]
            [--models-dir <dir>]
  score     --model <name>[@<version>] --input <file> --output <file.jsonl> [--format ...]
            [--min-risk-score <0-100>] [--models-dir <dir>]
  backfill  --earliest <time> --latest <time> [--search <name>] [--config <file>]
            score a _time range from Splunk without moving the live checkpoints
  retrain   [--config <file>] [--data <file>... [--format ...] [--label-column <col>]] [--epochs <n>] [--json]
            retrain now: champion/challenger on the newest held-out rows, promote only a better model
  models    list [--model <name>] | promote <name>@<version> | rollback <name>   [--models-dir <dir>]
  config    validate [--config <file>] [--check-connections]   print the effective config, or every problem

Run 'soc-assistant <command> --help' for a command's flags.`;

/** Each command's usage, printed by `<command> --help` (exit 0). */
const COMMAND_USAGE: Record<string, string> = {
  run: `Usage: soc-assistant run [--config config.yaml] [--once]

Scores the configured source on the configured schedule and serves the API until SIGINT/SIGTERM.
  --config <file>   the configuration (default config.yaml)
  --once            one run of every source, then exit: 0 when every window was scored and committed,
                    1 when a run failed, an input could not be read or no model can score
Ctrl-C waits for the run in flight; a second Ctrl-C stops it at the next safe point (what was not committed
is scored again by the next run).`,
  train: `Usage: soc-assistant train --data <file>... --model <name> [flags]

Trains a model and saves it as a new registry version (the first becomes current); prints the version.
  --data <file>         training data (repeatable; Zeek conn.log, CSV, JSON lines, NSL-KDD; .gz too)
  --model <name>        the model's name in the registry
  --format <f>          auto (default) | zeek | csv | jsonl | nsl-kdd
  --label-column <col>  the column holding the label
  --models-dir <dir>    the registry (default: model.registry_dir)
  --epochs <n>          training epochs (default: model.training.epochs)
  --config <file>       the configuration to take defaults from`,
  evaluate: `Usage: soc-assistant evaluate --model <name>[@<version>] --data <file>... [flags]

Metrics of a registry version on labeled data.
  --model <ref>         name, or name@version
  --data <file>         labeled data (repeatable)
  --format <f>          auto (default) | zeek | csv | jsonl | nsl-kdd
  --label-column <col>  the column holding the label
  --models-dir <dir>    the registry (default: model.registry_dir)
  --json                one JSON object instead of a table
  --config <file>       the configuration to take defaults from`,
  score: `Usage: soc-assistant score --model <name>[@<version>] --input <file> --output <file.jsonl> [flags]

Scores one file; writes the risk events at or above the threshold as JSON lines (the output is replaced,
and must not be the input). Counts go to stderr, with progress on a terminal.
  --model <ref>             name, or name@version
  --input <file>            Zeek conn.log, CSV, JSON lines, NSL-KDD (.gz too)
  --output <file>           where the risk events go
  --format <f>              auto (default) | zeek | csv | jsonl | nsl-kdd
  --min-risk-score <0-100>  write events scoring at least this (default: sink.min_risk_score)
  --workers <n>             scoring worker threads, 0 for the main thread (default: model.workers)
  --models-dir <dir>        the registry (default: model.registry_dir)
  --config <file>           the configuration to take defaults from`,
  backfill: `Usage: soc-assistant backfill --earliest <time> --latest <time> [--search <name>] [--config <file>]

Scores a _time range from Splunk through the configured sink without moving the live checkpoints.
  --earliest, --latest  epoch seconds or ISO 8601 times
  --search <name>       one configured search (default: all)`,
  models: `Usage: soc-assistant models list [--model <name>] [--json] | promote <name>@<version> | rollback <name>
       [--models-dir <dir>] [--config <file>]

Lists registry versions, or moves the current pointer (verified first); a running sidecar picks it up at its
next run.`,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && COMMAND_USAGE[command] && (rest.includes("--help") || rest.includes("-h"))) {
    process.stdout.write(`${COMMAND_USAGE[command]}\n`);
    return 0;
  }
  try {
    switch (command) {
      case "run":
        return await (await import("./run.ts")).runCommand(rest);
      case "train":
        return await (await import("./train.ts")).trainCommand(rest);
      case "evaluate":
        return await (await import("./evaluate.ts")).evaluateCommand(rest);
      case "score":
        return await (await import("./score.ts")).scoreCommand(rest);
      case "backfill":
        return await (await import("./backfill.ts")).backfillCommand(rest);
      case "retrain":
        return await (await import("./retrain.ts")).retrainCommand(rest);
      case "models":
        return await (await import("./models.ts")).modelsCommand(rest);
      case "config":
        return await (await import("./config.ts")).configCommand(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}; expected run, train, evaluate, score, backfill, retrain, models or config`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`soc-assistant: ${e.message}\n(see 'soc-assistant --help')\n`);
      return 2;
    }
    if (e instanceof UserError || e instanceof ConfigError) {
      process.stderr.write(`soc-assistant: ${e.message}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && (err.code === "ENOENT" || err.code === "EACCES" || err.code === "EISDIR") && err.path) {
      process.stderr.write(`soc-assistant: ${err.path}: ${err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory" : "permission denied"}\n`);
      return 1;
    }
    process.stderr.write(`soc-assistant: internal error (please report it): ${err?.stack ?? String(e)}\n`);
    return 1;
  }
}
