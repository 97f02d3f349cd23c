/**
 * JSON lines: Splunk export rows (plain objects, or `{"result": {...}}` as the export endpoint writes them)
 * and Zeek JSON logs.
 *
 * Contract:
 * - One JSON object per non-empty line. Keys go through the mapping (Zeek names renamed to CIM names, CIM
 *   names kept, Splunk's `_…` internal fields dropped); `_time` (ISO 8601 or epoch) or else `ts` is `time`.
 * - Values: strings and numbers kept as they are; booleans become Zeek's `T`/`F` (so a model trained on TSV
 *   logs sees the same categories); arrays (Splunk multivalue fields, Zeek sets) are joined with `,`;
 *   nested objects are kept as their JSON text; `null` and unset strings (`""`, `-`) are absent.
 * - A line that is not JSON, not an object, a Splunk export row without a `result` (messages, previews), or
 *   with a bad time is rejected with its line number; reading goes on.
 */
import type { FieldValue, Fields, NetEvent, RejectedRow } from "../event.ts";
import { readLines } from "./lines.ts";
import { resolveMapping, type FieldMapping } from "./mappings.ts";
import { Labeler, parseTime, preview, targetOf, type EventBatch, type ReaderOptions } from "./row.ts";

/** Keys the Splunk export endpoint writes around a result; a row made only of these carries no event. */
const EXPORT_KEYS = new Set(["preview", "offset", "lastrow", "messages", "init_offset", "highlighted", "fields"]);

/** Rows read by `jsonlFields` to collect field names (JSON rows omit null fields, so one row is not enough). */
export const FIELDS_SAMPLE_ROWS = 1000;

type Target = string | null;

class JsonRows {
  private readonly targets = new Map<string, Target>();
  readonly labeler: Labeler;
  private readonly unset: Set<string>;

  constructor(readonly mapping: FieldMapping) {
    this.labeler = new Labeler(mapping);
    this.unset = new Set(mapping.unset);
  }

  /** Field name of a key, or null when the key is not a field (time, label, dropped). Cached per key. */
  target(key: string): Target {
    let t = this.targets.get(key);
    if (t === undefined) {
      t = targetOf(key, this.mapping);
      if (this.targets.size < 10_000) this.targets.set(key, t);
    }
    return t;
  }

  /** The event object of a parsed line, or a reject reason. */
  unwrap(value: unknown): Record<string, unknown> | string {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return "not a JSON object";
    const obj = value as Record<string, unknown>;
    const result = obj.result;
    if (result !== null && typeof result === "object" && !Array.isArray(result)) {
      return result as Record<string, unknown>;
    }
    const keys = Object.keys(obj);
    if (keys.length > 0 && keys.every((k) => EXPORT_KEYS.has(k))) return "Splunk export row without a result";
    return obj;
  }

  value(v: unknown): FieldValue | undefined {
    switch (typeof v) {
      case "string":
        return this.unset.has(v) ? undefined : v;
      case "number":
        return Number.isFinite(v) ? v : undefined;
      case "boolean":
        return v ? "T" : "F";
      case "object": {
        if (v === null) return undefined;
        if (Array.isArray(v)) {
          const parts = v.filter((x) => x !== null && x !== "").map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x)));
          return parts.length > 0 ? parts.join(",") : undefined;
        }
        return JSON.stringify(v);
      }
      default:
        return undefined;
    }
  }

  event(obj: Record<string, unknown>, file: string, line: number, raw: string): NetEvent | string {
    const fields: Fields = {};
    for (const key in obj) {
      const name = this.target(key);
      if (name === null) continue;
      const v = this.value(obj[key]);
      if (v !== undefined) fields[name] = v;
    }
    let time: number | undefined;
    const timeKey = this.mapping.time.find((k) => obj[k] !== undefined && obj[k] !== null);
    if (timeKey !== undefined) {
      const tv = this.value(obj[timeKey]);
      if (tv !== undefined) {
        time = parseTime(tv);
        if (Number.isNaN(time)) return `bad time in ${timeKey}: ${preview(String(tv))}`;
      }
    }
    let label: 0 | 1 | null | undefined;
    const labelKey = this.mapping.label.find((k) => obj[k] !== undefined);
    if (labelKey !== undefined) {
      const lv = this.value(obj[labelKey]);
      if (lv !== undefined) label = this.labeler.label(String(lv));
    }
    return { fields, label, time, origin: { kind: "file", file, line, raw } };
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (err) {
    return new JsonError((err as Error).message);
  }
}

class JsonError {
  constructor(readonly message: string) {}
}

/** Normalized field names seen in the first `FIELDS_SAMPLE_ROWS` rows, in first-seen order. */
export async function jsonlFields(options: ReaderOptions): Promise<string[]> {
  const rows = new JsonRows(resolveMapping("jsonl", options.mapping, options.labelColumn));
  const seen = new Set<string>();
  let n = 0;
  for await (const batch of readLines(options.file, { chunkBytes: options.chunkBytes })) {
    for (const line of batch.lines) {
      if (line.trim().length === 0) continue;
      if (n++ >= FIELDS_SAMPLE_ROWS) return [...seen];
      const parsed = parseLine(line);
      if (parsed instanceof JsonError) continue;
      const obj = rows.unwrap(parsed);
      if (typeof obj === "string") continue;
      for (const key in obj) {
        const name = rows.target(key);
        if (name !== null && rows.value(obj[key]) !== undefined) seen.add(name);
      }
    }
  }
  return [...seen];
}

export async function* readJsonl(options: ReaderOptions): AsyncGenerator<EventBatch> {
  const file = options.file;
  const rows = new JsonRows(resolveMapping("jsonl", options.mapping, options.labelColumn));
  for await (const batch of readLines(file, { chunkBytes: options.chunkBytes, holdUnterminated: options.holdPartialLine })) {
    const events: NetEvent[] = [];
    const rejected: RejectedRow[] = [];
    const lines = batch.lines;
    let lineNo = batch.first;
    for (let k = 0; k < lines.length; k++, lineNo++) {
      const line = lines[k];
      if (line.trim().length === 0) continue;
      const parsed = parseLine(line);
      if (parsed instanceof JsonError) {
        rejected.push({ file, line: lineNo, reason: `bad JSON: ${parsed.message}` });
        continue;
      }
      const obj = rows.unwrap(parsed);
      const event = typeof obj === "string" ? obj : rows.event(obj, file, lineNo, line);
      if (typeof event === "string") rejected.push({ file, line: lineNo, reason: event });
      else events.push(event);
    }
    if (events.length > 0 || rejected.length > 0) yield { events, rejected };
  }
}
