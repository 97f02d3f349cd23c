/**
 * Analyst labels: the `soc_assistant_feedback` KV store collection (event_id, label, analyst, time, note),
 * read through the SDK with `| inputlookup`, and a provider that lets those labels override a training
 * provider's labels by `event_id`.
 *
 * Contract:
 * - The last label per `event_id` wins: the row with the latest `time`; rows with equal times (or none) in
 *   collection order, later rows winning.
 * - Labels: `true_positive` (also `attack`, `malicious`) is an attack; `false_positive` and `benign` (also
 *   `normal`) are benign. A row with another label, or without an `event_id`, is counted and skipped, never
 *   fatal.
 * - An override replaces the event's label, also a missing or excluded one (an analyst's verdict labels an
 *   event the source left unlabeled); the description records how many were applied.
 */
import type { SplunkClient } from "../splunk/sdk.ts";
import type { NetEvent } from "../sources/event.ts";
import { readSearch } from "./splunk-data.ts";
import type { TrainingDataProvider } from "./data.ts";

/** Counts of one read of the collection. */
export interface FeedbackStats {
  /** Rows in the collection. */
  rows: number;
  /** Distinct event_ids with a usable label (after the last-wins rule). */
  labels: number;
  /** Rows skipped: no `event_id`. */
  skipped_no_event_id: number;
  /** Rows skipped: a label this version does not know. */
  skipped_unknown_label: number;
  /** Training rows whose label an analyst's label replaced (set by the override). */
  applied: number;
  /** Of those, how many changed the label. */
  changed: number;
}

export interface Feedback {
  /** event_id -> 1 (attack) or 0 (benign). */
  labels: Map<string, 0 | 1>;
  stats: FeedbackStats;
}

const ATTACK = new Set(["true_positive", "attack", "malicious"]);
const BENIGN = new Set(["false_positive", "benign", "normal"]);

/** A feedback label as a class, or undefined when unknown. */
export function feedbackClass(label: unknown): 0 | 1 | undefined {
  if (typeof label !== "string") return undefined;
  const l = label.trim().toLowerCase();
  return ATTACK.has(l) ? 1 : BENIGN.has(l) ? 0 : undefined;
}

function timeOf(v: unknown): number {
  if (typeof v === "number") return Number.isFinite(v) ? v : -Infinity;
  if (typeof v !== "string" || v.trim() === "") return -Infinity;
  const n = Number(v);
  if (Number.isFinite(n)) return n;
  const t = Date.parse(v);
  return Number.isNaN(t) ? -Infinity : t / 1000;
}

function scalar(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

/** Applies the last-wins rule to collection rows in collection order. */
export function parseFeedback(rows: readonly Record<string, unknown>[]): Feedback {
  const latest = new Map<string, { time: number; label: 0 | 1 }>();
  const stats: FeedbackStats = { rows: rows.length, labels: 0, skipped_no_event_id: 0, skipped_unknown_label: 0, applied: 0, changed: 0 };
  for (const row of rows) {
    const id = scalar(row.event_id);
    if (typeof id !== "string" || id.trim() === "") {
      stats.skipped_no_event_id++;
      continue;
    }
    const label = feedbackClass(scalar(row.label));
    if (label === undefined) {
      stats.skipped_unknown_label++;
      continue;
    }
    const time = timeOf(scalar(row.time));
    const key = id.trim().toLowerCase();
    const seen = latest.get(key);
    if (!seen || time >= seen.time) latest.set(key, { time, label });
  }
  const labels = new Map<string, 0 | 1>();
  for (const [id, v] of latest) labels.set(id, v.label);
  stats.labels = labels.size;
  return { labels, stats };
}

/** Reads the whole collection through the SDK (`| inputlookup <collection>`), paged. */
export async function readFeedback(client: SplunkClient, collection: string, signal?: AbortSignal): Promise<Feedback> {
  const rows: Record<string, unknown>[] = [];
  await readSearch(client, `| inputlookup ${collection}`, {}, { pageSize: 5000, maxRows: 10_000_000, signal }, (page) => {
    for (const r of page) rows.push(r);
  });
  return parseFeedback(rows);
}

/**
 * `inner`'s events with the analysts' labels in place of the source's, joined by `event_id` (`idOf`). The
 * description's counts are recomputed; `feedback` receives the stats, `applied` and `changed` filled in.
 */
export function withFeedback(
  inner: TrainingDataProvider,
  feedback: (signal?: AbortSignal) => Promise<Feedback>,
  idOf: (e: NetEvent) => string,
  onStats?: (stats: FeedbackStats, overridden: ReadonlySet<NetEvent>) => void,
): TrainingDataProvider {
  return {
    async read(signal) {
      const [data, fb] = await Promise.all([inner.read(signal), feedback(signal)]);
      const stats = { ...fb.stats };
      const overridden = new Set<NetEvent>();
      if (fb.labels.size > 0) {
        for (const e of data.events) {
          const l = fb.labels.get(idOf(e));
          if (l === undefined) continue;
          stats.applied++;
          overridden.add(e);
          if (e.label !== l) stats.changed++;
          e.label = l;
        }
      }
      onStats?.(stats, overridden);
      let positives = 0;
      let negatives = 0;
      for (const e of data.events) {
        if (e.label === 1) positives++;
        else if (e.label === 0) negatives++;
      }
      const labeled = data.events.filter((e) => e.label === 0 || e.label === 1);
      const unlabeled = data.events.length - labeled.length;
      return {
        ...data,
        events: labeled,
        description: { ...data.description, rows: labeled.length, positives, negatives, excluded: data.description.excluded + unlabeled },
      };
    },
  };
}
