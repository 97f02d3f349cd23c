/**
 * Derives the settings allow-list (splunk-app/tools/spec-allowlist.json) from a directory of Splunk .spec
 * files. The specs are Splunk's text and are not committed; the derived list is, with the version it came from.
 *
 *   node --import tsx splunk-app/tools/derive-allowlist.ts <spec-dir> <splunk-version>
 *
 * A spec's setting lines start in column 0 as `name = <value>`; `<...>` in a name is a placeholder (`EVAL-<x>`,
 * `action.<name>`). Lines that are only a placeholder (`<capability> = <enabled>`, `<tag> = ...`) become the
 * conf's `anyKey` rule. For authorize.conf the capability names (`[capability::<name>]` headers) are listed, so
 * a role may enable only a capability Splunk defines.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ConfAllow {
  /** Setting names, `*` standing for a placeholder. */
  keys: string[];
  /** The spec line of a placeholder-only setting (`<capability> = <enabled>`), when there is one. */
  anyKey?: string;
  capabilities?: string[];
}

export interface AllowList {
  splunk_version: string;
  derived_from: string;
  confs: Record<string, ConfAllow>;
}

export function deriveConf(spec: string, conf: string): ConfAllow {
  const keys = new Set<string>();
  let anyKey: string | undefined;
  const caps = new Set<string>();
  for (const line of spec.split(/\r?\n/)) {
    const cap = /^\[capability::([A-Za-z0-9_]+)\]/.exec(line);
    if (cap) caps.add(cap[1]);
    const m = /^([A-Za-z0-9_<>.:\-/{}|*]+)\s*=/.exec(line);
    if (!m) continue;
    const name = m[1];
    if (/^<[^>]+>$/.test(name)) {
      anyKey ??= line.trim();
      continue;
    }
    keys.add(name.replace(/<[^>]*>/g, "*"));
  }
  const out: ConfAllow = { keys: [...keys].sort() };
  if (anyKey) out.anyKey = anyKey;
  if (conf === "authorize.conf") out.capabilities = [...caps].sort();
  return out;
}

function main(): void {
  const [dir, version] = process.argv.slice(2);
  if (!dir || !version) {
    console.error("usage: derive-allowlist.ts <spec-dir> <splunk-version>");
    process.exit(2);
  }
  const confs: Record<string, ConfAllow> = {};
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".spec")).sort()) {
    const conf = f.replace(/\.spec$/, "");
    confs[conf] = deriveConf(readFileSync(join(dir, f), "utf8"), conf);
  }
  const out: AllowList = { splunk_version: version, derived_from: `Splunk Enterprise ${version} .conf.spec files (${Object.keys(confs).length} specs)`, confs };
  writeFileSync(join(import.meta.dirname, "spec-allowlist.json"), `${JSON.stringify(out, null, 1)}\n`);
  console.log(`wrote spec-allowlist.json: ${Object.keys(confs).join(", ")}`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) main();
