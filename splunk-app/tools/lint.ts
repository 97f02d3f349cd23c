/**
 * The app linter: splunkd's conf syntax, the settings allow-list derived from Splunk's 9.4.3 .spec files, the
 * AppInspect checks that apply to this app (research/splunk-app.md section 2.2), re-implemented, and the
 * project's own rules (searches reach indexes only through macros; every macro used is defined). Every
 * problem names the file, and where there is one the stanza, key and line.
 *
 * `lintApp(dir)` checks an app folder (the staged build or an extracted package); `lintArchive` (package.ts)
 * checks the archive's own packaging rules and then the extracted tree with this.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { parseConf, type ConfFile } from "./conf.ts";
import type { AllowList } from "./derive-allowlist.ts";
import { lintFields } from "./fields.ts";
import { appKnowledge } from "./knowledge.ts";
import { macroArgs } from "../../emulator/spl/macros.ts";

export type Severity = "fail" | "warn";

export interface Problem {
  severity: Severity;
  /** The AppInspect check name, or `soc_*` for the project's own rules. */
  rule: string;
  /** Path relative to the app folder (or the archive, for packaging rules). */
  file: string;
  stanza?: string;
  key?: string;
  line?: number;
  message: string;
}

export function formatProblem(p: Problem): string {
  const where = [p.file + (p.line ? `:${p.line}` : ""), p.stanza !== undefined ? `[${p.stanza}]` : "", p.key ?? ""].filter((x) => x !== "").join(" ");
  return `${p.severity.toUpperCase()} ${where}: ${p.message} (${p.rule})`;
}

export const ALLOW = JSON.parse(readFileSync(join(import.meta.dirname, "spec-allowlist.json"), "utf8")) as AllowList;

/** Confs Splunk defines (any conf with a spec in the allow-list): they may not carry a reload trigger. */
const SPLUNK_CONFS = new Set(Object.keys(ALLOW.confs).filter((c) => c.endsWith(".conf")).map((c) => c.replace(/\.conf$/, "")));
const DEFAULT_INDEXES = new Set(["main", "summary", "history", "_internal", "_audit", "_introspection", "_thefishbucket", "_telemetry", "_metrics", "_configtracker", "_dsphonehome", "_dsclient", "_dsappevent", "splunklogger", "default", "_internal_metrics", "_metrics_rollup"]);
const INDEX_KEYS_CLOUD = new Set(["homePath", "coldPath", "thawedPath", "frozenTimePeriodInSecs", "disabled", "datatype", "repFactor"]);
const RESERVED_DOS = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

export interface AppFile {
  /** Relative path with `/` separators. */
  path: string;
  isDir: boolean;
  /** Permission bits. */
  mode: number;
}

export function listApp(dir: string): AppFile[] {
  const out: AppFile[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const rel = relative(dir, p).split(sep).join("/");
      out.push({ path: rel, isDir: st.isDirectory(), mode: st.mode & 0o7777 });
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|t|yes|y|on)$/i.test(v.trim());
}

function keyAllowed(conf: string, key: string): boolean {
  const a = ALLOW.confs[conf];
  if (!a) return true;
  if (a.keys.includes(key)) return true;
  for (const k of a.keys) {
    if (!k.includes("*")) continue;
    const re = new RegExp(`^${k.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".+")}$`);
    if (re.test(key)) return true;
  }
  if (conf === "authorize.conf" && a.capabilities?.includes(key)) return true;
  if (conf === "tags.conf") return /^[A-Za-z0-9_-]+$/.test(key);
  return false;
}

/** Cron: 5 fields of numbers, `*`, ranges, lists and steps (no month or day names). Returns firings per hour, or null if invalid. */
export function cronFiringsPerHour(expr: string): number | null {
  const f = expr.trim().split(/\s+/);
  if (f.length !== 5) return null;
  const ranges: [number, number][] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];
  const counts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const [lo, hi] = ranges[i];
    const vals = new Set<number>();
    for (const part of f[i].split(",")) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      if (!m) return null;
      const a = m[1] === "*" ? lo : Number(m[2]);
      const b = m[1] === "*" ? hi : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? hi : a;
      const step = m[4] !== undefined ? Number(m[4]) : 1;
      if (a < lo || b > hi || a > b || step < 1) return null;
      for (let v = a; v <= b; v += step) vals.add(v);
    }
    counts.push(vals.size);
  }
  return counts[0];
}

/** Macro calls in an SPL string: name and argument count (`name(a,b)` → 2). */
export function macroCalls(spl: string): { name: string; argc: number; text: string }[] {
  const out: { name: string; argc: number; text: string }[] = [];
  const re = /`([^`]*)`/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(spl))) {
    const inner = m[1].trim();
    const call = /^([A-Za-z0-9_-]+)\s*(?:\((.*)\))?$/s.exec(inner);
    if (!call) {
      out.push({ name: inner, argc: -1, text: m[0] });
      continue;
    }
    out.push({ name: call[1], argc: call[2] === undefined ? 0 : macroArgs(call[2]).length, text: m[0] });
  }
  return out;
}

/** A search string found in the app, with where it came from. */
export interface AppSearch {
  file: string;
  stanza?: string;
  key?: string;
  line?: number;
  spl: string;
  /** Dashboard data source id, for dashboards. */
  dataSource?: string;
}

export interface StudioView {
  file: string;
  version: string | null;
  definition: unknown;
  error?: string;
}

/** Reads a view XML: its version attribute and, for Dashboard Studio, the JSON definition inside CDATA. */
export function readView(file: string, text: string): StudioView {
  const root = /<(dashboard|form)\b([^>]*)>/.exec(text);
  const version = root ? (/\bversion\s*=\s*"([^"]*)"/.exec(root[2])?.[1] ?? null) : null;
  const cdata = /<definition>\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*<\/definition>/.exec(text);
  if (!cdata) return { file, version, definition: null };
  try {
    return { file, version, definition: JSON.parse(cdata[1]) };
  } catch (e) {
    return { file, version, definition: null, error: (e as Error).message };
  }
}

/** Every `ds.search` query of a Studio definition. */
export function studioSearches(file: string, def: unknown): AppSearch[] {
  const ds = (def as { dataSources?: Record<string, { type?: string; options?: { query?: string } }> })?.dataSources ?? {};
  return Object.entries(ds)
    .filter(([, d]) => d.type === "ds.search" && typeof d.options?.query === "string")
    .map(([id, d]) => ({ file, dataSource: id, spl: d.options!.query! }));
}

export interface LoadedApp {
  dir: string;
  files: AppFile[];
  confs: Map<string, ConfFile>;
  views: StudioView[];
  searches: AppSearch[];
  macros: Map<string, { args: string[]; definition: string }>;
}

export function loadApp(dir: string): LoadedApp {
  const files = listApp(dir);
  const confs = new Map<string, ConfFile>();
  for (const f of files) {
    if (f.isDir) continue;
    if (/^(default|local)\/[^/]+\.conf$/.test(f.path) || /^metadata\/[^/]+\.meta$/.test(f.path)) confs.set(f.path, parseConf(readFileSync(join(dir, f.path), "utf8")));
  }
  const views = files
    .filter((f) => !f.isDir && /^default\/data\/ui\/views\/[^/]+\.xml$/.test(f.path))
    .map((f) => readView(f.path, readFileSync(join(dir, f.path), "utf8")));
  const searches: AppSearch[] = [];
  const add = (path: string, key: string): void => {
    for (const s of confs.get(path)?.stanzas ?? []) for (const kv of s.settings) if (kv.key === key) searches.push({ file: path, stanza: s.name, key, line: kv.line, spl: kv.value });
  };
  add("default/savedsearches.conf", "search");
  add("default/eventtypes.conf", "search");
  add("default/workflow_actions.conf", "search.search_string");
  for (const v of views) searches.push(...studioSearches(v.file, v.definition));
  const macros = new Map<string, { args: string[]; definition: string }>();
  for (const s of confs.get("default/macros.conf")?.stanzas ?? []) {
    const m = new Map(s.settings.map((kv) => [kv.key, kv.value]));
    const args = (m.get("args") ?? "").split(",").map((a) => a.trim()).filter((a) => a !== "");
    macros.set(s.name, { args, definition: m.get("definition") ?? "" });
  }
  return { dir, files, confs, views, searches, macros };
}

export interface LintOptions {
  /** The app id the folder must have (default: the folder's name). */
  appId?: string;
}

export function lintApp(dir: string, opts: LintOptions = {}): Problem[] {
  const app = loadApp(dir);
  const problems = lintLoaded(app, opts.appId ?? basename(dir));
  // Field names against the sidecar's contract; only once macros resolve (a missing macro is reported above).
  if (!problems.some((p) => p.rule === "soc_macro_defined")) problems.push(...lintFields(app, appKnowledge(dir)));
  return problems;
}

export function lintLoaded(app: LoadedApp, folder: string): Problem[] {
  const P: Problem[] = [];
  const fail = (rule: string, p: Omit<Problem, "severity" | "rule">): void => void P.push({ severity: "fail", rule, ...p });
  const warn = (rule: string, p: Omit<Problem, "severity" | "rule">): void => void P.push({ severity: "warn", rule, ...p });
  const { files, confs } = app;
  const conf = (name: string): ConfFile | undefined => confs.get(`default/${name}`);
  const get = (c: ConfFile | undefined, stanza: string, key: string): { value: string; line: number } | undefined => {
    let v: { value: string; line: number } | undefined;
    for (const s of c?.stanzas ?? []) if (s.name === stanza) for (const kv of s.settings) if (kv.key === key) v = { value: kv.value, line: kv.line };
    return v;
  };

  // --- structure
  if (files.filter((f) => !f.isDir).length <= 1 && files.some((f) => f.path === "default/app.conf")) {
    fail("check_that_extracted_splunk_app_does_not_contains_only_app_conf_file", { file: "default/app.conf", message: "the app holds only app.conf" });
  }
  if (/^\d/.test(folder)) fail("check_that_app_name_config_is_valid", { file: folder, message: "the app folder name must not start with a digit" });
  for (const f of files) {
    const parts = f.path.split("/");
    if (parts.some((p) => p.startsWith(".") || p === "__MACOSX")) fail("check_that_extracted_splunk_app_does_not_contain_prohibited_directories_or_files", { file: f.path, message: "hidden files and __MACOSX are not allowed" });
    if (parts[0] === "local") fail("check_that_local_does_not_exist", { file: f.path, message: "local/ is the admin's: ship settings in default/" });
    if (f.path === "metadata/local.meta") fail("check_for_local_meta", { file: f.path, message: "metadata/local.meta is the admin's" });
    if (parts[0] === "users") fail("check_that_users_does_not_exist", { file: f.path, message: "users/ holds per-user objects and must not ship" });
    if (!f.isDir && /\s/.test(basename(f.path)) && /\.(conf|xml)$/.test(f.path)) fail("check_filenames_for_spaces", { file: f.path, message: "conf and xml file names must not contain spaces" });
    if (f.isDir && (f.mode & 0o700) !== 0o700) fail("check_that_extracted_splunk_app_does_not_contain_invalid_directories", { file: f.path, message: `directory mode ${f.mode.toString(8)}: the owner needs rwx` });
    if (!f.isDir && (f.mode & 0o600) !== 0o600) fail("check_that_extracted_splunk_app_does_not_contain_files_with_invalid_permissions", { file: f.path, message: `file mode ${f.mode.toString(8)}: the owner needs rw` });
    if (!f.isDir && (f.mode & 0o111) !== 0 && parts[0] !== "bin" && !f.path.startsWith("appserver/controllers/")) fail("check_for_bin_files", { file: f.path, message: `executable (mode ${f.mode.toString(8)}) outside bin/: use 644` });
    if (f.path.startsWith("default/data/ui/html/")) fail("check_html_dashboards", { file: f.path, message: "HTML dashboards are not allowed" });
    if (!f.isDir && /^appserver\/static\/.*\.js$/.test(f.path)) {
      const js = readFileSync(join(app.dir, f.path), "utf8");
      if (/(['"])(splunkjs\/|\/static\/js\/|\/en-US\/static\/)/.test(js)) fail("check_hotlinking_splunk_web_libraries", { file: f.path, message: "imports Splunk Web's internal libraries" });
    }
  }
  if (!files.some((f) => f.path === "default/app.conf")) fail("check_app_conf_exists", { file: "default/app.conf", message: "missing" });
  if (!files.some((f) => /^README(\.md|\.txt)?$/.test(f.path))) fail("soc_readme", { file: "README.md", message: "the app's README is missing" });

  // --- every conf: syntax, duplicates, default stanzas, allow-list
  for (const [path, c] of confs) {
    const confName = basename(path);
    for (const s of c.syntax) fail("check_config_file_parsing", { file: path, line: s.line, message: s.message });
    const seen = new Map<string, number>();
    for (const s of c.stanzas) {
      if (s.name !== "" && seen.has(s.name)) fail("check_config_file_parsing", { file: path, stanza: s.name, line: s.line, message: `duplicate stanza (first at line ${seen.get(s.name)})` });
      seen.set(s.name, s.line);
      const keys = new Map<string, number>();
      for (const kv of s.settings) {
        if (keys.has(kv.key)) fail("check_config_file_parsing", { file: path, stanza: s.name, key: kv.key, line: kv.line, message: `duplicate key (first at line ${keys.get(kv.key)})` });
        keys.set(kv.key, kv.line);
        if (path.startsWith("default/") && !keyAllowed(confName, kv.key)) {
          fail("soc_spec_allowlist", { file: path, stanza: s.name, key: kv.key, line: kv.line, message: `not a setting of ${confName} in Splunk ${ALLOW.splunk_version}'s spec` });
        }
        if (/(^|[\\/])\.\.([\\/]|$)/.test(kv.value) && /script|filename|command|path/i.test(kv.key)) fail("check_manipulation_outside_of_app_container", { file: path, stanza: s.name, key: kv.key, line: kv.line, message: "a path that leaves the app folder" });
      }
      const isMeta = confName.endsWith(".meta");
      const splunkDefined = !isMeta && SPLUNK_CONFS.has(confName.replace(/\.conf$/, ""));
      if (splunkDefined && confName !== "savedsearches.conf" && confName !== "app.conf") {
        if (["default", "general", "global", "stash"].includes(s.name)) fail("check_no_default_stanzas", { file: path, stanza: s.name, line: s.line, message: "default stanzas change every app's settings" });
        if (s.name === "" && s.settings.length > 0) fail("check_no_default_stanzas", { file: path, line: s.settings[0].line, message: "settings outside a stanza apply to the default stanza" });
      }
    }
    if (path.startsWith("default/") && confName.endsWith(".conf") && !ALLOW.confs[confName] && confName !== "app.conf") {
      const trig = get(conf("app.conf"), "triggers", `reload.${confName.replace(/\.conf$/, "")}`);
      if (!trig) fail("check_reload_trigger_for_all_custom_confs", { file: path, message: `a custom conf needs [triggers] reload.${confName.replace(/\.conf$/, "")} in app.conf` });
    }
  }

  // --- app.conf
  const appConf = conf("app.conf");
  if (appConf) {
    const f = "default/app.conf";
    const idName = get(appConf, "id", "name");
    const pkgId = get(appConf, "package", "id");
    const idVer = get(appConf, "id", "version");
    const lVer = get(appConf, "launcher", "version");
    for (const [v, where] of [[idVer, "id"], [lVer, "launcher"]] as const) {
      if (!v) warn("check_version_is_valid_semver", { file: f, stanza: where, key: "version", message: "missing" });
      else if (!SEMVER.test(v.value)) fail("check_version_is_valid_semver", { file: f, stanza: where, key: "version", line: v.line, message: `'${v.value}' is not SemVer 2.0.0` });
    }
    if (idVer && lVer && idVer.value !== lVer.value) fail("check_version_is_valid_semver", { file: f, stanza: "launcher", key: "version", line: lVer.line, message: `'${lVer.value}' differs from [id] version '${idVer.value}'` });
    if (!pkgId) fail("check_for_valid_package_id", { file: f, stanza: "package", key: "id", message: "missing" });
    else {
      const id = pkgId.value;
      if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(id) || /(\.|\.tgz|\.spl)$/.test(id) || RESERVED_DOS.test(id)) fail("check_for_valid_package_id", { file: f, stanza: "package", key: "id", line: pkgId.line, message: `'${id}' is not a valid app id` });
      if (id !== folder) fail("check_for_valid_package_id", { file: f, stanza: "package", key: "id", line: pkgId.line, message: `'${id}' differs from the app folder '${folder}'` });
      if (idName && idName.value !== id) fail("check_for_valid_package_id", { file: f, stanza: "id", key: "name", line: idName.line, message: `'${idName.value}' differs from [package] id '${id}'` });
    }
    if (!appConf.stanzas.some((s) => s.name === "ui")) fail("check_for_valid_ui_label", { file: f, stanza: "ui", message: "app.conf has no [ui] stanza" });
    else {
      const vis = get(appConf, "ui", "is_visible");
      const label = get(appConf, "ui", "label");
      if (!vis || truthy(vis.value)) {
        if (!label || label.value.length < 5 || label.value.length > 80) fail("check_for_valid_ui_label", { file: f, stanza: "ui", key: "label", line: label?.line, message: "a visible app needs a label of 5 to 80 characters" });
        else if (/^splunk for/i.test(label.value)) fail("check_for_valid_ui_label", { file: f, stanza: "ui", key: "label", line: label.line, message: "the label must not start with 'Splunk For'" });
      }
    }
    const conf1 = get(appConf, "install", "is_configured");
    if (conf1 && truthy(conf1.value)) fail("check_that_setup_has_not_been_performed", { file: f, stanza: "install", key: "is_configured", line: conf1.line, message: "is_configured must not be true in a package" });
    for (const k of ["install_source_checksum", "install_source_local_checksum"]) {
      const v = get(appConf, "install", k);
      if (v) fail("check_no_install_source_checksum", { file: f, stanza: "install", key: k, line: v.line, message: "set by Splunk at install time; must not ship" });
    }
    const build = get(appConf, "install", "build");
    if (!build || !/^[1-9]\d*$/.test(build.value)) fail("soc_app_build", { file: f, stanza: "install", key: "build", line: build?.line, message: "[install] build must be a positive integer that rises with every release" });
    for (const s of appConf.stanzas.filter((x) => x.name === "triggers")) {
      for (const kv of s.settings) {
        const m = /^reload\.([^.]+)/.exec(kv.key);
        if (m && SPLUNK_CONFS.has(m[1])) fail("check_for_trigger_stanza", { file: f, stanza: "triggers", key: kv.key, line: kv.line, message: `${m[1]}.conf is Splunk's; reload triggers are for the app's own conf files` });
      }
    }
  }

  // --- default.meta
  const meta = confs.get("metadata/default.meta");
  if (!meta) fail("check_meta_default_write_access", { file: "metadata/default.meta", message: "missing: objects would be writable only by their owner" });
  else {
    const global = meta.stanzas.find((s) => s.name === "" || s.name === "default");
    const access = global?.settings.filter((kv) => kv.key === "access").at(-1);
    if (!access) fail("check_meta_default_write_access", { file: "metadata/default.meta", stanza: "", key: "access", message: "no global [] access" });
    else {
      const write = /write\s*:\s*\[([^\]]*)\]/.exec(access.value)?.[1].split(",").map((x) => x.trim()) ?? [];
      if (write.includes("*")) fail("check_meta_default_write_access", { file: "metadata/default.meta", stanza: "", key: "access", line: access.line, message: "write access for everyone" });
      if (write.length > 0 && write.every((r) => r === "admin")) warn("check_kos_are_accessible", { file: "metadata/default.meta", stanza: "", key: "access", line: access.line, message: "only admin may write: Splunk Cloud admins are sc_admin" });
    }
  }

  // --- indexes.conf
  for (const s of conf("indexes.conf")?.stanzas ?? []) {
    const f = "default/indexes.conf";
    if (s.name === "") continue;
    if (!/^(?![_-]|.*kvstore)[a-z0-9_-]+$/.test(s.name)) fail("check_lower_cased_index_names", { file: f, stanza: s.name, line: s.line, message: "index names are lower-case letters, digits, _ and -, not starting with _ or -" });
    if (DEFAULT_INDEXES.has(s.name)) fail("check_validate_default_indexes_not_modified", { file: f, stanza: s.name, line: s.line, message: "an app must not change Splunk's own indexes" });
    const m = new Map(s.settings.map((kv) => [kv.key, kv]));
    for (const [key, dir] of [["homePath", "db"], ["coldPath", "colddb"], ["thawedPath", "thaweddb"]] as const) {
      const v = m.get(key);
      const ok = [`$SPLUNK_DB/${s.name}/${dir}`, `$SPLUNK_DB/$_index_name/${dir}`];
      if (!v || !ok.includes(v.value)) fail("check_indexes_conf_properties", { file: f, stanza: s.name, key, line: v?.line ?? s.line, message: `must be ${ok[0]} (Splunk Cloud accepts only that)` });
    }
    for (const kv of s.settings) {
      if (!INDEX_KEYS_CLOUD.has(kv.key)) fail("check_indexes_conf_properties", { file: f, stanza: s.name, key: kv.key, line: kv.line, message: "Splunk Cloud accepts only homePath, coldPath, thawedPath, frozenTimePeriodInSecs, disabled, datatype and repFactor" });
      if (kv.key === "repFactor" && kv.value !== "auto") fail("check_indexes_conf_properties", { file: f, stanza: s.name, key: kv.key, line: kv.line, message: "repFactor may only be auto" });
    }
  }

  // --- inputs.conf: no HEC
  for (const s of conf("inputs.conf")?.stanzas ?? []) {
    if (s.name === "http") fail("check_inputs_conf_for_http_global_usage", { file: "default/inputs.conf", stanza: s.name, line: s.line, message: "apps cannot configure HEC globally" });
    if (s.name.startsWith("http://")) fail("check_inputs_conf_for_http_inputs", { file: "default/inputs.conf", stanza: s.name, line: s.line, message: "apps cannot ship a HEC token: the admin creates it (ACS on Splunk Cloud)" });
  }

  // --- savedsearches.conf
  for (const s of conf("savedsearches.conf")?.stanzas ?? []) {
    const f = "default/savedsearches.conf";
    if (s.name === "" || s.name === "default") continue;
    const m = new Map(s.settings.map((kv) => [kv.key, kv]));
    const v = (k: string): string | undefined => m.get(k)?.value;
    const search = v("search") ?? "";
    const scheduled = truthy(v("enableSched"));
    if (!v("description")?.trim()) fail("check_for_empty_saved_search_description", { file: f, stanza: s.name, key: "description", line: s.line, message: "every saved search needs a description" });
    if (v("action.email.to")?.trim()) fail("check_for_emails_in_saved_search", { file: f, stanza: s.name, key: "action.email.to", line: m.get("action.email.to")!.line, message: "no email addresses in a package" });
    if (m.has("action.script.filename")) fail("check_for_sched_saved_searches_action_script_filename", { file: f, stanza: s.name, key: "action.script.filename", line: m.get("action.script.filename")!.line, message: "the script alert action is deprecated and refused" });
    if (truthy(v("action.populate_lookup"))) fail("check_for_saved_searches_populate_lookup", { file: f, stanza: s.name, key: "action.populate_lookup", line: m.get("action.populate_lookup")!.line, message: "populate_lookup is refused" });
    if (scheduled) {
      const exempt = search.trim().startsWith("|") || /\bearliest\s*=/.test(search);
      if (!v("dispatch.earliest_time") && !exempt) fail("check_for_sched_saved_searches_earliest_time", { file: f, stanza: s.name, key: "dispatch.earliest_time", line: s.line, message: "a scheduled search needs dispatch.earliest_time" });
      if (!v("dispatch.latest_time") && !search.trim().startsWith("|") && !/\blatest\s*=/.test(search)) warn("check_for_sched_saved_searches_latest_time", { file: f, stanza: s.name, key: "dispatch.latest_time", line: s.line, message: "a scheduled search should set dispatch.latest_time" });
      const cron = v("cron_schedule");
      if (cron !== undefined) {
        const n = cronFiringsPerHour(cron);
        if (n === null) fail("check_for_gratuitous_cron_scheduling", { file: f, stanza: s.name, key: "cron_schedule", line: m.get("cron_schedule")!.line, message: `'${cron}' is not a valid cron expression (numbers, *, ranges, lists, steps; no names)` });
        else if (n > 12) warn("check_for_gratuitous_cron_scheduling", { file: f, stanza: s.name, key: "cron_schedule", line: m.get("cron_schedule")!.line, message: `runs ${n} times an hour (more than 12)` });
      }
      const rt = [v("dispatch.earliest_time"), v("dispatch.latest_time")].some((t) => t !== undefined && /^rt/.test(t));
      if (rt) fail("check_for_real_time_saved_searches_for_cloud", { file: f, stanza: s.name, key: "dispatch.earliest_time", line: m.get("dispatch.earliest_time")?.line, message: "scheduled real-time searches are refused on Splunk Cloud" });
    }
  }

  // --- views
  for (const view of app.views) {
    if (view.version !== "1.1" && view.version !== "2") fail("check_simplexml_standards_version", { file: view.file, message: `dashboard version '${view.version ?? "(none)"}': use version="1.1" (Simple XML) or "2" (Dashboard Studio)` });
    if (view.version === "2" && view.error) fail("soc_studio_definition", { file: view.file, message: `the definition is not JSON: ${view.error}` });
    if (view.version === "2" && !view.error && !view.definition) fail("soc_studio_definition", { file: view.file, message: "a Dashboard Studio view needs <definition><![CDATA[ json ]]></definition>" });
  }

  // --- searches: indexes only through macros, macros defined with the right arity
  for (const s of app.searches) {
    const where = { file: s.file, stanza: s.stanza ?? s.dataSource, key: s.key ?? (s.dataSource ? "options.query" : undefined), line: s.line };
    if (/(^|[\s(|])index\s*(=|!=|::|\sIN\s)/i.test(s.spl.replace(/"[^"]*"/g, '""'))) fail("soc_index_through_macro", { ...where, message: "searches reach an index only through a macro (soc_risk_index, soc_traffic_index, ...)" });
    for (const c of macroCalls(s.spl)) {
      const key = c.argc > 0 ? `${c.name}(${c.argc})` : c.name;
      if (!app.macros.has(key)) fail("soc_macro_defined", { ...where, message: `macro ${c.text} (${key}) is not defined in macros.conf` });
    }
  }
  return P;
}

export function hasFailures(problems: Problem[]): boolean {
  return problems.some((p) => p.severity === "fail");
}

/** For tests and the CLI: whether a path exists inside the app. */
export function appHas(dir: string, rel: string): boolean {
  return existsSync(join(dir, rel));
}
