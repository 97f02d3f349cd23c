/**
 * The Splunk source: one instance per configured search (`splunk.searches[]`; its `name` is the checkpoint
 * key). Each window (see `window.ts`) is one normal search job:
 *
 *   search <query> | fields <the wanted fields and the row meta fields>
 *   with index_earliest/index_latest = the window (index time) and earliest_time/latest_time = its event-time
 *   bounds, max_count = `maxResultsPerJob`
 *
 * Then: wait for DONE, page `results` in `output_mode=json` with `count = page_size`, `offset` and `f` = the same
 * fields (so rows carry none of the fields Splunk adds to every result, `_bkt`, `_si`, `_serial`...), one page
 * per batch, the next page asked for while the current one is processed (memory stays bounded by two pages),
 * and delete the job (also when reading fails). A row whose `_indextime` is outside the job's index-time range
 * (its bounds were overridden) is dropped and counted as rejected with the reason (`outsideWindow`).
 *
 * No cap is hit silently: a job whose results reached `max_count` (or, for a plain event search, whose
 * `resultCount` is below its `eventCount`) is deleted and its window is split in two by index time, down
 * to one second; a single second that still exceeds the cap fails the run with a message. Paging reads
 * until `offset` reaches the job's `resultCount`, whatever `count` the server honours, and an empty page
 * before that fails the run. Job creation, status polls and pages that fail with a retryable error (503
 * "too many concurrent searches", 502/504, network) are retried with backoff; an expired session is the
 * SDK's to renew (it logs in again once on a 401).
 *
 * A job that disappears (404 on its status or results: behind a search-head cluster without sticky sessions
 * the request landed on a member that does not have it) is dispatched again, up to `redispatch` times (default
 * 3), before the window fails with the reason. Rows already yielded are not yielded again: the new job must
 * hold the same result count and return the last yielded row at the same offset, and reading resumes after it;
 * otherwise the window fails (its checkpoint holds) rather than skip or double rows.
 */
import type { EventSource, SourceBatch } from "../source.ts";
import { withRetry, type RetryPolicy, SplunkError } from "../../splunk/errors.ts";
import type { SplunkSearchConfig } from "../../config/schema.ts";
import type { JobHandle, JobStatus, SplunkClient, WaitOptions } from "../../splunk/sdk.ts";
import type { SdkResultsJson } from "../../splunk/types.ts";
import type { NetEvent, RejectedRow } from "../event.ts";
import { normalizeRow, ROW_META_FIELDS, splunkFieldNames, type SplunkRow } from "./normalize.ts";
import { DEFAULT_INCOMPLETE_RESULT_PATTERNS } from "../../config/schema.ts";
import { logEvent } from "../../telemetry/log.ts";
import { eventTimeBounds, parsePosition, planWindow, positionAfter, type SplunkPosition, type SplunkWindow, type WindowSettings } from "./window.ts";

/** Default `max_count` asked of each job: results a job may hold before its window is split. */
export const DEFAULT_MAX_RESULTS_PER_JOB = 500_000;

export interface SplunkSourceOptions {
  client: SplunkClient;
  search: SplunkSearchConfig;
  settings: WindowSettings & { page_size: number };
  /**
   * Normalized field names the model reads; only these (under their CIM, Zeek or `field_map` names) and
   * the row meta fields are pulled. Undefined pulls every field.
   */
  fields?: readonly string[];
  /** Clock, epoch ms (default Date.now). */
  now?: () => number;
  /** `max_count` per job (default 500 000). */
  maxResultsPerJob?: number;
  /** Job polling (default: 250 ms growing to 2 s, 10 min deadline). */
  wait?: WaitOptions;
  /** Backoff timings for retryable failures (default: each endpoint's policy, `http/policy.ts`). */
  retry?: RetryPolicy;
  /** Times a window's job is dispatched again after it disappeared (404) before the window fails (default 3). */
  redispatch?: number;
  /**
   * `splunk.incomplete_result_patterns`: case-insensitive regular expressions; a WARN/ERROR job message matching
   * one fails the window (default `DEFAULT_INCOMPLETE_RESULT_PATTERNS`).
   */
  incompletePatterns?: readonly string[];
}

/** Default of `SplunkSourceOptions.redispatch`. */
export const DEFAULT_REDISPATCH = 3;

function quoteField(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) ? name : `"${name.replace(/(["\\])/g, "\\$1")}"`;
}

/** The Splunk fields a search pulls for the normalized `fields`: the row meta fields and every name they may have. */
export function pulledFields(fields: readonly string[], fieldMap: Readonly<Record<string, string>>): string[] {
  return [...new Set([...ROW_META_FIELDS, ...splunkFieldNames(fields, fieldMap)])];
}

/** The SPL of one search: the configured query (given a leading `search` when it has none) and `| fields`. */
export function buildSpl(query: string, fields: readonly string[] | undefined, fieldMap: Readonly<Record<string, string>>): string {
  const q = query.trim();
  const base = q.startsWith("|") || /^search\s/i.test(q) ? q : `search ${q}`;
  if (fields === undefined) return base;
  return `${base} | fields ${pulledFields(fields, fieldMap).map(quoteField).join(", ")}`;
}

export class SplunkSource implements EventSource<SplunkWindow> {
  readonly name: string;
  private readonly client: SplunkClient;
  private readonly search: SplunkSearchConfig;
  private readonly settings: SplunkSourceOptions["settings"];
  private readonly spl: string;
  /** The `f` of every results page: the fields the SPL keeps (undefined: every field). */
  private readonly resultFields: readonly string[] | undefined;
  private readonly now: () => number;
  private readonly maxResults: number;
  private readonly wait: WaitOptions;
  private readonly retry: RetryPolicy;
  private readonly redispatch: number;
  private readonly incomplete: RegExp[];
  /** A query with no pipe of its own: its results are its events, so resultCount < eventCount means a cap. */
  private readonly plainEventSearch: boolean;

  constructor(o: SplunkSourceOptions) {
    this.client = o.client;
    this.search = o.search;
    this.name = o.search.name;
    this.settings = o.settings;
    this.spl = buildSpl(o.search.query, o.fields, o.search.field_map);
    this.resultFields = o.fields === undefined ? undefined : pulledFields(o.fields, o.search.field_map);
    this.now = o.now ?? Date.now;
    this.maxResults = o.maxResultsPerJob ?? DEFAULT_MAX_RESULTS_PER_JOB;
    this.wait = o.wait ?? {};
    this.retry = o.retry ?? {};
    this.redispatch = o.redispatch ?? DEFAULT_REDISPATCH;
    this.incomplete = (o.incompletePatterns ?? DEFAULT_INCOMPLETE_RESULT_PATTERNS).map((p) => new RegExp(p, "i"));
    this.plainEventSearch = !o.search.query.includes("|");
  }

  /** The SPL sent for every window. */
  get query(): string {
    return this.spl;
  }

  plan(position: unknown): Promise<SplunkWindow | null> {
    return Promise.resolve(planWindow(parsePosition(position, this.name), this.settings, this.now()));
  }

  endPosition(window: SplunkWindow): SplunkPosition {
    return positionAfter(window);
  }

  /** Reads the window as planned, or as given (a backfill sets its own event-time bounds). */
  read(window: SplunkWindow): AsyncIterable<SourceBatch> {
    return this.pull(window.start, window.end, { earliest: window.earliest, latest: window.latest });
  }

  /** Job parameters for index-time range [start, end); event-time bounds from the window or derived from it. */
  jobParams(start: number, end: number, bounds?: Pick<SplunkWindow, "earliest" | "latest">): Record<string, string | number> {
    const { earliest, latest } = bounds ?? eventTimeBounds(start, end, this.settings);
    return {
      index_earliest: String(start),
      index_latest: String(end),
      earliest_time: String(earliest),
      latest_time: String(latest),
      max_count: this.maxResults,
      // A search peer that fails must fail the job, not finish it DONE with its events missing (Splunk's default is true).
      allow_partial_results: "false",
      // The job is deleted once read; the TTL only matters if the sidecar dies first.
      timeout: 600,
    };
  }

  private async *pull(start: number, end: number, bounds: Pick<SplunkWindow, "earliest" | "latest">): AsyncGenerator<SourceBatch> {
    const client = this.client;
    /** Rows of this range already yielded, the job's result count, and the last row yielded (checked on resume). */
    let offset = 0;
    let total: number | undefined;
    let lastRow: SplunkRow | undefined;
    const lost: string[] = [];
    for (;;) {
      const job: JobHandle = await withRetry("splunkd.dispatch", () => client.createJob(this.spl, this.jobParams(start, end, bounds)), this.retry);
      let removed = false;
      let split = false;
      /** The page asked for ahead of the one being processed. */
      let next: Promise<SdkResultsJson> | undefined;
      try {
        const status = await withRetry("splunkd.job_poll", () => client.waitForJob(job, this.wait), this.retry);
        this.checkComplete(status, start, end);
        if (total !== undefined && status.resultCount !== total) {
          throw new SplunkError(
            `Splunk search "${this.name}": job ${job.sid}, dispatched again for index time ${iso(start)}–${iso(end)} after ${lost.join(", ")} disappeared, ` +
              `holds ${status.resultCount} results where the lost job held ${total}; the window is failed (its checkpoint holds) and is read whole next run`,
            "permanent",
            200,
          );
        }
        const capped = status.resultCount >= this.maxResults || (this.plainEventSearch && status.resultCount < status.eventCount);
        if (capped && total === undefined) {
          if (end - start <= 1) {
            throw new SplunkError(
              `Splunk search "${this.name}": the job for index time ${iso(start)} held ${status.resultCount} of ${status.eventCount} events ` +
                `(max_count ${this.maxResults}) and a one-second window cannot be split further; the run stops rather than skip events`,
              "permanent",
              200,
            );
          }
          removed = true;
          await this.removeQuietly(job);
          split = true;
        } else {
          total = status.resultCount;
          const all = total;
          const fetch = (at: number, count = Math.min(this.settings.page_size, all - at)): Promise<SdkResultsJson> => {
            const p = withRetry("splunkd.results", () => client.results(job, at, count, this.resultFields), this.retry);
            p.catch(() => undefined); // awaited in turn; a page nobody awaits (the reader stopped) must not be an unhandled rejection
            return p;
          };
          if (offset > 0 && lastRow !== undefined) {
            // Resuming on a job dispatched again: its row before the resume point must be the last one yielded,
            // or its order differs and resuming would skip or double rows.
            const [again] = ((await fetch(offset - 1, 1)).results ?? []) as SplunkRow[];
            if (again === undefined || !sameRow(again, lastRow)) {
              throw new SplunkError(
                `Splunk search "${this.name}": job ${job.sid}, dispatched again after ${lost.join(", ")} disappeared, returns its results in another order ` +
                  `(row ${offset - 1} differs), so reading on from row ${offset} could skip or double events; the window is failed (its checkpoint holds)`,
                "permanent",
                200,
              );
            }
          }
          if (offset < total) next = fetch(offset);
          while (next !== undefined) {
            const at = offset;
            const page = await next;
            next = undefined;
            const rows = (page.results ?? []) as SplunkRow[];
            if (rows.length === 0) {
              throw new SplunkError(`Splunk search "${this.name}": job ${job.sid} returned no rows at offset ${at} of ${total}`, "retryable", 200);
            }
            // Ask for the next page now: Splunk prepares and sends it while this one is normalized and scored.
            if (at + rows.length < total) next = fetch(at + rows.length);
            const events: NetEvent[] = [];
            const rejected: RejectedRow[] = [];
            for (let i = 0; i < rows.length; i++) {
              const outside = outsideWindow(rows[i]!, start, end);
              if (outside !== undefined) {
                rejected.push({ file: `splunk:${this.name}`, line: at + i, reason: outside });
                continue;
              }
              const n = normalizeRow(rows[i]!, this.search.field_map, this.name, at + i);
              if ("event" in n) events.push(n.event);
              else rejected.push(n.rejected);
            }
            offset = at + rows.length;
            lastRow = rows[rows.length - 1];
            yield { events, rejected };
          }
        }
      } catch (e) {
        if (!jobGone(e)) throw e;
        lost.push(`job ${job.sid}`);
        if (lost.length > this.redispatch) {
          throw new SplunkError(
            `Splunk search "${this.name}": the search job for index time ${iso(start)}–${iso(end)} disappeared (404) ${lost.length} times ` +
              `(${lost.join(", ")}); behind a search-head cluster, make the load balancer keep sessions sticky. The window is failed (its checkpoint holds)`,
            "permanent",
            404,
          );
        }
        continue;
      } finally {
        if (next !== undefined) await next.catch(() => undefined);
        if (!removed) await this.removeQuietly(job);
      }
      if (split) {
        const mid = start + Math.floor((end - start) / 2);
        yield* this.pull(start, mid, bounds);
        yield* this.pull(mid, end, bounds);
      }
      return;
    }
  }

  /**
   * Throws when a DONE job says its results are incomplete: `isFinalized` (stopped early: quota, `max_time`, a
   * user), or a WARN/ERROR message matching `incompletePatterns` (a search peer that failed, results truncated).
   * The window fails and its checkpoint holds. Other WARN/ERROR messages are logged and the window is read.
   */
  private checkComplete(status: JobStatus, start: number, end: number): void {
    const notable = (status.jobMessages ?? []).filter((m) => m.type === "WARN" || m.type === "ERROR" || m.type === "FATAL");
    const incomplete = notable.filter((m) => this.incomplete.some((re) => re.test(m.text)));
    if (status.finalized === true || incomplete.length > 0) {
      const why = [
        ...(status.finalized === true ? ["the job was finalized (stopped before it finished: a quota, max_time or a user)"] : []),
        ...incomplete.map((m) => `${m.type}: ${m.text}`),
      ].join("; ");
      throw new SplunkError(
        `Splunk search "${this.name}": the job ${status.sid} for index time ${iso(start)}–${iso(end)} finished with incomplete results (${why}); ` +
          `the window is failed (its checkpoint holds) and is read again next run`,
        "permanent",
        200,
        incomplete[0]?.text,
      );
    }
    if (notable.length > 0) {
      logEvent("splunk_job_messages", { search: this.name, sid: status.sid, messages: notable.map((m) => `${m.type}: ${m.text}`) });
    }
  }

  /** A job that cannot be deleted now expires by its TTL; failing the run for it would lose nothing but time. */
  private async removeQuietly(job: JobHandle): Promise<void> {
    try {
      await this.client.removeJob(job);
    } catch {
      // ignored: see above
    }
  }
}

/**
 * Why a row whose `_indextime` lies outside the job's index-time range [start, end) is not this window's, or
 * undefined when it is (or carries no readable `_indextime`). Such a row comes back only when something
 * overrode the job's bounds (a time modifier in the query, a server that ignores them); it belongs to the
 * window of its own index time, which reads it (or has read it), so scoring it here would double it.
 */
export function outsideWindow(row: SplunkRow, start: number, end: number): string | undefined {
  const v = row._indextime;
  const text = Array.isArray(v) ? v[0] : v;
  if (text === undefined || text === null || text === "") return undefined;
  const t = Number(text);
  if (!Number.isFinite(t) || (t >= start && t < end)) return undefined;
  return `_indextime ${text} is outside the window's index time [${start}, ${end}) (the query or the server overrode the window's bounds): left to the window of its own index time`;
}

/** A 404 on a job the source created: the job is unknown where the request landed (see `redispatch`). */
function jobGone(e: unknown): boolean {
  return e instanceof SplunkError && e.status === 404;
}

/** The same event: `_cd`, `_time` and `_raw` agree. */
function sameRow(a: SplunkRow, b: SplunkRow): boolean {
  return (["_cd", "_time", "_raw", "index"] as const).every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

function iso(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
}
