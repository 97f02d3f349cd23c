// Running `soc-assistant` in a test. `cli` calls the CLI's `main(argv)` in this process, capturing what it
// writes: the same parsing, commands, messages and exit codes as the installed command, without a process
// start (Node, tsx, tfjs) per call. `cliProcess` runs bin/soc-assistant.mjs as a child process: use it where
// the process itself is under test (hangs, signals, `run`, exit on its own) and for commands that set
// process-wide state (the V8 heap flag the bin sets for run/score/backfill, logging configuration).
import { spawnSync } from "node:child_process";
import { main } from "../../sidecar/cli/main.ts";
import { captureOutput } from "./output.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `main(argv)` in-process: its exit code and everything written to stdout and stderr during the call. */
export async function cli(...argv: string[]): Promise<CliResult> {
  const r = await captureOutput(() => main(argv));
  return { code: r.value, stdout: r.stdout.join(""), stderr: r.stderr.join("") };
}

/** `node bin/soc-assistant.mjs ...argv` as a child process (killed after `timeoutMs`: code -1). */
export function cliProcess(argv: string[], o: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, ["bin/soc-assistant.mjs", ...argv], { encoding: "utf8", timeout: o.timeoutMs ?? 120_000, env: o.env ?? process.env });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
