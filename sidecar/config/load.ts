/**
 * Loading: YAML → `${ENV}` expansion → schema validation. Every problem is reported at once, by dotted path,
 * in one `ConfigError`; nothing starts on an invalid config.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse } from "yaml";
import type { ZodIssue } from "zod";
import { configSchema, type Config } from "./schema.ts";

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Replaces `${NAME}` in every string; a variable that is not set is a problem reported by its dotted path. */
function expandEnv(value: unknown, path: string, env: NodeJS.ProcessEnv, problems: string[]): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined || v === "") {
        problems.push(`${path}: environment variable ${name} is not set (export ${name}=... before starting)`);
        return "";
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, `${path}[${i}]`, env, problems));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, expandEnv(v, path ? `${path}.${k}` : k, env, problems)]),
    );
  }
  return value;
}

function describe(issue: ZodIssue): string {
  const path = issue.path.join(".") || "(top level)";
  if (issue.code === "unrecognized_keys") {
    const prefix = issue.path.length ? `${issue.path.join(".")}.` : "";
    return issue.keys.map((k) => `${prefix}${k}: unknown key (remove it or check its spelling)`).join("\n  - ");
  }
  if (issue.code === "invalid_type" && issue.received === "undefined") return `${path}: required`;
  return `${path}: ${issue.message}`;
}

/** Validates an already-parsed object. Relative paths in the result are resolved against `baseDir`. */
export function parseConfig(raw: unknown, file = "config", env: NodeJS.ProcessEnv = process.env, baseDir = "."): Config {
  const problems: string[] = [];
  const expanded = expandEnv(raw ?? {}, "", env, problems);
  const result = configSchema.safeParse(expanded);
  if (!result.success) problems.push(...result.error.issues.map(describe));
  if (problems.length > 0 || !result.success) throw new ConfigError(file, problems);
  const c = result.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  if (c.source.type === "file") c.source.file.paths = c.source.file.paths.map(abs);
  c.sink.file.path = abs(c.sink.file.path);
  c.sink.file.runs_path = abs(c.sink.file.runs_path);
  c.model.registry_dir = abs(c.model.registry_dir);
  c.state_dir = abs(c.state_dir);
  if (c.api.tls) c.api.tls = { cert_file: abs(c.api.tls.cert_file), key_file: abs(c.api.tls.key_file) };
  return c;
}

/** Reads and validates a YAML config file; relative paths in it are relative to the file's directory. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(file, [`cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`]);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new ConfigError(file, [`not valid YAML: ${(e as Error).message.split("\n")[0]}`]);
  }
  return parseConfig(raw, file, env, dirname(resolve(file)));
}
