/**
 * What the tabular readers share: the options they take, the batch they yield, and the column plan compiled
 * once per header from a `FieldMapping`, so the per-row loop is a table lookup per column and nothing more.
 */
import type { NetEvent, RejectedRow } from "../event.ts";
import type { FieldMapping, FieldMappingOverride, Format, Label } from "./mappings.ts";

/** One batch of a reader: events and the rows it could not read, from a few thousand lines. */
export interface EventBatch {
  events: NetEvent[];
  rejected: RejectedRow[];
}

export interface ReaderOptions {
  file: string;
  format: Format;
  /** The `--label-column` flag: replaces the mapping's label candidates. */
  labelColumn?: string;
  /** Applied over the format's default mapping (see `resolveMapping`); a full `FieldMapping` works too. */
  mapping?: FieldMappingOverride;
  /** Passed to `readLines`. */
  chunkBytes?: number;
  /** Passed to `readLines` as `holdUnterminated`: a live file's unfinished last line waits for the next read. */
  holdPartialLine?: boolean;
}

/** A column compiled from a header: what the row loop does with it. */
export interface ColumnPlan {
  /** Per source column: the normalized field name, or null when the column is not a field. */
  names: (string | null)[];
  /** Index of the time column, -1 when there is none. */
  timeIndex: number;
  /** Index of the label column, -1 when there is none. */
  labelIndex: number;
  /** Source name of the time column ("" when none), for reject reasons. */
  timeColumn: string;
  /** The normalized field names the columns provide, in column order, without duplicates. */
  fields: string[];
}

/** Where a source column goes: a field name, or null for time, label and dropped columns. */
export function targetOf(column: string, mapping: FieldMapping): string | null {
  if (mapping.time.includes(column) || mapping.label.includes(column)) return null;
  if (mapping.drop.includes(column)) return null;
  for (const p of mapping.dropPrefixes) if (p.length > 0 && column.startsWith(p)) return null;
  return mapping.rename[column] ?? column;
}

export function planColumns(columns: readonly string[], mapping: FieldMapping): ColumnPlan {
  const timeColumn = mapping.time.find((c) => columns.includes(c)) ?? "";
  const labelColumn = mapping.label.find((c) => columns.includes(c));
  const names = columns.map((c) => targetOf(c, mapping));
  const fields: string[] = [];
  for (const n of names) if (n !== null && !fields.includes(n)) fields.push(n);
  return {
    names,
    timeIndex: timeColumn === "" ? -1 : columns.indexOf(timeColumn),
    labelIndex: labelColumn === undefined ? -1 : columns.indexOf(labelColumn),
    timeColumn,
    fields,
  };
}

/**
 * Maps raw label values to labels, per the mapping: case-insensitive, trimmed; unset values give
 * `undefined` (no label). Results are cached: label columns hold few distinct values.
 */
export class Labeler {
  private readonly cache = new Map<string, Label | undefined>();
  private readonly labels: Map<string, Label>;
  private readonly unset: Set<string>;

  constructor(
    private readonly mapping: FieldMapping,
    unset: Iterable<string> = mapping.unset,
  ) {
    this.labels = new Map(Object.entries(mapping.labels).map(([k, v]) => [k.trim().toLowerCase(), v]));
    this.unset = new Set(unset);
  }

  label(raw: string): Label | undefined {
    const hit = this.cache.get(raw);
    if (hit !== undefined || this.cache.has(raw)) return hit;
    const key = raw.trim().toLowerCase();
    let out: Label | undefined;
    if (key.length === 0 || this.unset.has(raw) || this.unset.has(key)) out = undefined;
    else {
      const known = this.labels.get(key);
      out = known !== undefined ? known : this.mapping.otherLabel;
    }
    // Bounded: a column of free-text labels must not grow the cache without end.
    if (this.cache.size < 4096) this.cache.set(raw, out);
    return out;
  }
}

/**
 * Epoch seconds from a time cell: a number (`1545403816.962094`) or an ISO 8601 string
 * (`2019-12-05T15:46:36.000+00:00`, as Splunk exports `_time`). NaN when it is neither.
 */
export function parseTime(value: string | number): number {
  if (typeof value === "number") return value;
  const n = Number(value);
  if (!Number.isNaN(n) && value.trim().length > 0) return n;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? NaN : ms / 1000;
}

/** A value for a reject reason: quoted, at most 60 characters. */
export function preview(value: string, max = 60): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}
