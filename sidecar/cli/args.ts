/**
 * Flag parsing shared by the subcommands. A wrong flag or a missing value is a `UsageError`: main prints one
 * line and exits 2, never a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {
  override name = "UsageError";
}

/** An error whose message is the whole story for the user (bad input, missing file): exit 1, one line. */
export class UserError extends Error {
  override name = "UserError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse<O extends Options>(argv: string[], options: O, command: string) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message.split("\n")[0]}`);
  }
}

export function required(value: string | undefined, flag: string, command: string): string {
  if (value === undefined || value === "") throw new UsageError(`${command}: ${flag} is required`);
  return value;
}

export function positiveInt(value: string | undefined, flag: string, command: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${command}: ${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}
