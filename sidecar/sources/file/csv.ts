/**
 * CSV (RFC 4180): the tutorial's `network_traffic.csv`, UNSW-NB15, Splunk CSV exports, and header-less
 * NSL-KDD.
 *
 * Contract:
 * - With a header (formats `csv`, `unsw-nb15`): the first non-empty line names the columns (names trimmed).
 *   Header-less (format `nsl-kdd`, or any mapping with `columns`): the mapping's column list names them, and a
 *   row may have from `minColumns` to `columns.length` cells.
 * - Quoted cells follow RFC 4180: `""` inside quotes is a quote, and a quoted cell may span lines (the
 *   record takes the number of its first line). A quote never closed within `MAX_RECORD_LINES` lines, or by
 *   the end of the file, rejects the record.
 * - BOM and CRLF are handled by `readLines`. Cells in the mapping's `unset` list (empty by default) are
 *   absent fields; other values stay strings, unquoted and untrimmed.
 * - A row with the wrong number of cells or a bad time is rejected with its line number; reading goes on.
 */
import type { Fields, NetEvent, RejectedRow } from "../event.ts";
import { readLines } from "./lines.ts";
import { resolveMapping, type FieldMapping } from "./mappings.ts";
import { Labeler, parseTime, planColumns, preview, type ColumnPlan, type EventBatch, type ReaderOptions } from "./row.ts";

/** A quoted cell may span at most this many lines. */
export const MAX_RECORD_LINES = 1000;

const QUOTE = 34;

/**
 * The cells of one CSV record, or null when it ends inside a quoted cell (the record continues on the next
 * line). Lenient where RFC 4180 is silent: a quote inside an unquoted cell, and text after a closing quote,
 * are kept as they are.
 */
export function parseCsvRecord(text: string): string[] | null {
  if (text.indexOf('"') < 0) return text.split(",");
  const cells: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (i < n && text.charCodeAt(i) === QUOTE) {
      let cell = "";
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return null;
        cell += text.slice(from, q);
        if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
          cell += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      const comma = text.indexOf(",", i);
      const stop = comma < 0 ? n : comma;
      if (stop > i) cell += text.slice(i, stop);
      cells.push(cell);
      if (comma < 0) return cells;
      i = comma + 1;
    } else {
      const comma = text.indexOf(",", i);
      if (comma < 0) {
        cells.push(text.slice(i));
        return cells;
      }
      cells.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

interface CsvLayout {
  header: boolean;
  mapping: FieldMapping;
}

function layoutOf(options: ReaderOptions): CsvLayout {
  const mapping = resolveMapping(options.format, options.mapping, options.labelColumn);
  return { header: mapping.columns === undefined, mapping };
}

/** Normalized field names from the header row (or the mapping's column list), [] for an empty file. */
export async function csvFields(options: ReaderOptions): Promise<string[]> {
  const { header, mapping } = layoutOf(options);
  if (!header) return planColumns(mapping.columns ?? [], mapping).fields;
  for await (const batch of readLines(options.file, { chunkBytes: options.chunkBytes })) {
    for (const line of batch.lines) {
      if (line.trim().length === 0) continue;
      const cells = parseCsvRecord(line);
      return cells === null ? [] : planColumns(cells.map((c) => c.trim()), mapping).fields;
    }
  }
  return [];
}

export async function* readCsv(options: ReaderOptions): AsyncGenerator<EventBatch> {
  const file = options.file;
  const { header, mapping } = layoutOf(options);
  const labeler = new Labeler(mapping);
  const unset = new Set(mapping.unset.filter((u) => u.length > 0));
  const checkUnset = unset.size > 0;
  let plan: ColumnPlan | null = header ? null : planColumns(mapping.columns ?? [], mapping);
  const maxCells = plan?.names.length ?? 0;
  const minCells = header ? 0 : (mapping.minColumns ?? maxCells);
  // A record spanning lines: its text so far, first line number and line count.
  let open = "";
  let openLine = 0;
  let openCount = 0;

  const toEvent = (cells: string[], lineNo: number, raw: string, rejected: RejectedRow[]): NetEvent | null => {
    const p = plan as ColumnPlan;
    const names = p.names;
    const n = cells.length;
    if (header ? n !== names.length : n < minCells || n > maxCells) {
      const want = header || minCells === maxCells ? `${names.length}` : `${minCells} to ${maxCells}`;
      rejected.push({ file, line: lineNo, reason: `expected ${want} columns, found ${n}` });
      return null;
    }
    let time: number | undefined;
    if (p.timeIndex >= 0 && p.timeIndex < n) {
      const t = cells[p.timeIndex];
      if (t.length > 0 && !(checkUnset && unset.has(t))) {
        time = parseTime(t);
        if (Number.isNaN(time)) {
          rejected.push({ file, line: lineNo, reason: `bad time in ${p.timeColumn}: ${preview(t)}` });
          return null;
        }
      }
    }
    const fields: Fields = {};
    for (let i = 0; i < n; i++) {
      const name = names[i];
      if (name === null) continue;
      const v = cells[i];
      if (v.length === 0 || (checkUnset && unset.has(v))) continue;
      fields[name] = v;
    }
    const label = p.labelIndex >= 0 && p.labelIndex < n ? labeler.label(cells[p.labelIndex]) : undefined;
    return { fields, label, time, origin: { kind: "file", file, line: lineNo, raw } };
  };

  for await (const batch of readLines(file, { chunkBytes: options.chunkBytes, holdUnterminated: options.holdPartialLine })) {
    const events: NetEvent[] = [];
    const rejected: RejectedRow[] = [];
    const lines = batch.lines;
    let lineNo = batch.first;
    for (let k = 0; k < lines.length; k++, lineNo++) {
      let line = lines[k];
      let recordLine = lineNo;
      if (openCount > 0) {
        line = `${open}\n${line}`;
        recordLine = openLine;
        openCount++;
      } else if (line.trim().length === 0) {
        continue;
      }
      const cells = parseCsvRecord(line);
      if (cells === null) {
        if (openCount === 0) {
          openLine = lineNo;
          openCount = 1;
        }
        open = line;
        if (openCount >= MAX_RECORD_LINES) {
          rejected.push({ file, line: openLine, reason: `quoted cell not closed within ${MAX_RECORD_LINES} lines` });
          open = "";
          openCount = 0;
        }
        continue;
      }
      open = "";
      openCount = 0;
      if (plan === null) {
        plan = planColumns(
          cells.map((c) => c.trim()),
          mapping,
        );
        continue;
      }
      const event = toEvent(cells, recordLine, line, rejected);
      if (event !== null) events.push(event);
    }
    if (events.length > 0 || rejected.length > 0) yield { events, rejected };
  }
  if (openCount > 0) {
    yield { events: [], rejected: [{ file, line: openLine, reason: "quoted cell not closed by the end of the file" }] };
  }
}
