/**
 * Builds the app package: stages splunk-app/app into build/soc_assistant (views generated from the Dashboard
 * Studio definitions in splunk-app/dashboards, app.conf stamped with package.json's version and a build number
 * derived from it, directories 0755 and files 0644), lints the staged tree, writes
 * dist/soc_assistant-<version>.tar.gz with one top folder, re-opens the archive and checks it again. It refuses
 * to write an archive that fails validation.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { createHash } from "node:crypto";
import { hasFailures, lintApp, type Problem } from "./lint.ts";
import { readTarGz, tarGz, type TarEntry } from "./tar.ts";

export const APP_ID = "soc_assistant";
export const APP_SRC = join(import.meta.dirname, "..", "app");
export const DASHBOARDS_SRC = join(import.meta.dirname, "..", "dashboards");
export const REPO_ROOT = join(import.meta.dirname, "..", "..");

/** `[install] build` for a version: rises with every release (major·10⁶ + minor·10³ + patch). */
export function buildNumber(version: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`package.json version '${version}' is not SemVer`);
  const [maj, min, pat] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (min > 999 || pat > 999) throw new Error(`version ${version}: minor and patch must stay below 1000 for the build number`);
  return maj * 1_000_000 + min * 1_000 + pat || 1;
}

export function packageVersion(root = REPO_ROOT): string {
  return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
}

/** A Dashboard Studio view file: the definition inside CDATA (which it must therefore never contain `]]>`). */
export function studioViewXml(def: { title?: string; description?: string }, theme = "light"): string {
  const json = JSON.stringify(def, null, 2);
  if (json.includes("]]>")) throw new Error("a Studio definition must not contain ']]>'");
  const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return [
    `<dashboard version="2" theme="${theme}">`,
    `  <label>${esc(def.title ?? "")}</label>`,
    `  <description>${esc(def.description ?? "")}</description>`,
    `  <definition><![CDATA[`,
    json,
    `]]></definition>`,
    `  <meta type="hiddenElements"><![CDATA[{"hideEdit": false, "hideOpenInSearch": false, "hideExport": false}]]></meta>`,
    `</dashboard>`,
    ``,
  ].join("\n");
}

/** The Studio definitions, by view name (file name without `.json`). */
export function loadDashboards(dir = DASHBOARDS_SRC): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".json")).sort()) out.set(f.replace(/\.json$/, ""), JSON.parse(readFileSync(join(dir, f), "utf8")) as Record<string, unknown>);
  return out;
}

function copyTree(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  chmodSync(dst, 0o755);
  for (const name of readdirSync(src).sort()) {
    const s = join(src, name);
    const d = join(dst, name);
    if (statSync(s).isDirectory()) copyTree(s, d);
    else {
      copyFileSync(s, d);
      chmodSync(d, 0o644);
    }
  }
}

export interface StageOptions {
  /** Parent of the staged `soc_assistant/` folder. */
  outDir: string;
  version?: string;
  appSrc?: string;
  dashboardsSrc?: string;
}

/** Stages the app; returns the staged app folder. */
export function stageApp(o: StageOptions): string {
  const version = o.version ?? packageVersion();
  const root = join(o.outDir, APP_ID);
  rmSync(root, { recursive: true, force: true });
  copyTree(o.appSrc ?? APP_SRC, root);
  const views = join(root, "default", "data", "ui", "views");
  mkdirSync(views, { recursive: true });
  chmodSync(views, 0o755);
  for (const [name, def] of loadDashboards(o.dashboardsSrc)) {
    const p = join(views, `${name}.xml`);
    writeFileSync(p, studioViewXml(def as { title?: string }));
    chmodSync(p, 0o644);
  }
  const appConf = join(root, "default", "app.conf");
  const text = readFileSync(appConf, "utf8")
    .replace(/^(version\s*=\s*).*$/gm, `$1${version}`)
    .replace(/^(build\s*=\s*).*$/m, `$1${buildNumber(version)}`);
  writeFileSync(appConf, text);
  return root;
}

function entriesOf(parent: string, appId: string): TarEntry[] {
  const out: TarEntry[] = [];
  const walk = (rel: string): void => {
    const abs = join(parent, rel);
    const st = statSync(abs);
    if (st.isDirectory()) {
      out.push({ path: `${rel}/`, type: "dir", mode: st.mode & 0o7777 });
      for (const n of readdirSync(abs).sort()) walk(`${rel}/${n}`);
    } else out.push({ path: rel, type: "file", mode: st.mode & 0o7777, data: readFileSync(abs) });
  };
  walk(appId);
  return out;
}

/** Packaging rules on the archive's entries (AppInspect's packaging checks). */
export function lintEntries(entries: TarEntry[], archive: string): Problem[] {
  const P: Problem[] = [];
  const fail = (rule: string, file: string, message: string): void => void P.push({ severity: "fail", rule, file, message });
  if (entries.length === 0) fail("check_that_splunk_app_package_valid_compressed_file", archive, "the archive is empty");
  const tops = new Set<string>();
  for (const e of entries) {
    if (e.path.startsWith("./") || e.path.startsWith("/")) fail("check_that_extracted_splunk_app_does_not_contain_prohibited_directories_or_files", e.path, "archive paths must not start with ./ or /");
    const parts = e.path.replace(/^\.\//, "").split("/").filter((x) => x !== "");
    if (parts.includes("..")) fail("check_that_splunk_app_package_does_not_contain_files_outside_of_app", e.path, "a path that leaves the app folder");
    if (parts[0] !== undefined) tops.add(parts[0]);
  }
  if (tops.size > 1) fail("check_that_splunk_app_package_does_not_contain_files_outside_of_app", archive, `more than one top folder: ${[...tops].join(", ")}`);
  for (const t of tops) if (t.startsWith(".")) fail("check_that_splunk_app_package_extracts_to_visible_directory", t, "the top folder must not be hidden");
  return P;
}

/** Opens an archive, checks its packaging rules, extracts it to a temp folder and lints the app in it. */
export function lintArchive(file: string, appId = APP_ID): Problem[] {
  let entries: TarEntry[];
  try {
    entries = readTarGz(readFileSync(file));
  } catch (e) {
    return [{ severity: "fail", rule: "check_that_splunk_app_package_valid_compressed_file", file: basename(file), message: `not a valid gzipped tar: ${(e as Error).message}` }];
  }
  const problems = lintEntries(entries, basename(file));
  if (problems.length > 0) return problems;
  const tmp = mkdtempSync(join(tmpdir(), "soc-app-"));
  try {
    for (const e of entries) {
      const p = join(tmp, e.path);
      if (e.type === "dir") mkdirSync(p, { recursive: true });
      else {
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, e.data ?? Buffer.alloc(0));
      }
      chmodSync(p, e.mode);
    }
    const top = entries[0].path.split("/")[0];
    const out = lintApp(join(tmp, top), { appId });
    if (top !== appId) out.push({ severity: "fail", rule: "check_for_valid_package_id", file: top, message: `the top folder must be the app id '${appId}'` });
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export class ValidationError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`the app fails validation (${problems.filter((p) => p.severity === "fail").length} problems)`);
  }
}

export interface PackageResult {
  file: string;
  sha256: string;
  version: string;
  warnings: Problem[];
}

/**
 * Stages, lints, archives and re-checks. Throws ValidationError (and writes nothing to `distDir`) when the staged
 * app or the archive fails.
 */
export function buildPackage(o: { distDir: string; buildDir: string; version?: string; appSrc?: string; dashboardsSrc?: string; mtime?: number }): PackageResult {
  const version = o.version ?? packageVersion();
  const staged = stageApp({ outDir: o.buildDir, version, appSrc: o.appSrc, dashboardsSrc: o.dashboardsSrc });
  const problems = lintApp(staged, { appId: APP_ID });
  if (hasFailures(problems)) throw new ValidationError(problems);
  // Fixed mtime: the same sources give the same archive (SOURCE_DATE_EPOCH when set, as reproducible builds do).
  const mtime = o.mtime ?? (Number(process.env.SOURCE_DATE_EPOCH) || 1_700_000_000);
  const buf = tarGz(entriesOf(o.buildDir, APP_ID), mtime);
  const tmp = mkdtempSync(join(tmpdir(), "soc-pkg-"));
  try {
    const candidate = join(tmp, `${APP_ID}-${version}.tar.gz`);
    writeFileSync(candidate, buf);
    const again = lintArchive(candidate);
    if (hasFailures(again)) throw new ValidationError(again);
    mkdirSync(o.distDir, { recursive: true });
    const file = join(o.distDir, `${APP_ID}-${version}.tar.gz`);
    writeFileSync(file, buf);
    const sha256 = createHash("sha256").update(buf).digest("hex");
    writeFileSync(`${file}.sha256`, `${sha256}  ${basename(file)}\n`);
    return { file, sha256, version, warnings: problems.filter((p) => p.severity === "warn") };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
