// Search-time field extraction, as Splunk does it at search time rather than at index time:
// nothing here runs when an event is stored, so a stored event costs its _raw string and a few numbers.

/** A field value as a search sees it: one string, or several for a multivalue field. */
export type FieldValue = string | string[];
export type Fields = Record<string, FieldValue>;

/**
 * How fields come out of `_raw`:
 * - `auto`: JSON object -> flattened JSON fields (like KV_MODE=json); anything else -> key=value pairs
 *   (like KV_MODE=auto). Real Splunk needs KV_MODE=json in props.conf for JSON on a custom sourcetype;
 *   the emulator assumes that the app ships it.
 * - `json`, `kv`, `none`: only that.
 * - a delimited schema (Zeek TSV): `_raw` is split on the separator and named by the header's `#fields`.
 */
export type ExtractionMode = "auto" | "json" | "kv" | "none";

export interface DelimitedSchema {
  separator: string;
  names: string[];
  /** Values that mean "no value" and produce no field (Zeek's `#unset_field`, usually `-`). */
  unset: string[];
}

/**
 * Flattens a parsed JSON value the way Splunk's JSON extraction names fields: nested keys joined by `.`,
 * array members under `name{}` (multivalue when several). Scalars become strings (`true`, `null`, `0.93`).
 */
export function flattenJson(value: unknown, prefix: string, out: Fields): void {
  if (Array.isArray(value)) {
    for (const v of value) flattenJson(v, `${prefix}{}`, out);
    return;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenJson(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  if (!prefix) return;
  addValue(out, prefix, value === null ? "null" : String(value));
}

function addValue(out: Fields, name: string, v: string): void {
  const prev = out[name];
  if (prev === undefined) out[name] = v;
  else if (Array.isArray(prev)) prev.push(v);
  else out[name] = [prev, v];
}

const KV_RE = /([A-Za-z_][\w.:-]*)=(?:"((?:[^"\\]|\\.)*)"|([^\s,;"]+))/g;

export function extractKv(raw: string, out: Fields): void {
  KV_RE.lastIndex = 0;
  for (let m = KV_RE.exec(raw); m; m = KV_RE.exec(raw)) {
    const name = m[1];
    if (name.startsWith("_") || out[name] !== undefined) continue; // first value wins; internal names are reserved
    out[name] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3];
  }
}

export function extractJson(raw: string, out: Fields): boolean {
  const t = raw.trimStart();
  if (!t.startsWith("{")) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return false;
  flattenJson(parsed, "", out);
  return true;
}

export function extractDelimited(raw: string, schema: DelimitedSchema, out: Fields): void {
  const parts = raw.split(schema.separator);
  const n = Math.min(parts.length, schema.names.length);
  for (let i = 0; i < n; i++) {
    const v = parts[i];
    if (schema.unset.includes(v)) continue;
    out[schema.names[i]] = v;
  }
}

export function extractFields(raw: string, mode: ExtractionMode, schema: DelimitedSchema | undefined, out: Fields): void {
  if (schema) return extractDelimited(raw, schema, out);
  switch (mode) {
    case "none":
      return;
    case "json":
      extractJson(raw, out);
      return;
    case "kv":
      return extractKv(raw, out);
    case "auto":
      if (!extractJson(raw, out)) extractKv(raw, out);
  }
}
