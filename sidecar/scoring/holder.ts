/**
 * The model holder: which registry version scores, swapped without a restart.
 *
 * Contract:
 * - `acquire()` is called at the start of a run. It re-reads the registry's `CURRENT` pointer and, when the
 *   pointer names another version, loads and verifies that version first. It returns a lease on the version
 *   that scores this run; the run keeps that version until it releases the lease, whatever is promoted
 *   meanwhile. A replaced version is closed when its last lease is released.
 * - A version is verified before it scores (`verifyVersion`): it loads, the input can give it the fields its
 *   feature spec reads, and a probe batch scores to finite probabilities in [0, 1]. `promote` and `rollback`
 *   verify **before** they move the pointer, so a broken version is refused and a restart never meets it.
 * - If the pointer was moved by hand to a version that fails verification, the last good version keeps
 *   scoring and `notReadyReason()` says which version is broken, why, and how to fix it.
 */
import { ModelRegistry, type HistoryRecord } from "../registry/registry.ts";
import type { ModelMetadata } from "../registry/metadata.ts";
import type { FeatureSpec } from "../features/spec.ts";
import type { Fields } from "../sources/event.ts";
import type { BackendPreference } from "../tf/backend.ts";
import { logEvent } from "../telemetry/log.ts";
import { loadScoringModel, type LoadedScoringModel, type LoadOptions } from "./load.ts";

export interface HolderOptions {
  registryDir: string;
  /** Model name in the registry; its `CURRENT` pointer says which version scores. */
  name: string;
  backend: BackendPreference;
  /** Scoring worker threads (see `loadScoringModel`). */
  workers?: number;
  topK?: number;
  /** `model.base_rate`: versions that record the attack share they were calibrated on are rescored to it (ADR 0018). */
  baseRate?: number;
  /** Throws, with the reason and the fix, when the input cannot give `metadata`'s spec the fields it reads. */
  checkInput?: (metadata: ModelMetadata) => Promise<void>;
}

export interface ModelLease {
  readonly model: LoadedScoringModel;
  /** Idempotent. */
  release(): void;
}

interface Slot {
  model: LoadedScoringModel;
  leases: number;
  retired: boolean;
}

/** Who moved the pointer, for the log, the registry history and the model event: a kind, or a kind and a user. */
export type Actor = "cli" | "api" | "schedule" | "webhook" | { kind: "cli" | "api" | "schedule" | "webhook"; user?: string };

function actorOf(a: Actor): { kind: string; user?: string } {
  return typeof a === "string" ? { kind: a } : a;
}

export class ModelHolder {
  readonly name = "model";
  private slot: Slot | undefined;
  private reason: string | null = "model not loaded yet";
  /** The version the last failed load was for, with its message: logged once, not every run. */
  private failed: { version: string; message: string } | undefined;
  /** Serializes refresh, promote and rollback: one swap at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly registry: ModelRegistry;
  private stopped = false;

  constructor(private readonly opts: HolderOptions) {
    this.registry = new ModelRegistry(opts.registryDir);
  }

  /** Loads the current version. A version that cannot load leaves the holder up and not ready, with the reason. */
  async start(): Promise<void> {
    await this.refresh();
  }

  /** Why no version scores, or why the version the pointer names is not the one scoring; null when all is well. */
  notReadyReason(): string | null {
    return this.reason;
  }

  /** The version scoring now, if any. */
  get current(): LoadedScoringModel | undefined {
    return this.slot?.model;
  }

  status(): { name: string; version: string | null; kind: "supervised"; runtime: string | null; feature_schema: string | null; problem: string | null } {
    const m = this.slot?.model;
    return {
      name: this.opts.name,
      version: m?.version ?? null,
      kind: "supervised",
      runtime: m?.runtime ?? null,
      feature_schema: m?.featureSchema ?? null,
      problem: this.reason,
    };
  }

  /** A lease on the version that scores the run starting now (after picking up a moved pointer), or null. */
  async acquire(): Promise<ModelLease | null> {
    await this.refresh();
    const slot = this.slot;
    if (!slot || this.stopped) return null;
    slot.leases++;
    let released = false;
    return {
      model: slot.model,
      release: () => {
        if (released) return;
        released = true;
        slot.leases--;
        this.closeIfIdle(slot);
      },
    };
  }

  /** Follows the registry pointer: loads and verifies the version it names when that is not the one scoring. */
  refresh(): Promise<void> {
    return this.serial(async () => {
      if (this.stopped) return;
      let want: string | undefined;
      try {
        want = this.registry.current(this.opts.name);
      } catch (e) {
        this.reason = `model ${this.opts.name} in ${this.opts.registryDir} cannot be read: ${(e as Error).message}`;
        return;
      }
      if (want === undefined) {
        this.reason =
          `model ${this.opts.name} has no current version in ${this.opts.registryDir}` +
          (this.slot ? `; still scoring with ${this.slot.model.version}` : "") +
          `: train one (soc-assistant train) or promote one (soc-assistant models promote ${this.opts.name}@<version>)`;
        return;
      }
      if (this.slot?.model.version === want) {
        this.reason = null;
        this.failed = undefined;
        return;
      }
      try {
        this.install(await this.verify(want));
      } catch (e) {
        const message = (e as Error).message;
        this.reason = this.slot
          ? `${this.opts.name}@${want} (the registry's current version) cannot be used: ${message}. Still scoring with ${this.slot.model.version}; ` +
            `promote a good version or roll back (soc-assistant models promote|rollback)`
          : `model ${this.opts.name}@${want} from ${this.opts.registryDir} cannot be used: ${message}`;
        if (this.failed?.version !== want || this.failed.message !== message) logEvent("not_ready", { reason: this.reason });
        this.failed = { version: want, message };
      }
    });
  }

  /**
   * Verifies `version`, then makes it current in the registry and scoring from the next run. Throws (and moves
   * nothing) when the version does not verify.
   */
  promote(version: string, actor: Actor = "api"): Promise<HistoryRecord> {
    return this.serial(async () => {
      const loaded = await this.verify(version);
      let record: HistoryRecord;
      try {
        record = this.registry.promote(this.opts.name, loaded.version, actorOf(actor));
      } catch (e) {
        await loaded.close();
        throw e;
      }
      this.install(loaded);
      logEvent("model_promoted", { model: this.opts.name, from: record.from, to: record.to, actor: actorOf(actor).kind });
      return record;
    });
  }

  /** Verifies the version a rollback would return to, then rolls back. Throws (and moves nothing) otherwise. */
  rollback(actor: Actor = "api"): Promise<HistoryRecord> {
    return this.serial(async () => {
      const target = this.registry.rollbackTarget(this.opts.name);
      const loaded = await this.verify(target);
      let record: HistoryRecord;
      try {
        record = this.registry.rollback(this.opts.name, actorOf(actor));
      } catch (e) {
        await loaded.close();
        throw e;
      }
      this.install(loaded);
      logEvent("model_promoted", { model: this.opts.name, from: record.from, to: record.to, actor: actorOf(actor).kind, rollback: true });
      return record;
    });
  }

  /** Stops handing out leases; closes the scoring version once the run in flight releases it. Idempotent. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.queue.catch(() => undefined);
    const slot = this.slot;
    this.slot = undefined;
    if (slot) {
      slot.retired = true;
      this.closeIfIdle(slot);
    }
    this.reason = "shutting down";
  }

  private verify(version: string): Promise<LoadedScoringModel> {
    const { registryDir, name, backend, workers, topK, baseRate, checkInput } = this.opts;
    return verifyVersion({ registryDir, ref: `${name}@${version}`, backend, workers, topK, baseRate, checkInput });
  }

  private install(model: LoadedScoringModel): void {
    const old = this.slot;
    if (old && old.model === model) return;
    this.slot = { model, leases: 0, retired: false };
    this.reason = null;
    this.failed = undefined;
    logEvent("model_loaded", { model: model.name, version: model.version, feature_schema: model.featureSchema.slice(0, 12), runtime: model.runtime });
    if (old) {
      old.retired = true;
      this.closeIfIdle(old);
    }
  }

  private closeIfIdle(slot: Slot): void {
    if (slot.retired && slot.leases === 0) void slot.model.close();
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** What `loadScoringModel` takes (`ref` is `name@version` here), plus the input check. */
export interface VerifyOptions extends LoadOptions {
  checkInput?: (metadata: ModelMetadata) => Promise<void>;
}

/**
 * Loads a version and proves it can score: the input check (when given), then a probe batch built from the
 * version's own feature spec (typical values, all fields missing, extreme values) must come out as finite
 * probabilities in [0, 1]. Returns the loaded model; closes it and throws with the reason otherwise.
 */
export async function verifyVersion(opts: VerifyOptions): Promise<LoadedScoringModel> {
  const { checkInput: _checkInput, ...load } = opts;
  const m = await loadScoringModel(load);
  try {
    await opts.checkInput?.(m.metadata);
    const events = probeEvents(m.metadata.feature_spec);
    const x = new Float32Array(events.length * m.width);
    events.forEach((f, i) => m.featurize(f, x, i * m.width));
    const probs = await m.score(x, events.length);
    const bad = Array.from(probs).findIndex((p) => !Number.isFinite(p) || p < 0 || p > 1);
    if (bad >= 0) {
      throw new Error(
        `its output on a probe batch is ${String(probs[bad])} (not a probability): the weights are broken; retrain it or restore ${opts.ref}'s files`,
      );
    }
    return m;
  } catch (e) {
    await m.close();
    throw e;
  }
}

/** Probe rows from a feature spec: each field at a typical training value, every field missing, and extremes. */
export function probeEvents(spec: FeatureSpec): Fields[] {
  const typical: Fields = {};
  const extreme: Fields = {};
  for (const n of spec.numeric) {
    const v = n.transform === "log1p" ? Math.sign(n.mean) * Math.expm1(Math.abs(n.mean)) : n.mean;
    typical[n.field] = Number.isFinite(v) ? v : 0;
    extreme[n.field] = 1e12;
  }
  for (const c of spec.categorical) {
    if (c.vocabulary.length > 0) typical[c.field] = c.vocabulary[0]!;
    extreme[c.field] = "never-seen-in-training";
  }
  return [typical, {}, extreme];
}
