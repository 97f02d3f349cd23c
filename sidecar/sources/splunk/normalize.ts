/**
 * One Splunk result row (`output_mode=json`: every value a string, multivalue fields arrays) → `NetEvent`.
 *
 * - Field names: CIM names are kept; Zeek conn names become CIM names through `ZEEK_RENAME` (the same table
 *   as the file source), unless the row already has the CIM field; the search's `field_map` (normalized
 *   name → Splunk name) is applied last and wins. A renamed field does not also stay under its old name.
 * - Values stay strings (featurize coerces them); a multivalue field keeps its first value; `""`, `-` and
 *   `(empty)` mean unset and the field is left out (NetEvent's contract).
 * - Splunk's own fields (`_*`, `index`, `sourcetype`, `host`, `source`, `splunk_server`, `linecount`,
 *   `punct`, `date_*`, ...) go to `origin`, not `fields`.
 * - A row without `_raw`, `index` or a readable `_time` cannot be identified (`event_id` is
 *   sha256(index|_raw)) and is rejected with a reason.
 */
import type { Fields, NetEvent, RejectedRow } from "../event.ts";
import { ZEEK_RENAME } from "../file/mappings.ts";

export type SplunkRow = Record<string, string | string[] | null | undefined>;

/** Splunk's default fields, never features. */
const SPLUNK_FIELDS = new Set([
  "index",
  "sourcetype",
  "host",
  "source",
  "splunk_server",
  "splunk_server_group",
  "linecount",
  "punct",
  "eventtype",
  "tag",
  "timestartpos",
  "timeendpos",
]);

/** `""`, `-` and `(empty)` mean unset. */
function unset(s: string): boolean {
  return s === "" || s === "-" || s === "(empty)";
}

/** The fields `normalizeRow` needs besides the features; the search's `| fields` always lists them. */
export const ROW_META_FIELDS = ["_raw", "_time", "_indextime", "_cd", "index", "sourcetype", "host", "source"] as const;

function isSplunkField(name: string): boolean {
  return name.charCodeAt(0) === 95 /* _ */ || name.startsWith("date_") || name.startsWith("tag::") || SPLUNK_FIELDS.has(name);
}

/** The Zeek → CIM renames that change a name, in table order. */
const RENAMES = Object.entries(ZEEK_RENAME).filter(([zeek, cim]) => zeek !== cim && !isSplunkField(zeek));
const RENAMED = new Set(RENAMES.map(([zeek]) => zeek));
/** A rename whose target another rename reads (none in the table): then renames apply one after another. */
const CHAINED = RENAMES.some(([, cim]) => RENAMED.has(cim));

function scalar(v: string | string[] | null | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s === null || s === undefined ? undefined : s;
}

/**
 * `_time` as Splunk renders it in JSON (`2024-05-28T09:59:58.000+02:00`, any number of fraction digits) or as
 * epoch seconds; undefined when it is neither. Sub-millisecond digits are kept.
 */
export function parseSplunkTime(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!m) return undefined;
  const tz = m[4] === undefined ? "Z" : m[4] === "Z" ? "Z" : m[4].includes(":") ? m[4] : `${m[4].slice(0, 3)}:${m[4].slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${tz}`);
  if (Number.isNaN(ms)) return undefined;
  return ms / 1000 + (m[3] ? Number(`0${m[3]}`) : 0);
}

/** The Splunk field names to request for the normalized `fields` (CIM name, its Zeek name, its `field_map` name). */
export function splunkFieldNames(fields: readonly string[], fieldMap: Readonly<Record<string, string>>): string[] {
  const byCim = new Map<string, string[]>();
  for (const [zeek, cim] of Object.entries(ZEEK_RENAME)) byCim.set(cim, [...(byCim.get(cim) ?? []), zeek]);
  const out = new Set<string>();
  for (const f of fields) {
    out.add(f);
    for (const z of byCim.get(f) ?? []) out.add(z);
    const mapped = fieldMap[f];
    if (mapped !== undefined) out.add(mapped);
  }
  return [...out];
}

export type Normalized = { event: NetEvent } | { rejected: RejectedRow };

/** Turns one result row into an event, or says why it cannot. `offset` is the row's result offset. */
export function normalizeRow(row: SplunkRow, fieldMap: Readonly<Record<string, string>>, search: string, offset: number): Normalized {
  const raw = scalar(row._raw);
  const timeText = scalar(row._time);
  const time = parseSplunkTime(timeText);
  const index = scalar(row.index);
  const reject = (reason: string): Normalized => ({ rejected: { file: `splunk:${search}`, line: offset, reason } });
  if (raw === undefined) return reject("the row has no _raw");
  if (timeText === undefined) return reject("the row has no _time");
  if (time === undefined) return reject(`_time ${JSON.stringify(timeText.slice(0, 40))} is not a time`);
  if (index === undefined) return reject("the row has no index");

  // Built without deleting keys (an object that loses keys becomes slow for every later read): the fields
  // that keep their name in row order, then each renamed Zeek field under its CIM name unless already there.
  const fields: Fields = {};
  for (const k in row) {
    if ((!CHAINED && RENAMED.has(k)) || isSplunkField(k)) continue;
    const s = scalar(row[k]);
    if (s === undefined || unset(s)) continue;
    fields[k] = s;
  }
  for (const [zeek, cim] of RENAMES) {
    if (CHAINED) {
      if (!(zeek in fields)) continue;
      if (fields[cim] === undefined) fields[cim] = fields[zeek];
      delete fields[zeek];
      continue;
    }
    const s = scalar(row[zeek]);
    if (s === undefined || unset(s) || fields[cim] !== undefined) continue;
    fields[cim] = s;
  }
  for (const name in fieldMap) {
    const splunkName = fieldMap[name]!;
    const s = scalar(row[splunkName]);
    if (s === undefined || unset(s)) continue;
    fields[name] = s;
    if (splunkName !== name) delete fields[splunkName];
  }
  return {
    event: {
      fields,
      time,
      origin: {
        kind: "splunk",
        index,
        sourcetype: scalar(row.sourcetype) ?? "",
        host: scalar(row.host) ?? "",
        source: scalar(row.source) ?? "",
        cd: scalar(row._cd) ?? "",
        time,
        raw,
      },
    },
  };
}
