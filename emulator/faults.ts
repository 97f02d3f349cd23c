// Fault injection and the request log: what tests use to make the emulator misbehave on purpose and
// to assert what a client sent.
//
// Every fault takes a budget: `count` (the next N matching requests), `forMs` (every matching request
// during the next T ms), both (whichever ends first), or neither (until `clear()`).

export interface FaultBudget {
  count?: number;
  forMs?: number;
}

export interface PathFault extends FaultBudget {
  /** Only requests whose path starts with this (matched against the raw path and its `/services/...`
   *  normalisation, so `/services/search` also catches `/servicesNS/-/search/search/...`). */
  pathPrefix?: string;
}

class Armed {
  remaining: number;
  until: number;
  constructor(b: FaultBudget, now: number) {
    this.remaining = b.count ?? Infinity;
    this.until = b.forMs === undefined ? Infinity : now + b.forMs;
  }
  live(now: number): boolean {
    return this.remaining > 0 && now < this.until;
  }
  take(now: number): boolean {
    if (!this.live(now)) return false;
    this.remaining--;
    return true;
  }
}

interface PathArmed<T> {
  armed: Armed;
  prefix: string | undefined;
  data: T;
}

function pathMatches(prefix: string | undefined, paths: string[]): boolean {
  return prefix === undefined || paths.some((p) => p.startsWith(prefix));
}

/** How a job armed by `partialJob` finishes: Splunk's `isFinalized` and job `messages`. */
export interface PartialJob {
  finalized: boolean;
  messages: { type: string; text: string }[];
}

export class Faults {
  private unauthorizedF: PathArmed<null>[] = [];
  private hecBusyF: Armed[] = [];
  private tooManySearchesF: Armed[] = [];
  private slowF: PathArmed<number>[] = [];
  private dropF: PathArmed<number | undefined>[] = [];
  private malformedF: PathArmed<number>[] = [];
  private jobNotFoundF: PathArmed<{ drop: boolean; read?: "status" | "results"; skip: number }>[] = [];
  private partialJobF: PathArmed<PartialJob>[] = [];

  constructor(
    private readonly now: () => number,
    private readonly onExpireSessions: () => void,
  ) {}

  /** Every session key becomes invalid now: the next request with one gets 401 (the SDK logs in again). */
  expireSessions(): void {
    this.onExpireSessions();
  }

  /** Authenticated management requests get 401 "call not properly authenticated". */
  unauthorized(opts: PathFault = { count: 1 }): void {
    this.unauthorizedF.push({ armed: new Armed(opts, this.now()), prefix: opts.pathPrefix, data: null });
  }

  /** HEC event/raw requests get 503 `{"text":"Server is busy","code":9}`; health reports unhealthy (18). */
  hecBusy(opts: FaultBudget = { count: 1 }): void {
    this.hecBusyF.push(new Armed(opts, this.now()));
  }

  /** Search job creation (and oneshot/export) gets 503 with splunkd's concurrency-limit message. */
  tooManySearches(opts: FaultBudget = { count: 1 }): void {
    this.tooManySearchesF.push(new Armed(opts, this.now()));
  }

  /** Matching requests are answered after `delayMs`. */
  slow(opts: PathFault & { delayMs: number }): void {
    this.slowF.push({ armed: new Armed(opts, this.now()), prefix: opts.pathPrefix, data: opts.delayMs });
  }

  /** Matching requests have their connection destroyed: at once, or after `afterBytes` bytes of the body. */
  drop(opts: PathFault & { afterBytes?: number } = { count: 1 }): void {
    this.dropF.push({ armed: new Armed(opts, this.now()), prefix: opts.pathPrefix, data: opts.afterBytes });
  }

  /**
   * Results pages (json, json_rows) and export streams that match carry one malformed row at `position`
   * (default 0): export -> a truncated, unparsable JSON line; json -> `{"_time":"not-a-time","_raw":<half>}`;
   * json_rows -> a row with fewer cells than `fields`.
   */
  malformedRows(opts: PathFault & { position?: number } = { count: 1 }): void {
    this.malformedF.push({ armed: new Armed(opts, this.now()), prefix: opts.pathPrefix, data: opts.position ?? 0 });
  }

  /**
   * Reads of an existing search job (GET/POST `search/jobs/{sid}`, its `results`, `events`, ...; not creation, not
   * DELETE) that match get 404 "Unknown sid.", as a search-head cluster member without the job answers when
   * the load balancer has no sticky sessions. With `drop`, the job is also deleted (the member that ran it is
   * gone), so the client must dispatch again. `read` limits it to status reads (`search/jobs/{sid}`) or to
   * `results` pages; `skip` lets that many matching reads through first (e.g. a 404 on the third page).
   */
  jobNotFound(opts: PathFault & { drop?: boolean; read?: "status" | "results"; skip?: number } = { count: 1 }): void {
    this.jobNotFoundF.push({ armed: new Armed(opts, this.now()), prefix: opts.pathPrefix, data: { drop: opts.drop === true, read: opts.read, skip: opts.skip ?? 0 } });
  }

  /**
   * Search jobs created (normal or blocking mode) while it is armed finish DONE but say their results are
   * incomplete, as Splunk does when a search peer fails (with `allow_partial_results=true`) or a job is stopped
   * early: `finalized` sets `isFinalized`, `message` adds an entry to the
   * job's `messages` (`messageType`, default WARN). With neither, the job is finalized.
   */
  partialJob(opts: PathFault & { finalized?: boolean; message?: string; messageType?: "WARN" | "ERROR" | "INFO" } = { count: 1 }): void {
    const finalized = opts.finalized ?? opts.message === undefined;
    const messages = opts.message === undefined ? [] : [{ type: opts.messageType ?? "WARN", text: opts.message }];
    this.partialJobF.push({ armed: new Armed(opts, this.now()), prefix: opts.pathPrefix, data: { finalized, messages } });
  }

  /** Disarms every fault. */
  clear(): void {
    this.unauthorizedF = [];
    this.hecBusyF = [];
    this.tooManySearchesF = [];
    this.slowF = [];
    this.dropF = [];
    this.malformedF = [];
    this.jobNotFoundF = [];
    this.partialJobF = [];
  }

  // --- used by the server -------------------------------------------------------------------

  takeUnauthorized(paths: string[]): boolean {
    return this.takePath(this.unauthorizedF, paths) !== undefined;
  }
  takeHecBusy(): boolean {
    const t = this.now();
    return this.hecBusyF.some((a) => a.take(t));
  }
  hecBusyActive(): boolean {
    const t = this.now();
    return this.hecBusyF.some((a) => a.live(t));
  }
  takeTooManySearches(): boolean {
    const t = this.now();
    return this.tooManySearchesF.some((a) => a.take(t));
  }
  takeSlow(paths: string[]): number | undefined {
    return this.takePath(this.slowF, paths);
  }
  /** undefined: no drop; null: drop now; number: drop after that many body bytes. */
  takeDrop(paths: string[]): number | null | undefined {
    const t = this.now();
    for (const f of this.dropF) if (pathMatches(f.prefix, paths) && f.armed.take(t)) return f.data ?? null;
    return undefined;
  }
  takeMalformed(paths: string[]): number | undefined {
    return this.takePath(this.malformedF, paths);
  }

  /** For a read of job `sub` (undefined: its status): undefined: no fault; false: answer 404; true: 404 and delete the job. */
  takeJobNotFound(paths: string[], sub: string | undefined): boolean | undefined {
    const t = this.now();
    for (const f of this.jobNotFoundF) {
      const read = sub === undefined ? "status" : sub === "results" ? "results" : undefined;
      if (f.data.read !== undefined && f.data.read !== read) continue;
      if (!pathMatches(f.prefix, paths) || !f.armed.live(t)) continue;
      if (f.data.skip > 0) {
        f.data.skip--;
        continue;
      }
      f.armed.take(t);
      return f.data.drop;
    }
    return undefined;
  }

  /** For a job being created: how it is to finish incomplete, or undefined. */
  takePartialJob(paths: string[]): PartialJob | undefined {
    return this.takePath(this.partialJobF, paths);
  }

  private takePath<T>(list: PathArmed<T>[], paths: string[]): T | undefined {
    const t = this.now();
    for (const f of list) if (pathMatches(f.prefix, paths) && f.armed.take(t)) return f.data;
    return undefined;
  }
}

export interface RequestLogEntry {
  /** Arrival time, epoch ms. */
  time: number;
  listener: "management" | "hec";
  method: string;
  /** Path without the query string, as sent. */
  path: string;
  query: Record<string, string | string[]>;
  /** Form parameters of the body (management port, urlencoded bodies only). */
  form?: Record<string, string | string[]>;
  /** 0 when the connection was dropped before a status was sent. */
  status: number;
  durationMs: number;
  authScheme?: string;
  user?: string;
  dropped?: boolean;
  bodyBytes: number;
}

/** The last `limit` requests, oldest first. */
export class RequestLog {
  private list: RequestLogEntry[] = [];
  constructor(private readonly limit: number) {}
  add(e: RequestLogEntry): void {
    this.list.push(e);
    if (this.list.length > this.limit) this.list.splice(0, this.list.length - this.limit);
  }
  get entries(): readonly RequestLogEntry[] {
    return this.list;
  }
  /** Entries matching a method and/or a path (string: substring; RegExp: test). */
  find(filter: { method?: string; path?: string | RegExp; status?: number } = {}): RequestLogEntry[] {
    return this.list.filter(
      (e) =>
        (filter.method === undefined || e.method === filter.method) &&
        (filter.status === undefined || e.status === filter.status) &&
        (filter.path === undefined || (typeof filter.path === "string" ? e.path.includes(filter.path) : filter.path.test(e.path))),
    );
  }
  clear(): void {
    this.list = [];
  }
}
