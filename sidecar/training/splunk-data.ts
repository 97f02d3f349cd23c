/**
 * Training rows from a Splunk search (`retrain.data.splunk`), read through the SDK the way the scoring source
 * reads a window: one normal search job, waited for, paged in `output_mode=json` (`count = page_size`,
 * `offset`), and deleted once read (also on failure). Rows normalize exactly as scoring rows do
 * (`normalizeRow`), so the features a model trains on are the ones it scores.
 *
 * A search head is not a bulk export service: the job reads at most `max_rows_read` rows (its `max_count`;
 * a job that reaches it fails the retraining, with the fix), and only `max_rows` are kept: above that, a seeded
 * sample stratified by label (each class keeps its share; a uniform reservoir per class bounds memory while
 * paging, at most `max_rows` per class).
 */
import type { TrainingSearchConfig } from "../config/schema.ts";
import { normalizeRow, type SplunkRow } from "../sources/splunk/normalize.ts";
import { buildSpl } from "../sources/splunk/source.ts";
import type { NetEvent, RejectedRow } from "../sources/event.ts";
import { withRetry } from "../splunk/errors.ts";
import type { SplunkClient } from "../splunk/sdk.ts";
import { TrainingDataError, type TrainingDataProvider } from "./data.ts";
import { mulberry32, randomInt, type Random } from "./random.ts";

/** Built-in label names (lower case); `label_map` entries win. */
const ATTACK = new Set(["1", "attack", "malicious", "malware", "true", "true_positive", "bad"]);
const BENIGN = new Set(["0", "benign", "normal", "false", "false_positive", "good"]);
const EXCLUDED = new Set(["background", "unknown", "-", ""]);

/** A label value as a class: 1, 0, null (excluded), or undefined (unknown: excluded too, and counted). */
export function labelClass(value: string | undefined, map: Readonly<Record<string, "attack" | "benign" | "excluded">>): 0 | 1 | null | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  const mapped = Object.entries(map).find(([k]) => k.toLowerCase() === v)?.[1];
  if (mapped) return mapped === "attack" ? 1 : mapped === "benign" ? 0 : null;
  if (ATTACK.has(v)) return 1;
  if (BENIGN.has(v)) return 0;
  if (EXCLUDED.has(v)) return null;
  return undefined;
}

export interface ReadSearchOptions {
  pageSize: number;
  /** The job's `max_count`; a job with this many results fails (the data was cut). */
  maxRows: number;
  signal?: AbortSignal;
}

/**
 * Runs `spl` as one job with `params` (time bounds), pages every result into `onPage` in order, deletes the
 * job. Resolves with the result count.
 */
export async function readSearch(
  client: SplunkClient,
  spl: string,
  params: Record<string, string | number>,
  opts: ReadSearchOptions,
  onPage: (rows: SplunkRow[], offset: number) => void,
): Promise<number> {
  const job = await withRetry("splunkd.dispatch", () => client.createJob(spl, { ...params, max_count: opts.maxRows, timeout: 600 }));
  try {
    const status = await withRetry("splunkd.job_poll", () => client.waitForJob(job));
    const total = status.resultCount;
    if (total >= opts.maxRows) {
      throw new TrainingDataError(
        `the training search returned ${total} rows, the most it may read (max_rows_read ${opts.maxRows}); narrow its time range or raise retrain.data.splunk.max_rows_read`,
      );
    }
    let offset = 0;
    while (offset < total) {
      opts.signal?.throwIfAborted();
      const page = await withRetry("splunkd.results", () => client.results(job, offset, Math.min(opts.pageSize, total - offset)));
      const rows = (page.results ?? []) as SplunkRow[];
      if (rows.length === 0) throw new Error(`search job ${job.sid} returned no rows at offset ${offset} of ${total}`);
      onPage(rows, offset);
      offset += rows.length;
    }
    return total;
  } finally {
    await client.removeJob(job).catch(() => undefined);
  }
}

/** Keeps a uniform sample of at most `size` items (Algorithm R) with a seeded generator. */
class Reservoir<T> {
  readonly items: T[] = [];
  seen = 0;
  constructor(
    private readonly size: number,
    private readonly random: Random,
  ) {}
  add(item: T): void {
    this.seen++;
    if (this.items.length < this.size) this.items.push(item);
    else {
      const j = randomInt(this.random, this.seen);
      if (j < this.size) this.items[j] = item;
    }
  }
}

export interface SplunkTrainingOptions {
  client: SplunkClient;
  search: TrainingSearchConfig;
  /** Seed of the sample above `max_rows`. */
  seed: number;
  /** Keep rows without a usable label (for the feedback override to label); default false. */
  includeUnlabeled?: boolean;
}

/** What the last read sampled, for the model event and tests. */
export interface SplunkReadInfo {
  spl: string;
  read: number;
  kept: number;
  sampled: boolean;
}

/** Labeled events from a Splunk search; see the module comment. */
export function splunkTrainingData(o: SplunkTrainingOptions, onInfo?: (info: SplunkReadInfo) => void): TrainingDataProvider {
  const { search } = o;
  return {
    async read(signal) {
      signal?.throwIfAborted();
      const spl = buildSpl(search.query, undefined, search.field_map);
      const random = mulberry32(o.seed);
      const byClass = { 0: new Reservoir<NetEvent>(search.max_rows, random), 1: new Reservoir<NetEvent>(search.max_rows, random), u: new Reservoir<NetEvent>(search.max_rows, random) };
      const fields = new Set<string>();
      const rejected: RejectedRow[] = [];
      let rejectedCount = 0;
      let excluded = 0;
      let unlabeled = 0;
      let labelFieldSeen = false;
      const total = await readSearch(o.client, spl, { earliest_time: search.earliest, latest_time: search.latest }, { pageSize: search.page_size, maxRows: search.max_rows_read, signal }, (rows, offset) => {
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i]!;
          const raw = row[search.label_field];
          const value = Array.isArray(raw) ? raw[0] : (raw ?? undefined);
          if (value !== undefined && value !== null) labelFieldSeen = true;
          const n = normalizeRow(row, search.field_map, search.name, offset + i);
          if ("rejected" in n) {
            rejectedCount++;
            if (rejected.length < 100) rejected.push(n.rejected);
            continue;
          }
          const event = n.event;
          delete event.fields[search.label_field];
          const label = labelClass(value ?? undefined, search.label_map);
          if (label === 0 || label === 1) {
            event.label = label;
            byClass[label].add(event);
          } else {
            if (label === null) excluded++;
            else unlabeled++;
            if (o.includeUnlabeled) {
              event.label = label === null ? null : undefined;
              byClass.u.add(event);
            }
          }
          for (const k in event.fields) fields.add(k);
        }
      });
      if (total > 0 && !labelFieldSeen) {
        throw new TrainingDataError(`the label field ${JSON.stringify(search.label_field)} (retrain.data.splunk.label_field) does not exist in the rows of search ${search.name}`);
      }
      const labeled = byClass[0].seen + byClass[1].seen;
      const sampled = labeled > search.max_rows;
      let keep0 = byClass[0].items.length;
      let keep1 = byClass[1].items.length;
      if (sampled) {
        // Each class keeps its share of the cap (at least one row when it has any).
        keep1 = Math.max(byClass[1].seen > 0 ? 1 : 0, Math.round((search.max_rows * byClass[1].seen) / labeled));
        keep0 = search.max_rows - keep1;
      }
      const events = [...byClass[0].items.slice(0, keep0), ...byClass[1].items.slice(0, keep1), ...byClass.u.items];
      // Event-time order: the held-out slice of a retraining is the newest rows.
      events.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
      onInfo?.({ spl, read: total, kept: keep0 + keep1, sampled });
      return {
        events,
        fields: [...fields],
        description: {
          files: [`splunk:${search.name}`],
          rows: keep0 + keep1,
          positives: keep1,
          negatives: keep0,
          excluded: excluded + unlabeled + (labeled - keep0 - keep1),
          rejected: rejectedCount,
        },
        rejectedSamples: rejected,
      };
    },
  };
}
