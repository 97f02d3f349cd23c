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

Run 'soc-assistant <command> --help' for a command's flags.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
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
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}; expected run, train, evaluate, score, backfill, retrain or models`);
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
