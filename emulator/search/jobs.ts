// Search jobs: compile a query with its time parameters, run it cooperatively, report the dispatch
// state machine QUEUED -> PARSING -> RUNNING -> DONE over a configurable delay (research §3.2).

import type { Pipeline } from "../spl/ast.ts";
import { checkFunctions } from "../spl/eval.ts";
import { parsePipeline, SplError } from "../spl/parse.ts";
import { Execution, type OutRow, type SearchWindow } from "../spl/run.ts";
import { parseTimeSpec, TimeSpecError, formatIsoTime } from "../spl/time.ts";
import type { EventStore } from "../store/store.ts";
import { expandMacros, type MacroTable } from "../spl/macros.ts";
import type { KvStore } from "../kvstore.ts";

export interface CompiledSearch {
  query: string;
  pipeline: Pipeline;
  window: SearchWindow;
  indexes: string[];
}

export interface CompileInput {
  search: string;
  earliest_time?: string;
  latest_time?: string;
  index_earliest?: string;
  index_latest?: string;
}

function globRe(p: string): RegExp {
  return new RegExp(`^${p.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
}

/**
 * Parses a query and resolves its time window and index set. Time terms in the search override the
 * job parameters. Without `index=` the default indexes are searched; `index=*` skips internal (`_`) ones.
 * Throws SplError (400 FATAL) on bad SPL or time specs.
 */
export function compileSearch(input: CompileInput, nowSeconds: number, knownIndexes: string[], defaultIndexes: string[], macros?: MacroTable): CompiledSearch {
  const query = input.search.trim();
  const pipeline = parsePipeline(macros && macros.size > 0 ? expandMacros(query, macros) : query);
  for (const c of pipeline.commands) {
    if (c.k === "eval") for (const a of c.assigns) checkFunctions(a.expr, "eval");
    if (c.k === "where") checkFunctions(c.expr, "where");
  }
  let window: SearchWindow;
  try {
    window = {
      earliest: parseTimeSpec(pipeline.time.earliest ?? input.earliest_time, nowSeconds),
      latest: parseTimeSpec(pipeline.time.latest ?? input.latest_time, nowSeconds),
      indexEarliest: parseTimeSpec(pipeline.time.indexEarliest ?? input.index_earliest, nowSeconds),
      indexLatest: parseTimeSpec(pipeline.time.indexLatest ?? input.index_latest, nowSeconds),
    };
  } catch (e) {
    if (e instanceof TimeSpecError) throw new SplError(e.message);
    throw e;
  }
  let indexes: string[];
  if (pipeline.indexPatterns.length === 0) indexes = defaultIndexes;
  else {
    const res = pipeline.indexPatterns.map((p) => ({ re: globRe(p), internal: p.startsWith("_") }));
    indexes = knownIndexes.filter((n) => res.some((r) => r.re.test(n) && (r.internal || !n.startsWith("_"))));
  }
  return { query, pipeline, window, indexes };
}

export type DispatchState = "QUEUED" | "PARSING" | "RUNNING" | "FINALIZING" | "DONE" | "FAILED" | "PAUSED";

export interface JobsConfig {
  store: EventStore;
  now: () => number;
  /** Total time from creation to DONE at the least (ms); a third each in QUEUED and PARSING. */
  delayMs: number;
  ttlSeconds: number;
  /** Default `max_count`: results a job keeps. */
  maxCount: number;
  /** Events scanned between two yields to the event loop. */
  scanBudget: number;
  kv?: KvStore;
}

export class Job {
  readonly createdMs: number;
  touchedMs: number;
  ttl: number;
  priority = 5;
  paused = false;
  finalized = false;
  cancelled = false;
  previewEnabled = false;
  /** Set by the `partialJob` fault: `isFinalized` and `messages` the job reports once DONE. */
  partial: { finalized: boolean; messages: { type: string; text: string }[] } | undefined;
  runStartedMs: number | undefined;
  finishedMs: number | undefined;
  readonly exec: Execution;
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;

  constructor(
    readonly sid: string,
    readonly compiled: CompiledSearch,
    readonly params: Record<string, string>,
    readonly owner: string,
    readonly app: string,
    readonly maxCount: number,
    private readonly cfg: JobsConfig,
  ) {
    this.createdMs = cfg.now();
    this.touchedMs = this.createdMs;
    this.ttl = cfg.ttlSeconds;
    this.exec = new Execution({ store: cfg.store, pipeline: compiled.pipeline, window: compiled.window, indexes: compiled.indexes, maxCount, now: cfg.now, services: { user: owner, kv: cfg.kv } });
    this.finished = new Promise((r) => (this.resolveFinished = r));
    const startIn = Math.floor((cfg.delayMs * 2) / 3);
    const t = setTimeout(() => void this.run(), startIn);
    t.unref();
  }

  private async run(): Promise<void> {
    this.runStartedMs = this.cfg.now();
    while (!this.exec.done && !this.cancelled) {
      if (this.finalized) {
        this.exec.finalize();
        break;
      }
      if (!this.paused) this.exec.step(this.cfg.scanBudget);
      if (!this.exec.done) await new Promise<void>((r) => (this.paused ? setTimeout(r, 10).unref() : setImmediate(r)));
    }
    this.finishedMs = this.cfg.now();
    this.resolveFinished();
  }

  state(now = this.cfg.now()): DispatchState {
    if (this.paused && !this.exec.done) return "PAUSED";
    const e = now - this.createdMs;
    const d = this.cfg.delayMs;
    if (!this.finalized) {
      if (e < d / 3) return "QUEUED";
      if (e < (2 * d) / 3) return "PARSING";
      if (e < d) return "RUNNING";
    }
    return this.exec.done ? "DONE" : "RUNNING";
  }

  isDone(now = this.cfg.now()): boolean {
    return this.state(now) === "DONE";
  }

  /** Resolves when the job reports DONE. */
  async done(): Promise<void> {
    await this.finished;
    const left = this.createdMs + this.cfg.delayMs - this.cfg.now();
    if (left > 0 && !this.finalized) await new Promise((r) => setTimeout(r, left));
  }

  expired(now: number): boolean {
    return this.finishedMs !== undefined && now - this.touchedMs > this.ttl * 1000;
  }

  /** Job properties as `entry[0].content` of GET search/jobs/{sid} (types per research §3.2). */
  content(now: number): Record<string, unknown> {
    const state = this.state(now);
    const done = state === "DONE";
    const w = this.compiled.window;
    const phaseProgress = state === "QUEUED" || state === "PARSING" ? 0 : done ? 1 : 0.5;
    const transforming = !this.exec.isEventSearch;
    const runEnd = this.finishedMs ?? now;
    return {
      sid: this.sid,
      dispatchState: state,
      isDone: done,
      isFailed: false,
      isFinalized: this.finalized || (done && this.partial?.finalized === true),
      isPaused: this.paused,
      isPreviewEnabled: this.previewEnabled,
      isRealTimeSearch: false,
      isSaved: false,
      isSavedSearch: false,
      isZombie: false,
      doneProgress: phaseProgress,
      eventCount: this.exec.eventCount,
      eventAvailableCount: transforming ? 0 : this.exec.resultCount,
      eventFieldCount: 0,
      eventIsStreaming: true,
      eventIsTruncated: false,
      eventSearch: this.compiled.query,
      resultCount: done ? this.exec.resultCount : 0,
      resultPreviewCount: this.exec.resultCount,
      resultIsStreaming: !transforming,
      reportSearch: transforming ? this.compiled.query.slice(this.compiled.query.indexOf("|") + 1).trim() : "",
      scanCount: this.exec.scanCount,
      dropCount: 0,
      diskUsage: 0,
      runDuration: this.runStartedMs === undefined ? 0 : (runEnd - this.runStartedMs) / 1000,
      ttl: this.ttl,
      defaultTTL: String(this.cfg.ttlSeconds),
      defaultSaveTTL: "604800",
      priority: this.priority,
      pid: String(process.pid),
      statusBuckets: 0,
      numPreviews: 0,
      earliestTime: formatIsoTime(w.earliest ?? 0),
      latestTime: formatIsoTime(w.latest ?? Math.floor(now / 1000)),
      cursorTime: formatIsoTime(0),
      search: this.compiled.query,
      label: this.params.label ?? null,
      keywords: "",
      messages: done && this.partial ? this.partial.messages.map((m) => ({ ...m })) : [],
      request: { ...this.params },
      searchProviders: ["emulator"],
    };
  }

  page(kind: "results" | "events", offset: number, count: number): OutRow[] {
    return kind === "events" ? this.exec.eventsPage(offset, count) : this.exec.page(offset, count);
  }
}

export class TooManySearches extends Error {
  constructor(readonly running: number, readonly limit: number) {
    super("too many searches");
  }
}

/** splunkd's concurrency-limit message ([cap] dmuth/SeptaStats#27 WARN text; 503 per hasadna/open-bus#177). */
export function concurrencyMessage(running: number, limit: number): string {
  return `Search not executed: The maximum number of concurrent historical searches on this instance has been reached., concurrency_category="historical", concurrency_context="instance-wide", current_concurrency=${running}, concurrency_limit=${limit}`;
}

export class Jobs {
  private readonly jobs = new Map<string, Job>();
  private counter = 0;

  constructor(
    private readonly cfg: JobsConfig,
    public maxConcurrent: number,
  ) {}

  /** Jobs not yet DONE. */
  running(): number {
    const now = this.cfg.now();
    let n = 0;
    for (const j of this.jobs.values()) if (!j.isDone(now)) n++;
    return n;
  }

  /** Throws TooManySearches when the concurrency limit is reached. */
  create(compiled: CompiledSearch, params: Record<string, string>, owner: string, app: string): Job {
    this.reap();
    const running = this.running();
    if (running >= this.maxConcurrent) throw new TooManySearches(running, this.maxConcurrent);
    const maxCount = params.max_count !== undefined && /^\d+$/.test(params.max_count) ? Number(params.max_count) : this.cfg.maxCount;
    let sid = params.id;
    if (!sid || this.jobs.has(sid)) sid = `${Math.floor(this.cfg.now() / 1000)}.${++this.counter}`;
    const job = new Job(sid, compiled, params, owner, app, maxCount === 0 ? Infinity : maxCount, this.cfg);
    this.jobs.set(sid, job);
    return job;
  }

  get(sid: string): Job | undefined {
    this.reap();
    const j = this.jobs.get(sid);
    if (j) j.touchedMs = this.cfg.now();
    return j;
  }

  remove(sid: string): boolean {
    const j = this.jobs.get(sid);
    if (!j) return false;
    j.cancelled = true;
    this.jobs.delete(sid);
    return true;
  }

  list(): Job[] {
    this.reap();
    return [...this.jobs.values()];
  }

  cancelAll(): void {
    for (const j of this.jobs.values()) j.cancelled = true;
    this.jobs.clear();
  }

  private reap(): void {
    const now = this.cfg.now();
    for (const [sid, j] of this.jobs) if (j.expired(now)) this.jobs.delete(sid);
  }
}

export { SplError };
