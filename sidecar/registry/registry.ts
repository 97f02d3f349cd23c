/**
 * The model registry: every trained model is a version on disk, and a pointer says which one scores.
 *
 * Layout under `root`:
 *
 *     <name>/v0001/{model.json, weights.bin, metadata.json}
 *     <name>/v0002/...
 *     <name>/CURRENT          the current version, e.g. "v0002\n"
 *     <name>/history.jsonl    append-only: one {time, action, from, to} per promotion or rollback
 *
 * Contract:
 * - Versions are `v` + at least four digits, assigned as max + 1, never reused while the directory exists.
 * - A version appears whole or not at all: it is written into a temporary directory beside the others and
 *   renamed into place. `CURRENT` is replaced atomically (temporary file, fsync, rename).
 * - Rollback walks the history as a stack: each promotion pushes, each rollback pops, so repeated rollbacks
 *   go further back rather than toggling between two versions.
 * - Names match `[A-Za-z0-9_.-]+` (no path separators, no `..`).
 * - Loading needs a tfjs backend (`initBackend`) and refuses a version whose files disagree with each other.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import * as tf from "../tf/index.ts";
import { writeFileAtomic } from "../fs/atomic.ts";
import { fileHandler, hasModel, MODEL_JSON } from "../tf/file-io.ts";
import type { Metrics, ModelMetadata } from "./metadata.ts";

/** Metadata as training produces it; the registry adds the identity. */
export type NewModelMetadata = Omit<ModelMetadata, "name" | "version" | "created_at">;

/** When a newly saved version becomes current: only if the model has none yet (default), always, or never. */
export type MakeCurrent = "if-none" | "always" | "never";

export interface HistoryRecord {
  /** ISO 8601. */
  time: string;
  action: "promote" | "rollback";
  /** The version that was current before, or null when there was none. */
  from: string | null;
  to: string;
  /** Who moved the pointer (absent in records written before actors were recorded). */
  actor?: { kind: string; user?: string };
}

export interface VersionEntry {
  name: string;
  version: string;
  created_at?: string;
  current: boolean;
  feature_schema?: string;
  /** Validation metrics that compare versions at a glance. */
  metrics?: Pick<Metrics, "rows" | "positives" | "pr_auc" | "roc_auc" | "f1" | "precision" | "recall" | "threshold">;
  /** Set when `metadata.json` is missing or unreadable; the other optional fields are then absent. */
  error?: string;
}

export interface ModelRef {
  name: string;
  version: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const VERSION = /^v(\d{4,})$/;
const METADATA_JSON = "metadata.json";
const CURRENT = "CURRENT";
const HISTORY = "history.jsonl";

export class ModelRegistry {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Model names that have at least one version, sorted. */
  names(): string[] {
    return listDir(this.root)
      .filter((n) => NAME.test(n) && n !== "." && n !== ".." && this.versions(n).length > 0)
      .sort();
  }

  /** Versions of `name`, oldest first; empty for an unknown name. */
  versions(name: string): string[] {
    checkName(name);
    return listDir(join(this.root, name))
      .filter((v) => VERSION.test(v) && hasModel(join(this.root, name, v)))
      .sort((a, b) => versionNumber(a) - versionNumber(b));
  }

  /** The current version of `name`, or undefined when none has been made current. */
  current(name: string): string | undefined {
    checkName(name);
    try {
      const v = readFileSync(join(this.root, name, CURRENT), "utf8").trim();
      return v === "" ? undefined : v;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }

  /** Promotions and rollbacks of `name`, oldest first. */
  history(name: string): HistoryRecord[] {
    checkName(name);
    let text: string;
    try {
      text = readFileSync(join(this.root, name, HISTORY), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    return text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line, i) => {
        try {
          return JSON.parse(line) as HistoryRecord;
        } catch {
          throw new Error(`${join(this.root, name, HISTORY)} line ${i + 1} is not JSON; fix or remove that line`);
        }
      });
  }

  /**
   * Saves `model` with its metadata as the next version of `name` and returns that version. The model's
   * input width must equal the feature spec's column count.
   */
  async save(name: string, model: tf.LayersModel, metadata: NewModelMetadata, options: { makeCurrent?: MakeCurrent } = {}): Promise<string> {
    checkName(name);
    const width = inputWidthOf(model);
    const columns = metadata.feature_spec.columns.length;
    if (width !== columns) {
      throw new Error(`cannot save ${name}: the model takes rows of ${width} values but its feature spec has ${columns} columns`);
    }
    const modelDir = join(this.root, name);
    mkdirSync(modelDir, { recursive: true });
    const tmp = join(modelDir, `.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    let version: string;
    try {
      await model.save(fileHandler(tmp));
      for (let attempt = 0; ; attempt++) {
        version = formatVersion(this.nextNumber(name));
        const full: ModelMetadata = { name, version, created_at: new Date().toISOString(), ...metadata };
        writeFileAtomic(join(tmp, METADATA_JSON), `${JSON.stringify(full, null, 2)}\n`);
        try {
          renameSync(tmp, join(modelDir, version));
          break;
        } catch (e) {
          // Another writer took this version number between our listing and our rename: take the next one.
          const code = (e as NodeJS.ErrnoException).code;
          if ((code !== "ENOTEMPTY" && code !== "EEXIST") || attempt >= 10) throw e;
        }
      }
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    const makeCurrent = options.makeCurrent ?? "if-none";
    if (makeCurrent === "always" || (makeCurrent === "if-none" && this.current(name) === undefined)) this.promote(name, version);
    return version;
  }

  /** Every version of one model (or of all models), oldest first within each model. */
  list(name?: string): VersionEntry[] {
    const names = name === undefined ? this.names() : [checkName(name)];
    return names.flatMap((n) => {
      const current = this.current(n);
      return this.versions(n).map((version): VersionEntry => {
        const entry: VersionEntry = { name: n, version, current: version === current };
        try {
          const m = this.readMetadata(n, version);
          const v = m.validation_metrics;
          entry.created_at = m.created_at;
          entry.feature_schema = m.feature_schema;
          entry.metrics = { rows: v.rows, positives: v.positives, pr_auc: v.pr_auc, roc_auc: v.roc_auc, f1: v.f1, precision: v.precision, recall: v.recall, threshold: v.threshold };
        } catch (e) {
          entry.error = (e as Error).message;
        }
        return entry;
      });
    });
  }

  /**
   * Parses `name` or `name@version` (`version` may be `v0003` or `3`) into an existing version; without a
   * version, the current one. Errors list what exists.
   */
  resolveRef(ref: string): ModelRef {
    const at = ref.indexOf("@");
    const name = at < 0 ? ref : ref.slice(0, at);
    const requested = at < 0 ? undefined : ref.slice(at + 1);
    checkName(name);
    const versions = this.versions(name);
    if (versions.length === 0) {
      const known = this.names();
      throw new Error(`no model named ${JSON.stringify(name)} in ${this.root}; known models: ${known.length > 0 ? known.join(", ") : "(none)"}`);
    }
    if (requested === undefined) {
      const current = this.current(name);
      if (current === undefined) {
        throw new Error(`model ${name} has no current version; promote one of: ${versions.join(", ")}`);
      }
      return { name, version: current };
    }
    const version = /^\d+$/.test(requested) ? formatVersion(Number(requested)) : requested;
    if (!versions.includes(version)) {
      throw new Error(`model ${name} has no version ${JSON.stringify(requested)}; known versions: ${versions.join(", ")}`);
    }
    return { name, version };
  }

  /** The metadata of one version, without loading weights. */
  readMetadata(name: string, version: string): ModelMetadata {
    const file = join(this.root, name, version, METADATA_JSON);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`${file} is missing; this version cannot be used: delete ${join(this.root, name, version)}`);
      throw e;
    }
    try {
      return JSON.parse(text) as ModelMetadata;
    } catch (e) {
      throw new Error(`${file} is not valid JSON (${(e as Error).message}); this version cannot be used: delete ${join(this.root, name, version)}`);
    }
  }

  /**
   * Loads a version (the current one when `ref` has no `@version`) with its metadata. Refuses a version whose
   * `model.json` input width differs from its feature spec, or whose weights are missing or truncated.
   */
  async load(ref: string): Promise<{ model: tf.LayersModel; metadata: ModelMetadata }> {
    const { name, version } = this.resolveRef(ref);
    const dir = join(this.root, name, version);
    const metadata = this.readMetadata(name, version);
    const model = await tf.loadLayersModel(fileHandler(dir));
    const width = inputWidthOf(model);
    const columns = metadata.feature_spec?.columns?.length;
    if (width !== columns) {
      model.dispose();
      throw new Error(
        `${join(dir, MODEL_JSON)} takes rows of ${width} values but ${join(dir, METADATA_JSON)} describes ${columns} feature columns; ` +
          `the files come from different models: restore this version's files or delete ${dir}`,
      );
    }
    return { model, metadata };
  }

  /** Makes `version` current and records the promotion. Promoting the current version changes nothing. */
  promote(name: string, version: string, actor?: HistoryRecord["actor"]): HistoryRecord {
    const { version: to } = this.resolveRef(`${name}@${version}`);
    const from = this.current(name) ?? null;
    const record: HistoryRecord = { time: new Date().toISOString(), action: "promote", from, to, ...(actor ? { actor } : {}) };
    if (from === to) return record;
    this.setCurrent(name, record);
    return record;
  }

  /** The version `rollback(name)` would make current, without moving anything; throws when there is none. */
  rollbackTarget(name: string): string {
    checkName(name);
    const current = this.current(name);
    const stack: string[] = [];
    for (const r of this.history(name)) {
      if (r.action === "promote") stack.push(r.to);
      else stack.pop();
    }
    // CURRENT edited by hand: treat it as the newest promotion.
    if (current !== undefined && stack[stack.length - 1] !== current) stack.push(current);
    if (stack.length < 2) {
      throw new Error(`model ${name} has no earlier current version to roll back to (current: ${current ?? "none"}); promote a version instead`);
    }
    const to = stack[stack.length - 2]!;
    if (!this.versions(name).includes(to)) {
      throw new Error(`cannot roll ${name} back to ${to}: ${join(this.root, name, to)} no longer exists; promote a version instead`);
    }
    return to;
  }

  /** Makes the version that was current before the current one current again, per the history. */
  rollback(name: string, actor?: HistoryRecord["actor"]): HistoryRecord {
    const to = this.rollbackTarget(name);
    const record: HistoryRecord = { time: new Date().toISOString(), action: "rollback", from: this.current(name) ?? null, to, ...(actor ? { actor } : {}) };
    this.setCurrent(name, record);
    return record;
  }

  /**
   * Retention: deletes the versions of `name` beyond the current one, the one a rollback would return to, and
   * the newest `keep`. A version a pointer names is never deleted. Returns the deleted versions, oldest first.
   */
  prune(name: string, keep: number): string[] {
    const versions = this.versions(name);
    const current = this.current(name);
    const kept = new Set(versions.slice(Math.max(0, versions.length - keep)));
    if (current !== undefined) kept.add(current);
    try {
      kept.add(this.rollbackTarget(name));
    } catch {
      // no earlier version to roll back to
    }
    const deleted: string[] = [];
    for (const v of versions) {
      if (kept.has(v)) continue;
      // Re-read the pointer right before deleting: a promotion in another process may have just named it.
      if (this.current(name) === v) continue;
      rmSync(join(this.root, name, v), { recursive: true, force: true });
      deleted.push(v);
    }
    return deleted;
  }

  private setCurrent(name: string, record: HistoryRecord): void {
    const dir = join(this.root, name);
    // History first: a crash between the two leaves a record of an intent, never an unrecorded switch.
    appendFileSync(join(dir, HISTORY), `${JSON.stringify(record)}\n`);
    writeFileAtomic(join(dir, CURRENT), `${record.to}\n`);
  }

  private nextNumber(name: string): number {
    const taken = listDir(join(this.root, name))
      .map((v) => VERSION.exec(v))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]));
    return taken.length === 0 ? 1 : Math.max(...taken) + 1;
  }
}

function checkName(name: string): string {
  if (!NAME.test(name) || name === "." || name === "..") throw new Error(`model name ${JSON.stringify(name)} must match [A-Za-z0-9_.-]+`);
  return name;
}

function formatVersion(n: number): string {
  return `v${String(n).padStart(4, "0")}`;
}

function versionNumber(v: string): number {
  return Number(VERSION.exec(v)![1]);
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => {
      try {
        return statSync(join(dir, n)).isDirectory();
      } catch {
        return false;
      }
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}

/** The width of a model's input row (its first input's last dimension). */
export function inputWidthOf(model: tf.LayersModel): number {
  const shape = model.inputs[0].shape;
  return shape[shape.length - 1] ?? NaN;
}
