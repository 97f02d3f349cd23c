// Seed data for the store: JSON lines and Zeek TSV logs (conn.log and friends).

import type { DelimitedSchema } from "./store/extract.ts";
import type { EventInput } from "./store/store.ts";

export interface SeedDefaults {
  index?: string;
  sourcetype?: string;
  host?: string;
  source?: string;
}

function unescapeZeek(s: string): string {
  return s.replace(/\\x([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * Parses a Zeek TSV log. Each data row becomes one event whose `_raw` is the original line, `_time`
 * its `ts`, and whose fields are extracted at search time under the Zeek names (`id.orig_h`, ...);
 * unset values (`-`) produce no field. Default sourcetype `zeek:conn` (or `zeek:<#path>`).
 */
export function parseZeek(text: string, d: SeedDefaults = {}): EventInput[] {
  let separator = "\t";
  let unset = "-";
  let empty = "(empty)";
  let names: string[] | undefined;
  let path = "conn";
  let schema: DelimitedSchema | undefined;
  const out: EventInput[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const sp = line.indexOf(line.startsWith("#separator") ? " " : separator);
      const key = line.slice(1, sp);
      const val = line.slice(sp + 1);
      if (key === "separator") separator = unescapeZeek(val);
      else if (key === "unset_field") unset = val;
      else if (key === "empty_field") empty = val;
      else if (key === "path") path = val;
      else if (key === "fields") {
        names = val.split(separator);
        schema = { separator, names, unset: [unset, empty] };
      }
      continue;
    }
    if (!names || !schema) throw new Error("Zeek log has no #fields header before its first row");
    const cut = line.indexOf(separator);
    const tsIdx = names.indexOf("ts");
    const ts = Number(tsIdx === 0 ? line.slice(0, cut) : line.split(separator)[tsIdx]);
    out.push({
      time: Number.isFinite(ts) ? ts : 0,
      raw: line,
      schema,
      index: d.index,
      sourcetype: d.sourcetype ?? `zeek:${path}`,
      host: d.host,
      source: d.source ?? `${path}.log`,
    });
  }
  return out;
}

/**
 * Parses JSON lines. A line with `_raw` is a Splunk-export-like record (`_time`, `_indextime`, `index`,
 * `sourcetype`, `host`, `source` taken from it); any other object is itself the `_raw` (the line as
 * written), with `_time` from `_time`, `time`, `ts` or `timestamp` (epoch seconds or ISO), else `now`.
 */
export function parseJsonl(text: string, d: SeedDefaults = {}, nowSeconds = Date.now() / 1000): EventInput[] {
  const out: EventInput[] = [];
  let lineNo = 0;
  for (const line of text.split(/\r?\n/)) {
    lineNo++;
    if (line.trim() === "") continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`line ${lineNo}: not JSON`);
    }
    const s = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
    const t = (v: unknown): number | undefined => {
      if (typeof v === "number") return v;
      if (typeof v === "string") {
        if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
        const ms = Date.parse(v);
        if (!Number.isNaN(ms)) return ms / 1000;
      }
      return undefined;
    };
    if (typeof o._raw === "string") {
      out.push({
        raw: o._raw,
        time: t(o._time) ?? nowSeconds,
        indextime: t(o._indextime),
        index: s("index") ?? d.index,
        sourcetype: s("sourcetype") ?? d.sourcetype ?? "_json",
        host: s("host") ?? d.host,
        source: s("source") ?? d.source,
      });
    } else {
      out.push({
        raw: line,
        time: t(o._time) ?? t(o.time) ?? t(o.ts) ?? t(o.timestamp) ?? nowSeconds,
        index: d.index,
        sourcetype: d.sourcetype ?? "_json",
        host: d.host,
        source: d.source,
      });
    }
  }
  return out;
}

/** Zeek when the text starts with a `#separator`/`#fields` header, else JSON lines. */
export function parseSeed(text: string, d: SeedDefaults = {}, nowSeconds?: number): EventInput[] {
  return /^#(separator|fields)/.test(text) ? parseZeek(text, d) : parseJsonl(text, d, nowSeconds);
}
