// Runs a parsed pipeline over the event store, cooperatively (step(budget) processes at most `budget`
// scanned events), so a search over millions of generated events neither blocks the server nor
// materializes its events: a job that ends in event rows keeps only refs and re-applies the row-shaping
// commands (eval, rename, fields, table) when a page is read.

import type { Command, Pipeline, StatsAgg } from "./ast.ts";
import { evalExpr, matchSearch, scalar, toNum, toStr, type Row, type Value } from "./eval.ts";
import { SplError } from "./parse.ts";
import { formatIsoTime } from "./time.ts";
import type { EventStore, EventView } from "../store/store.ts";
import type { KvStore } from "../kvstore.ts";

/** What generating and writing commands reach besides the event store: the KV store and the searching user. */
export interface SplServices {
  /** The user the search runs as (`| rest /services/authentication/current-context`). */
  user?: string;
  kv?: KvStore;
}

/** One result row as the REST API renders it: every value a string (multivalue: array of strings). */
export type OutRow = Record<string, string | string[]>;

export interface SearchWindow {
  earliest?: number;
  latest?: number;
  indexEarliest?: number;
  indexLatest?: number;
}

const GONE = Symbol("gone");
const EVENT_META = ["_bkt", "_cd", "_indextime", "_raw", "_serial", "_si", "_sourcetype", "_time", "host", "index", "linecount", "source", "sourcetype", "splunk_server"];

interface PRow extends Row {
  set(name: string, v: Value): void;
  names(): string[];
}

class EventRow implements PRow {
  private readonly over = new Map<string, Value | typeof GONE>();
  /** Position in the result set, rendered as `_serial`. */
  serial: number | undefined;
  constructor(readonly view: EventView) {}
  get(name: string): Value {
    const o = this.over.get(name);
    if (o !== undefined) return o === GONE ? null : o;
    if (name === "_serial") return this.serial === undefined ? null : String(this.serial);
    const v = this.view.get(name);
    return v === undefined ? null : v;
  }
  set(name: string, v: Value): void {
    this.over.set(name, v === null ? GONE : v);
  }
  names(): string[] {
    const set = new Set<string>(EVENT_META);
    for (const k of Object.keys(this.view.fields())) set.add(k);
    for (const [k, v] of this.over) {
      if (v === GONE) set.delete(k);
      else set.add(k);
    }
    return [...set];
  }
}

class MapRow implements PRow {
  constructor(readonly m = new Map<string, Value>()) {}
  get(name: string): Value {
    return this.m.get(name) ?? null;
  }
  set(name: string, v: Value): void {
    if (v === null) this.m.delete(name);
    else this.m.set(name, v);
  }
  names(): string[] {
    return [...this.m.keys()];
  }
}

const matchers = new WeakMap<string[], (name: string) => boolean>();

/** A name test for `fields`/`table` patterns, compiled once per pattern list: exact names by set lookup, wildcards by regex. */
function globMatcher(patterns: string[]): (name: string) => boolean {
  let m = matchers.get(patterns);
  if (m) return m;
  const exact = new Set(patterns.filter((p) => !p.includes("*")));
  const res = patterns.filter((p) => p.includes("*")).map((p) => new RegExp(`^${p.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`));
  m = res.length === 0 ? (name) => exact.has(name) : (name) => exact.has(name) || res.some((r) => r.test(name));
  matchers.set(patterns, m);
  return m;
}

const TRANSFORMING = new Set(["stats", "sort", "timechart", "top", "outputlookup", "mvexpand"]);
const SHAPING = new Set(["eval", "rename", "fields", "table"]);

/** Applies one streaming command to a row; false drops the row. */
function applyStreaming(cmd: Command, row: PRow, state: { seen?: Set<string>; n?: number }): boolean {
  switch (cmd.k) {
    case "search":
      return matchSearch(cmd.expr, row);
    case "where":
      return evalExpr(cmd.expr, row) === true;
    case "eval":
      for (const a of cmd.assigns) row.set(a.field, evalExpr(a.expr, row));
      return true;
    case "rename":
      for (const p of cmd.pairs) {
        const v = row.get(p.from);
        row.set(p.from, null);
        row.set(p.to, v);
      }
      return true;
    case "fields": {
      const m = globMatcher(cmd.names);
      for (const n of row.names()) {
        const keep = cmd.remove ? !m(n) : m(n) || n.startsWith("_");
        if (!keep) row.set(n, null);
      }
      return true;
    }
    case "table": {
      const m = globMatcher(cmd.names);
      for (const n of row.names()) if (!m(n)) row.set(n, null);
      return true;
    }
    case "dedup": {
      const parts: string[] = [];
      for (const f of cmd.names) {
        const v = toStr(row.get(f));
        if (v === null) return false;
        parts.push(v);
      }
      const key = parts.join("\u0000");
      state.seen ??= new Set();
      if (state.seen.has(key)) return false;
      state.seen.add(key);
      return true;
    }
    case "head":
      state.n = (state.n ?? 0) + 1;
      return state.n <= cmd.n;
    case "bin": {
      const n = toNum(scalar(row.get(cmd.field)));
      if (n === null) {
        row.set(cmd.as, null);
        return true;
      }
      const lo = Math.floor(n / cmd.span) * cmd.span;
      row.set(cmd.as, cmd.field === "_time" ? lo : `${lo}-${lo + cmd.span}`);
      return true;
    }
    default:
      throw new SplError(`internal: '${cmd.k}' is not streaming`);
  }
}

interface AggState {
  by: Value[];
  count: number[];
  sets: (Set<string> | undefined)[];
  nums: number[];
  n: number[];
}

class StatsAggregator {
  private readonly groups = new Map<string, AggState>();
  constructor(readonly cmd: { aggs: StatsAgg[]; by: string[] }) {}
  add(row: Row): void {
    const by: Value[] = [];
    for (const f of this.cmd.by) {
      const v = scalar(row.get(f));
      if (v === null) return; // Splunk drops rows missing a by-field
      by.push(v);
    }
    const key = by.map((v) => toStr(v)).join("\u0000");
    let g = this.groups.get(key);
    if (!g) {
      const k = this.cmd.aggs.length;
      g = { by, count: new Array<number>(k).fill(0), sets: new Array(k).fill(undefined), nums: new Array<number>(k).fill(NaN), n: new Array<number>(k).fill(0) };
      this.groups.set(key, g);
    }
    this.cmd.aggs.forEach((a, i) => {
      const g2 = g;
      if (a.fn === "count" && !a.field) {
        g2.count[i]++;
        return;
      }
      const raw = row.get(a.field as string);
      if (raw === null) return;
      const vals = Array.isArray(raw) ? raw : [raw];
      for (const v of vals) {
        switch (a.fn) {
          case "count": g2.count[i]++; break;
          case "dc": case "values": (g2.sets[i] ??= new Set()).add(toStr(v) ?? ""); break;
          default: {
            const n = toNum(v);
            if (n === null) break;
            g2.n[i]++;
            const cur = g2.nums[i];
            if (a.fn === "sum" || a.fn === "avg") g2.nums[i] = Number.isNaN(cur) ? n : cur + n;
            else if (a.fn === "min") g2.nums[i] = Number.isNaN(cur) || n < cur ? n : cur;
            else if (a.fn === "max") g2.nums[i] = Number.isNaN(cur) || n > cur ? n : cur;
          }
        }
      }
    });
  }
  rows(): MapRow[] {
    if (this.groups.size === 0 && this.cmd.by.length === 0) {
      const r = new MapRow();
      this.cmd.aggs.forEach((a) => {
        if (a.fn === "count" || a.fn === "dc") r.set(a.as, 0);
      });
      return [r];
    }
    const gs = [...this.groups.values()];
    gs.sort((x, y) => {
      for (let i = 0; i < x.by.length; i++) {
        const c = compareValues(x.by[i], y.by[i]);
        if (c !== 0) return c;
      }
      return 0;
    });
    return gs.map((g) => {
      const r = new MapRow();
      this.cmd.by.forEach((f, i) => r.set(f, g.by[i]));
      this.cmd.aggs.forEach((a, i) => {
        switch (a.fn) {
          case "count": r.set(a.as, g.count[i]); break;
          case "dc": r.set(a.as, g.sets[i]?.size ?? 0); break;
          case "values": r.set(a.as, g.sets[i] ? [...g.sets[i]].sort() : null); break;
          case "avg": r.set(a.as, g.n[i] === 0 ? null : g.nums[i] / g.n[i]); break;
          default: r.set(a.as, Number.isNaN(g.nums[i]) ? null : g.nums[i]);
        }
      });
      return r;
    });
  }
}

function compareValues(a: Value, b: Value): number {
  const na = toNum(a);
  const nb = toNum(b);
  if (na !== null && nb !== null) return na - nb;
  const x = toStr(a) ?? "";
  const y = toStr(b) ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}

function sortRows(rows: PRow[], cmd: Extract<Command, { k: "sort" }>): PRow[] {
  const sorted = [...rows].sort((r1, r2) => {
    for (const k of cmd.keys) {
      const v1 = r1.get(k.field);
      const v2 = r2.get(k.field);
      if (v1 === null && v2 === null) continue;
      if (v1 === null) return 1;
      if (v2 === null) return -1;
      const c = compareValues(v1, v2);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  });
  return sorted.slice(0, cmd.limit);
}

/** `timechart`: one row per time bucket (gaps filled), one column per aggregation or per split-by value. */
function timechart(cmd: Extract<Command, { k: "timechart" }>, rows: PRow[]): PRow[] {
  const times = rows.map((r) => toNum(scalar(r.get("_time")))).filter((t): t is number => t !== null);
  if (times.length === 0) return [];
  const min = Math.min(...times);
  const max = Math.max(...times);
  const span = cmd.span ?? [60, 300, 600, 1800, 3600, 10800, 43200, 86400, 604800].find((s) => (max - min) / s <= 100) ?? 2_592_000;
  const bucketOf = (t: number) => Math.floor(t / span) * span;
  const agg = new StatsAggregator({ aggs: cmd.aggs, by: cmd.by ? ["_tc_bucket", cmd.by] : ["_tc_bucket"] });
  for (const r of rows) {
    const t = toNum(scalar(r.get("_time")));
    if (t === null) continue;
    const w = new MapRow(new Map(r.names().map((n) => [n, r.get(n)])));
    w.set("_tc_bucket", bucketOf(t));
    if (cmd.by && w.get(cmd.by) === null) w.set(cmd.by, "NULL");
    agg.add(w);
  }
  const grouped = agg.rows();
  let series: string[];
  if (cmd.by) {
    const totals = new Map<string, number>();
    const a0 = cmd.aggs[0].as;
    for (const g of grouped) {
      const k = toStr(g.get(cmd.by)) ?? "NULL";
      totals.set(k, (totals.get(k) ?? 0) + (toNum(scalar(g.get(a0))) ?? 0));
    }
    series = [...totals.keys()].sort((x, y) => (totals.get(y) ?? 0) - (totals.get(x) ?? 0) || (x < y ? -1 : 1));
    if (cmd.limit > 0 && series.length > cmd.limit) series = [...series.slice(0, cmd.limit), "OTHER"];
  } else series = cmd.aggs.map((a) => a.as);
  const countLike = cmd.aggs.every((a) => a.fn === "count" || a.fn === "dc");
  const out: PRow[] = [];
  for (let b = bucketOf(min); b <= max; b += span) {
    const r = new MapRow(new Map([["_time", b as Value]]));
    for (const sName of series) r.set(sName, countLike ? 0 : null);
    out.push(r);
  }
  const byBucket = new Map(out.map((r) => [toNum(scalar(r.get("_time"))), r]));
  const kept = new Set(series);
  for (const g of grouped) {
    const row = byBucket.get(toNum(scalar(g.get("_tc_bucket"))));
    if (!row) continue;
    if (cmd.by) {
      let k = toStr(g.get(cmd.by)) ?? "NULL";
      if (!kept.has(k)) k = "OTHER";
      const v = toNum(scalar(g.get(cmd.aggs[0].as)));
      const prev = toNum(scalar(row.get(k)));
      row.set(k, k === "OTHER" && prev !== null && v !== null ? prev + v : g.get(cmd.aggs[0].as));
    } else for (const a of cmd.aggs) row.set(a.as, g.get(a.as));
  }
  return out;
}

/** `top`: the most common values of the fields (per by-group), with count and percent, most common first. */
function top(cmd: Extract<Command, { k: "top" }>, rows: PRow[]): PRow[] {
  const groups = new Map<string, { by: Value[]; total: number; counts: Map<string, { vals: Value[]; n: number }> }>();
  for (const r of rows) {
    const by = cmd.by.map((f) => scalar(r.get(f)));
    if (by.some((v) => v === null)) continue;
    const vals = cmd.fields.map((f) => scalar(r.get(f)));
    if (vals.some((v) => v === null)) continue;
    const gk = by.map((v) => toStr(v)).join("\u0000");
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = { by, total: 0, counts: new Map() }));
    g.total++;
    const vk = vals.map((v) => toStr(v)).join("\u0000");
    const c = g.counts.get(vk) ?? { vals, n: 0 };
    c.n++;
    g.counts.set(vk, c);
  }
  const out: PRow[] = [];
  for (const g of groups.values()) {
    const sorted = [...g.counts.values()].sort((x, y) => y.n - x.n).slice(0, cmd.limit);
    for (const c of sorted) {
      const r = new MapRow();
      cmd.by.forEach((f, i) => r.set(f, g.by[i]));
      cmd.fields.forEach((f, i) => r.set(f, c.vals[i]));
      r.set("count", c.n);
      r.set("percent", Number(((100 * c.n) / g.total).toFixed(6)));
      out.push(r);
    }
  }
  return out;
}

/** Values a lookup record field takes in a row (`_user` is the KV store's, not a result field). */
function recordRow(rec: Record<string, unknown>): MapRow {
  const r = new MapRow();
  for (const [k, v] of Object.entries(rec)) {
    if (k === "_user" || v === null || v === undefined) continue;
    r.set(k, Array.isArray(v) ? v.map(String) : typeof v === "number" ? v : String(v));
  }
  return r;
}

function outputlookup(cmd: Extract<Command, { k: "outputlookup" }>, rows: PRow[], services: SplServices | undefined): void {
  const kv = services?.kv;
  if (!kv) throw new SplError(`Error in 'outputlookup' command: The lookup table '${cmd.name}' does not exist or is not available.`);
  let coll: string;
  try {
    coll = kv.collectionOf(cmd.name);
  } catch (e) {
    throw new SplError(`Error in 'outputlookup' command: ${(e as Error).message}`);
  }
  if (!cmd.append) kv.remove(coll);
  for (const r of rows) {
    const rec: Record<string, unknown> = {};
    for (const n of r.names()) {
      if (n.startsWith("_") && n !== "_key") continue;
      const v = r.get(n);
      if (v !== null) rec[n] = v;
    }
    const key = cmd.keyField ? toStr(scalar(r.get(cmd.keyField))) : typeof rec._key === "string" ? rec._key : null;
    if (key) kv.upsert(coll, key, rec, services?.user);
    else kv.insert(coll, rec, services?.user);
  }
}

function applyArray(cmds: Command[], input: PRow[], services?: SplServices): PRow[] {
  let rows = input;
  for (const cmd of cmds) {
    if (cmd.k === "timechart") {
      rows = timechart(cmd, rows);
    } else if (cmd.k === "top") {
      rows = top(cmd, rows);
    } else if (cmd.k === "outputlookup") {
      outputlookup(cmd, rows, services);
    } else if (cmd.k === "mvexpand") {
      rows = rows.flatMap((r) => {
        const v = r.get(cmd.field);
        if (v === null) return [];
        if (!Array.isArray(v)) return [r];
        return v.map((x) => {
          const c = new MapRow(new Map(r.names().map((n) => [n, r.get(n)])));
          c.set(cmd.field, x);
          return c;
        });
      });
    } else if (cmd.k === "stats") {
      const agg = new StatsAggregator(cmd);
      for (const r of rows) agg.add(r);
      rows = agg.rows();
    } else if (cmd.k === "sort") {
      rows = sortRows(rows, cmd);
    } else {
      const state = {};
      rows = rows.filter((r) => applyStreaming(cmd, r, state));
    }
  }
  return rows;
}

function generate(g: NonNullable<Pipeline["generator"]>, now: number, services: SplServices | undefined): PRow[] {
  switch (g.k) {
    case "makeresults": {
      const gen: PRow[] = [];
      for (let i = 0; i < g.count; i++) gen.push(new MapRow(new Map([["_time", Math.floor(now)]])));
      return gen;
    }
    case "inputlookup": {
      const kv = services?.kv;
      let coll: string | undefined;
      try {
        coll = kv?.collectionOf(g.name);
      } catch {
        coll = undefined;
      }
      if (!kv || coll === undefined) throw new SplError(`Error in 'inputlookup' command: The lookup table '${g.name}' requires a .csv or KV store lookup definition.`);
      return kv.list(coll).map(recordRow);
    }
    case "rest": {
      const path = g.path.replace(/^\/servicesNS\/[^/]+\/[^/]+/, "/services").replace(/\/$/, "");
      if (path !== "/services/authentication/current-context") throw new SplError(`Error in 'rest' command: the emulator serves only /services/authentication/current-context, not ${g.path}.`);
      const user = services?.user ?? "nobody";
      return [new MapRow(new Map<string, Value>([["title", user], ["username", user], ["realname", ""], ["roles", ["admin"]], ["splunk_server", "emulator"]]))];
    }
  }
}

/** Field order hint for a pipeline's output: an explicit list (table/stats) or null (ASCII sort). */
export function fieldOrder(cmds: Command[]): string[] | null {
  let order: string[] | null = null;
  for (const c of cmds) {
    if (c.k === "table") order = [...c.names];
    else if (c.k === "stats") order = [...c.by, ...c.aggs.map((a) => a.as)];
    else if (c.k === "top") order = [...c.by, ...c.fields, "count", "percent"];
    else if (c.k === "timechart") order = c.by ? null : ["_time", ...c.aggs.map((a) => a.as)];
    else if (order && c.k === "eval") {
      for (const a of c.assigns) if (!order.includes(a.field)) order.push(a.field);
    } else if (order && c.k === "rename") {
      order = order.map((n) => c.pairs.find((p) => p.from === n)?.to ?? n);
    } else if (order && c.k === "fields") {
      const m = globMatcher(c.names);
      const rm = c.remove;
      order = order.filter((n) => (rm ? !m(n) : m(n)));
    }
  }
  return order;
}

/** Renders a row as the REST API does; `_time` as ISO 8601, `_indextime` as epoch seconds. */
function render(row: PRow, serial: number | undefined): OutRow {
  if (row instanceof EventRow) row.serial = serial;
  const out: OutRow = {};
  for (const n of row.names()) {
    const v = row.get(n);
    if (v === null) continue;
    if (n === "_time" && typeof v === "number") out[n] = formatIsoTime(v);
    else if (n === "_indextime" && typeof v === "number") out[n] = String(Math.floor(v));
    else if (Array.isArray(v)) out[n] = v.length === 1 ? v[0] : v;
    else out[n] = toStr(v) ?? "";
  }
  return out;
}

const EVENT_META_SET = new Set(EVENT_META);

/**
 * `names => visible` when every shaping command only hides fields (`fields`, `fields -`, `table`): then a page
 * can render each event straight from its view. Undefined when one of them computes or renames a field.
 */
function visibilityOf(shaping: Command[]): ((name: string) => boolean) | undefined {
  const tests: ((name: string) => boolean)[] = [];
  for (const c of shaping) {
    if (c.k === "fields") {
      const m = globMatcher(c.names);
      tests.push(c.remove ? (n) => !m(n) : (n) => m(n) || n.startsWith("_"));
    } else if (c.k === "table") tests.push(globMatcher(c.names));
    else return undefined;
  }
  return (n) => tests.every((t) => t(n));
}

/**
 * Calls `put` with each name and rendered value of what `render(new EventRow(view), serial)` gives after
 * hide-only shaping, in the same order, without the row's bookkeeping.
 */
function eachRendered(view: EventView, serial: number, visible: (name: string) => boolean, put: (name: string, v: string | string[]) => void): void {
  for (const n of EVENT_META) {
    if (!visible(n)) continue;
    const v = n === "_serial" ? String(serial) : view.get(n);
    if (v === undefined || v === null) continue;
    if (n === "_time" && typeof v === "number") put(n, formatIsoTime(v));
    else if (n === "_indextime" && typeof v === "number") put(n, String(Math.floor(v)));
    else if (Array.isArray(v)) put(n, v.length === 1 ? v[0] : v);
    else put(n, toStr(v) ?? "");
  }
  const fields = view.fields();
  for (const n in fields) {
    if (EVENT_META_SET.has(n) || !visible(n)) continue;
    const v = fields[n];
    put(n, Array.isArray(v) && v.length === 1 ? v[0] : v);
  }
}

function renderEvent(view: EventView, serial: number, visible: (name: string) => boolean): OutRow {
  const out: OutRow = {};
  eachRendered(view, serial, visible, (n, v) => (out[n] = v));
  return out;
}

/** `"name":` as JSON, per field name; null for names an object would order first (array indexes). */
const jsonKeys = new Map<string, string | null>();
function jsonKey(name: string): string | null {
  let k = jsonKeys.get(name);
  if (k === undefined) {
    k = /^(0|[1-9]\d*)$/.test(name) && Number(name) < 2 ** 32 - 1 ? null : `${JSON.stringify(name)}:`;
    if (jsonKeys.size < 100_000) jsonKeys.set(name, k);
  }
  return k;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(s)`, quicker for the usual string that needs no escape. */
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** A page of event rows as JSON text, one string per row, and the names they hold. */
export interface JsonPage {
  rows: string[];
  names: Set<string>;
}

/** Names of a page's fields in output order. */
export function pageFields(rows: OutRow[], order: string[] | null): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return orderFields(seen, order);
}

/** The names of a page in output order: `order` first, then the others sorted. */
export function orderFields(seen: Set<string>, order: string[] | null): string[] {
  const head = order ? [...order] : [];
  const rest = [...seen].filter((n) => !head.includes(n)).sort();
  return order ? [...head, ...rest] : rest;
}

export interface ExecOptions {
  store: EventStore;
  pipeline: Pipeline;
  window: SearchWindow;
  /** Index names to scan. */
  indexes: string[];
  /** Results kept at most (job `max_count`); Infinity for export. */
  maxCount: number;
  /** Export: receives rows as they are final (event searches stream; transforming searches at the end). */
  onRows?: (rows: OutRow[]) => void;
  now?: () => number;
  services?: SplServices;
}

/** A running search. Call step() until it returns true. */
export class Execution {
  /** Events that matched the base search. */
  eventCount = 0;
  /** Events read from the store (index and time window matched). */
  scanCount = 0;
  done = false;
  readonly order: string[] | null;

  private readonly scan: Iterator<number> | undefined;
  private readonly stageA: Command[];
  private readonly stageB: Command[];
  private readonly states: { seen?: Set<string>; n?: number }[];
  private readonly refs: number[] = [];
  private rows: PRow[] | undefined;
  private readonly stats: StatsAggregator | undefined;
  private readonly buffer: PRow[] = [];
  private emitted = 0;
  private readonly hasHead: boolean;
  /** Stage A commands applied while scanning: trailing row-shaping ones are left to `page()` when only refs are kept. */
  private readonly scanCommands: number;

  constructor(private readonly o: ExecOptions) {
    const cmds = o.pipeline.commands;
    const t = cmds.findIndex((c) => TRANSFORMING.has(c.k));
    this.stageA = t < 0 ? cmds : cmds.slice(0, t);
    this.stageB = t < 0 ? [] : cmds.slice(t);
    this.states = this.stageA.map(() => ({}));
    let n = this.stageA.length;
    // A job that keeps refs re-applies the shaping commands when a page is read; those that no filter follows
    // cannot drop a row, so applying them while scanning too would only be thrown away.
    if (this.stageB.length === 0 && !o.onRows) while (n > 0 && SHAPING.has(this.stageA[n - 1].k)) n--;
    this.scanCommands = n;
    this.hasHead = this.stageA.some((c) => c.k === "head");
    this.order = fieldOrder(cmds);
    if (o.pipeline.generator) {
      const gen = generate(o.pipeline.generator, (o.now ?? Date.now)() / 1000, o.services);
      this.rows = applyArray(cmds, gen, o.services).slice(0, o.maxCount);
      this.done = true;
      this.emitRows(this.rows, false);
      return;
    }
    const first = this.stageB[0];
    if (first?.k === "stats") this.stats = new StatsAggregator(first);
    this.scan = o.store.scan({ indexes: o.indexes, ...o.window });
  }

  /** Rows kept so far (events) or final rows (transforming). */
  get resultCount(): number {
    return this.rows ? this.rows.length : this.refs.length;
  }

  /** True when the job ends in event rows (results == events). */
  get isEventSearch(): boolean {
    return this.stageB.length === 0 && !this.o.pipeline.generator;
  }

  private emitRows(rows: PRow[], events: boolean): void {
    if (!this.o.onRows || rows.length === 0) return;
    const out = rows.map((r) => render(r, events ? this.emitted++ : undefined));
    this.o.onRows(out);
  }

  /** Processes up to `budget` scanned events; returns true when the search is complete. */
  step(budget: number): boolean {
    if (this.done || !this.scan) return true;
    const { store, pipeline } = this.o;
    const streamed: PRow[] = [];
    let stop = false;
    for (let i = 0; i < budget; i++) {
      const n = this.scan.next();
      if (n.done) {
        stop = true;
        break;
      }
      this.scanCount++;
      const row = new EventRow(store.view(n.value));
      if (!matchSearch(pipeline.base, row)) continue;
      this.eventCount++;
      let keep = true;
      for (let c = 0; c < this.scanCommands && keep; c++) keep = applyStreaming(this.stageA[c], row, this.states[c]);
      if (keep) {
        if (this.stats) this.stats.add(row);
        else if (this.stageB.length > 0) this.buffer.push(row);
        else {
          if (this.refs.length < this.o.maxCount) this.refs.push(row.view.ref);
          if (this.o.onRows) streamed.push(row);
        }
      }
      // Nothing passes a saturated head again: stop scanning.
      if (this.hasHead && this.headSaturated()) {
        stop = true;
        break;
      }
    }
    this.emitRows(streamed, true);
    if (stop) this.finish();
    return this.done;
  }

  private headSaturated(): boolean {
    return this.stageA.some((c, i) => c.k === "head" && (this.states[i].n ?? 0) >= c.n);
  }

  /** Stops scanning and completes with what has been found (job `finalize`). */
  finalize(): void {
    if (!this.done) this.finish();
  }

  private finish(): void {
    if (this.stageB.length > 0) {
      const start = this.stats ? this.stats.rows() : this.buffer;
      const rest = this.stats ? this.stageB.slice(1) : this.stageB;
      this.rows = applyArray(rest, start, this.o.services).slice(0, this.o.maxCount);
      this.emitRows(this.rows, false);
    }
    this.done = true;
  }

  /** Runs to completion, yielding to the event loop every `budget` events. */
  async runToEnd(budget = 20000, shouldStop: () => boolean = () => false): Promise<void> {
    while (!this.step(budget)) {
      if (shouldStop()) return;
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** A page of results as rendered rows. For event searches rows are rebuilt from refs. */
  page(offset: number, count: number): OutRow[] {
    if (this.rows) return this.rows.slice(offset, offset + count).map((r) => render(r, undefined));
    const shaping = this.stageA.filter((c) => SHAPING.has(c.k));
    const out: OutRow[] = [];
    const end = Math.min(this.refs.length, offset + count);
    const visible = visibilityOf(shaping);
    if (visible) {
      for (let i = offset; i < end; i++) out.push(renderEvent(this.o.store.view(this.refs[i]), i, visible));
      return out;
    }
    for (let i = offset; i < end; i++) {
      const row = new EventRow(this.o.store.view(this.refs[i]));
      for (const c of shaping) applyStreaming(c, row, {});
      out.push(render(row, i));
    }
    return out;
  }

  /**
   * What `JSON.stringify` gives for each row of `page(offset, count)` restricted to the fields `only` names
   * (the REST `f` parameter, as `renderResults` restricts), built without the row objects, when the job ends
   * in event rows whose shaping only hides fields (`fields`, `table`); undefined otherwise.
   */
  pageJson(offset: number, count: number, only: string[] = []): JsonPage | undefined {
    if (this.rows) return undefined;
    const shaped = visibilityOf(this.stageA.filter((c) => SHAPING.has(c.k)));
    if (!shaped) return undefined;
    // The `f` parameter: only the fields matching one of its patterns (`*` or none: all of them).
    const f = only.length === 0 || only.includes("*") ? undefined : globMatcher(only);
    // Rows of a page share their names: each name is tested once.
    const seen = new Map<string, boolean>();
    const visible = (n: string): boolean => {
      let v = seen.get(n);
      if (v === undefined) {
        v = shaped(n) && (f === undefined || f(n));
        seen.set(n, v);
      }
      return v;
    };
    const rows: string[] = [];
    const names = new Set<string>();
    const end = Math.min(this.refs.length, offset + count);
    for (let i = offset; i < end; i++) {
      const view = this.o.store.view(this.refs[i]);
      // Members joined once per row: a flat string, not a rope of pieces that would outlive the page.
      const members: string[] = [];
      let plain = true;
      eachRendered(view, i, visible, (n, v) => {
        const k = jsonKey(n);
        if (k === null) plain = false;
        names.add(n);
        members.push(k + (typeof v === "string" ? jsonString(v) : JSON.stringify(v)));
      });
      rows.push(plain ? `{${members.join(",")}}` : JSON.stringify(renderEvent(view, i, visible)));
    }
    return { rows, names };
  }

  /** The events behind an event search (the `/events` endpoint); empty for transforming searches. */
  eventsPage(offset: number, count: number): OutRow[] {
    return this.isEventSearch ? this.page(offset, count) : [];
  }
}
