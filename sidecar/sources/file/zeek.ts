/**
 * Zeek TSV logs (`conn.log`, labeled or not, plain or gzip).
 *
 * Contract:
 * - Header lines are honoured wherever they appear (concatenated logs): `#separator` (escaped, `\x09`),
 *   `#unset_field`, `#empty_field`, and `#fields`, which recompiles the column plan. `#types`, `#path`,
 *   `#open`, `#close` and unknown `#` lines are skipped; a missing `#close` is normal (IoT-23 34-1).
 * - Unset (`-`) and empty-set (`(empty)`) cells, or whatever the header declares instead, and empty cells are
 *   absent fields. Other values stay strings; `ts` becomes `time` (epoch seconds).
 * - IoT-23 writes its last three columns as one tab field joined by three spaces, in `#fields` and in every
 *   row: a header or row with too few tab fields has its last field split on three spaces.
 * - A row with the wrong number of columns, a bad `ts`, or before any `#fields` is rejected with its line
 *   number; reading goes on.
 */
import type { Fields, NetEvent, RejectedRow } from "../event.ts";
import { readLines } from "./lines.ts";
import { resolveMapping, type FieldMapping, type Label } from "./mappings.ts";
import { Labeler, parseTime, planColumns, preview, type ColumnPlan, type EventBatch, type ReaderOptions } from "./row.ts";

const IOT23_JOIN = "   ";
const DEFAULT_UNSET = "-";
const DEFAULT_EMPTY = "(empty)";

/** Decodes `\xHH` escapes, as Zeek writes its `#separator`. */
export function unescapeZeek(value: string): string {
  return value.replace(/\\x([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Splits on `sep`; when that gives fewer than `expected` fields, splits the last one on three spaces. */
function splitRow(line: string, sep: string, expected: number): string[] {
  const parts = line.split(sep);
  if (parts.length < expected) {
    const last = parts[parts.length - 1];
    if (last.includes(IOT23_JOIN)) {
      parts.pop();
      for (const p of last.split(IOT23_JOIN)) parts.push(p);
    }
  }
  return parts;
}

/** Per-file parser state: the header seen so far. */
class ZeekState {
  sep = "\t";
  unsetField = DEFAULT_UNSET;
  emptyField = DEFAULT_EMPTY;
  plan: ColumnPlan | null = null;
  labeler: Labeler;
  /** Unset values from the mapping beyond the header's two and "", or null. */
  extraUnset: Set<string> | null;
  /** The last raw label cell and its label: labels come in runs. */
  private lastLabelRaw = "";
  private lastLabel: Label | undefined = undefined;

  constructor(private readonly mapping: FieldMapping) {
    const extra = mapping.unset.filter((u) => u !== DEFAULT_UNSET && u !== DEFAULT_EMPTY && u !== "");
    this.extraUnset = extra.length > 0 ? new Set(extra) : null;
    this.labeler = this.makeLabeler();
  }

  private resetLabeler(): void {
    this.labeler = this.makeLabeler();
    this.lastLabelRaw = "";
  }

  private makeLabeler(): Labeler {
    return new Labeler(this.mapping, [this.unsetField, this.emptyField, ...this.mapping.unset]);
  }

  /**
   * One data row → an event, or null after pushing a rejection. The hot path: fields are found with
   * `indexOf` and sliced straight into the event (no intermediate array, no per-field closure), unset and
   * empty cells are recognised in place without slicing them.
   */
  row(line: string, file: string, lineNo: number, rejected: RejectedRow[]): NetEvent | null {
    const plan = this.plan;
    if (plan === null) {
      rejected.push({ file, line: lineNo, reason: "data row before any #fields header" });
      return null;
    }
    const names = plan.names;
    const n = names.length;
    const sep = this.sep;
    const unset = this.unsetField;
    const empty = this.emptyField;
    const unsetLen = unset.length;
    const emptyLen = empty.length;
    const unset0 = unset.charCodeAt(0);
    const empty0 = empty.charCodeAt(0);
    const extraUnset = this.extraUnset;
    const timeIndex = plan.timeIndex;
    const labelIndex = plan.labelIndex;
    const end = line.length;
    const fields: Fields = {};
    let time: number | undefined;
    let label: Label | undefined;
    let delim = sep;
    let s = 0;
    let i = 0;
    for (;;) {
      let e = line.indexOf(delim, s);
      if (e < 0) {
        e = end;
        // IoT-23: the last tab field holds the remaining columns, joined by three spaces.
        if (delim === sep && i < n - 1) {
          const q = line.indexOf(IOT23_JOIN, s);
          if (q >= 0) {
            delim = IOT23_JOIN;
            e = q;
          }
        }
      }
      const len = e - s;
      if (len > 0) {
        const c0 = line.charCodeAt(s);
        const isUnset =
          (len === unsetLen && c0 === unset0 && line.startsWith(unset, s)) ||
          (len === emptyLen && c0 === empty0 && line.startsWith(empty, s));
        if (!isUnset) {
          const name = names[i];
          if (name !== null) {
            const v = line.slice(s, e);
            if (extraUnset === null || !extraUnset.has(v)) fields[name] = v;
          } else if (i === timeIndex) {
            const v = line.slice(s, e);
            time = +v;
            if (time !== time) time = parseTime(v); // not a number: ISO 8601 or garbage
            if (Number.isNaN(time)) {
              rejected.push({ file, line: lineNo, reason: `bad number in ${plan.timeColumn}: ${preview(v)}` });
              return null;
            }
          } else if (i === labelIndex) {
            label = this.labelOf(line, s, e);
          }
        }
      }
      i++;
      if (e >= end) break;
      if (i === n) {
        i++; // more cells than columns
        break;
      }
      s = e + delim.length;
    }
    if (i !== n) {
      rejected.push({ file, line: lineNo, reason: `expected ${n} columns, found ${splitRow(line, sep, n).length}` });
      return null;
    }
    return { fields, label, time, origin: { kind: "file", file, line: lineNo, raw: line } };
  }

  /** The label of the cell line[s, e); the last one is checked before slicing a new string. */
  private labelOf(line: string, s: number, e: number): Label | undefined {
    const prev = this.lastLabelRaw;
    if (prev.length === e - s && prev.length > 0 && line.startsWith(prev, s)) return this.lastLabel;
    const raw = line.slice(s, e);
    this.lastLabelRaw = raw;
    this.lastLabel = this.labeler.label(raw);
    return this.lastLabel;
  }

  /** Applies one `#` line. */
  header(line: string): void {
    if (line.startsWith("#separator")) {
      const value = line.slice("#separator".length).trim();
      if (value.length > 0) this.sep = unescapeZeek(value);
      return;
    }
    const cut = line.indexOf(this.sep);
    if (cut < 0) return;
    const key = line.slice(1, cut);
    const rest = line.slice(cut + this.sep.length);
    if (key === "fields") {
      let cols = rest.split(this.sep);
      const last = cols[cols.length - 1];
      if (last.includes(IOT23_JOIN)) cols = [...cols.slice(0, -1), ...last.split(IOT23_JOIN)];
      this.plan = planColumns(
        cols.map((c) => c.trim()),
        this.mapping,
      );
    } else if (key === "unset_field") {
      this.unsetField = rest;
      this.resetLabeler();
    } else if (key === "empty_field") {
      this.emptyField = rest;
      this.resetLabeler();
    }
  }
}

/** Normalized field names of the file's first `#fields` header, or [] when it has none in its first lines. */
export async function zeekFields(options: ReaderOptions): Promise<string[]> {
  const state = new ZeekState(resolveMapping("zeek", options.mapping, options.labelColumn));
  for await (const batch of readLines(options.file, { chunkBytes: options.chunkBytes })) {
    for (const line of batch.lines) {
      if (line.startsWith("#")) {
        state.header(line);
        if (state.plan !== null) return state.plan.fields;
      } else if (line.length > 0) {
        return [];
      }
    }
  }
  return [];
}

export async function* readZeek(options: ReaderOptions): AsyncGenerator<EventBatch> {
  const file = options.file;
  const state = new ZeekState(resolveMapping("zeek", options.mapping, options.labelColumn));
  for await (const batch of readLines(file, { chunkBytes: options.chunkBytes, holdUnterminated: options.holdPartialLine })) {
    const events: NetEvent[] = [];
    const rejected: RejectedRow[] = [];
    const lines = batch.lines;
    let lineNo = batch.first;
    for (let k = 0; k < lines.length; k++, lineNo++) {
      const line = lines[k];
      if (line.length === 0) continue;
      if (line.charCodeAt(0) === 35 /* # */) {
        state.header(line);
        continue;
      }
      const event = state.row(line, file, lineNo, rejected);
      if (event !== null) events.push(event);
    }
    if (events.length > 0 || rejected.length > 0) yield { events, rejected };
  }
}
