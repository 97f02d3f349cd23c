// Evaluation of search expressions and eval/where expressions over rows.
// Semantics follow Splunk where known: search-command values match case-insensitively with `*`
// wildcards, `f!=v` needs the field to exist (unlike `NOT f=v`), eval on a missing field gives null,
// `.` concatenates (null if either side is null), strings that look like numbers act as numbers.

import { createHash } from "node:crypto";
import type { Expr, SearchExpr } from "./ast.ts";
import { SplError } from "./parse.ts";

/** A value inside a pipeline. Multivalue fields are string arrays. */
export type Value = string | number | boolean | null | string[];

export interface Row {
  get(name: string): Value;
}

const NUM_RE = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

export function scalar(v: Value): string | number | boolean | null {
  return Array.isArray(v) ? (v.length > 0 ? v[0] : null) : v;
}

export function toNum(v: Value): number | null {
  const s = scalar(v);
  if (typeof s === "number") return s;
  if (typeof s === "string" && NUM_RE.test(s)) return Number(s);
  return null;
}

/** Splunk's rendering of a value as a result string. */
export function toStr(v: Value): string | null {
  const s = scalar(v);
  if (s === null) return null;
  if (typeof s === "number") return Number.isFinite(s) ? String(s) : null;
  if (typeof s === "boolean") return s ? "true" : "false";
  return s;
}

const wildcardCache = new Map<string, RegExp>();
function wildcard(pattern: string, flags: string, anchored = true): RegExp {
  const key = `${flags}|${anchored ? 1 : 0}|${pattern}`;
  let re = wildcardCache.get(key);
  if (!re) {
    const body = pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
    re = new RegExp(anchored ? `^${body}$` : `(?:^|[^A-Za-z0-9_])${body}(?:$|[^A-Za-z0-9_])`, flags);
    if (wildcardCache.size > 10000) wildcardCache.clear();
    wildcardCache.set(key, re);
  }
  return re;
}

function values(v: Value): string[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v;
  return [toStr(v) ?? ""];
}

function cmpValues(a: string, b: string): number {
  const na = NUM_RE.test(a) ? Number(a) : NaN;
  const nb = NUM_RE.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when the row satisfies a search-command expression. */
export function matchSearch(e: SearchExpr, row: Row): boolean {
  switch (e.k) {
    case "true":
      return true;
    case "and":
      return e.items.every((i) => matchSearch(i, row));
    case "or":
      return e.items.some((i) => matchSearch(i, row));
    case "not":
      return !matchSearch(e.item, row);
    case "term": {
      const raw = toStr(row.get("_raw")) ?? "";
      return wildcard(e.value, "i", false).test(raw);
    }
    case "cmp": {
      const vs = values(row.get(e.field));
      switch (e.op) {
        case "=":
          if (e.value === "*") return vs.length > 0;
          return vs.some((v) => wildcard(e.value, "i").test(v));
        case "!=":
          return vs.length > 0 && !vs.some((v) => wildcard(e.value, "i").test(v));
        case "<": return vs.some((v) => cmpValues(v, e.value) < 0);
        case ">": return vs.some((v) => cmpValues(v, e.value) > 0);
        case "<=": return vs.some((v) => cmpValues(v, e.value) <= 0);
        case ">=": return vs.some((v) => cmpValues(v, e.value) >= 0);
      }
    }
  }
}

function hash(alg: string, v: Value): Value {
  const s = toStr(v);
  return s === null ? null : createHash(alg).update(s, "utf8").digest("hex");
}

function likeRe(pattern: string): RegExp {
  const body = pattern.replace(/[.+?^${}()|[\]\\*]/g, "\\$&").replace(/%/g, ".*").replace(/_/g, ".");
  return new RegExp(`^${body}$`, "s");
}

function compare(op: string, a: Value, b: Value): Value {
  const sa = scalar(a);
  const sb = scalar(b);
  if (sa === null || sb === null) return null;
  const na = toNum(sa);
  const nb = toNum(sb);
  let c: number;
  if (na !== null && nb !== null) c = na - nb;
  else {
    const x = toStr(sa) ?? "";
    const y = toStr(sb) ?? "";
    c = x < y ? -1 : x > y ? 1 : 0;
  }
  switch (op) {
    case "==": return c === 0;
    case "!=": return c !== 0;
    case "<": return c < 0;
    case ">": return c > 0;
    case "<=": return c <= 0;
    default: return c >= 0;
  }
}

function truthy(v: Value): boolean | null {
  const s = scalar(v);
  return s === null ? null : typeof s === "boolean" ? s : null;
}

function arith(op: string, a: Value, b: Value): Value {
  const na = toNum(a);
  const nb = toNum(b);
  if (op === "+" && (na === null || nb === null)) {
    const x = toStr(a);
    const y = toStr(b);
    return x === null || y === null ? null : x + y;
  }
  if (na === null || nb === null) return null;
  switch (op) {
    case "+": return na + nb;
    case "-": return na - nb;
    case "*": return na * nb;
    case "/": return nb === 0 ? null : na / nb;
    default: return nb === 0 ? null : na % nb;
  }
}

function argCount(fn: string, args: Expr[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    throw new SplError(`Error in 'eval' command: The arguments to the '${fn}' function are invalid.`);
  }
}

export function evalExpr(e: Expr, row: Row): Value {
  switch (e.k) {
    case "num": return e.v;
    case "str": return e.v;
    case "field": return row.get(e.name);
    case "neg": {
      const n = toNum(evalExpr(e.e, row));
      return n === null ? null : -n;
    }
    case "not": {
      const b = truthy(evalExpr(e.e, row));
      return b === null ? null : !b;
    }
    case "bin": {
      if (e.op === "AND" || e.op === "OR" || e.op === "XOR") {
        const l = truthy(evalExpr(e.l, row));
        if (e.op === "AND" && l === false) return false;
        if (e.op === "OR" && l === true) return true;
        const r = truthy(evalExpr(e.r, row));
        if (e.op === "XOR") return l === null || r === null ? null : l !== r;
        if (e.op === "AND") return l === true && r === true ? true : l === false || r === false ? false : null;
        return l === true || r === true ? true : l === false && r === false ? false : null;
      }
      const l = evalExpr(e.l, row);
      const r = evalExpr(e.r, row);
      if (e.op === ".") {
        const x = toStr(l);
        const y = toStr(r);
        return x === null || y === null ? null : x + y;
      }
      if (["==", "!=", "<", ">", "<=", ">="].includes(e.op)) return compare(e.op, l, r);
      return arith(e.op, l, r);
    }
    case "call":
      return call(e.fn, e.args, row);
  }
}

/** Eval functions the emulator implements; anything else is rejected when the search is parsed. */
export const EVAL_FUNCTIONS = new Set([
  "sha256", "sha1", "sha512", "md5", "tonumber", "tostring", "len", "lower", "upper", "trim", "ltrim", "rtrim",
  "substr", "replace", "if", "case", "coalesce", "isnull", "isnotnull", "isnum", "isstr", "null", "true", "false",
  "now", "abs", "floor", "ceil", "ceiling", "round", "pow", "like", "match", "mvcount", "mvjoin",
  "strftime", "split", "mvindex", "mvzip", "min", "max",
]);

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** strftime in UTC for the common conversions (%Y %m %d %H %M %S %y %b %e %j %s %Z %%). */
export function strftimeUtc(t: number, fmt: string): string {
  const d = new Date(t * 1000);
  const p2 = (n: number) => String(n).padStart(2, "0");
  return fmt.replace(/%([YmdHMSybejsZ%]|3N)/g, (_m, c: string) => {
    switch (c) {
      case "Y": return String(d.getUTCFullYear());
      case "y": return p2(d.getUTCFullYear() % 100);
      case "m": return p2(d.getUTCMonth() + 1);
      case "d": return p2(d.getUTCDate());
      case "e": return String(d.getUTCDate()).padStart(2, " ");
      case "H": return p2(d.getUTCHours());
      case "M": return p2(d.getUTCMinutes());
      case "S": return p2(d.getUTCSeconds());
      case "3N": return String(d.getUTCMilliseconds()).padStart(3, "0");
      case "b": return MONTHS[d.getUTCMonth()];
      case "j": return String(Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1).padStart(3, "0");
      case "s": return String(Math.floor(t));
      case "Z": return "UTC";
      default: return "%";
    }
  });
}

/** Throws SplError when an expression calls a function the emulator does not implement. */
export function checkFunctions(e: Expr, cmd: string): void {
  switch (e.k) {
    case "call":
      if (!EVAL_FUNCTIONS.has(e.fn)) throw new SplError(`Error in '${cmd}' command: The '${e.fn}' function is unsupported or undefined.`);
      for (const a of e.args) checkFunctions(a, cmd);
      return;
    case "bin":
      checkFunctions(e.l, cmd);
      checkFunctions(e.r, cmd);
      return;
    case "not": case "neg":
      checkFunctions(e.e, cmd);
      return;
    default:
      return;
  }
}

function call(fn: string, args: Expr[], row: Row): Value {
  const a = (i: number) => evalExpr(args[i], row);
  switch (fn) {
    case "sha256": argCount(fn, args, 1); return hash("sha256", a(0));
    case "sha1": argCount(fn, args, 1); return hash("sha1", a(0));
    case "sha512": argCount(fn, args, 1); return hash("sha512", a(0));
    case "md5": argCount(fn, args, 1); return hash("md5", a(0));
    case "tonumber": {
      argCount(fn, args, 1, 2);
      const v = scalar(a(0));
      const base = args.length > 1 ? toNum(a(1)) : 10;
      if (v === null || base === null) return null;
      if (typeof v === "number") return v;
      const s = String(v).trim();
      if (base === 10) {
        if (NUM_RE.test(s)) return Number(s);
        if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
        return null;
      }
      if (base < 2 || base > 36) return null;
      const digits = "0123456789abcdefghijklmnopqrstuvwxyz".slice(0, base);
      if (s === "" || ![...s.toLowerCase()].every((c) => digits.includes(c))) return null;
      return parseInt(s, base);
    }
    case "tostring": {
      argCount(fn, args, 1, 2);
      const v = a(0);
      if (args.length > 1 && toStr(a(1)) === "hex") {
        const n = toNum(v);
        return n === null ? null : `0x${Math.trunc(n).toString(16).toUpperCase()}`;
      }
      return toStr(v);
    }
    case "len": { argCount(fn, args, 1); const s = toStr(a(0)); return s === null ? null : s.length; }
    case "lower": { argCount(fn, args, 1); const s = toStr(a(0)); return s === null ? null : s.toLowerCase(); }
    case "upper": { argCount(fn, args, 1); const s = toStr(a(0)); return s === null ? null : s.toUpperCase(); }
    case "trim": case "ltrim": case "rtrim": {
      argCount(fn, args, 1);
      const s = toStr(a(0));
      if (s === null) return null;
      return fn === "trim" ? s.trim() : fn === "ltrim" ? s.trimStart() : s.trimEnd();
    }
    case "substr": {
      argCount(fn, args, 2, 3);
      const s = toStr(a(0));
      const start = toNum(a(1));
      const len = args.length > 2 ? toNum(a(2)) : undefined;
      if (s === null || start === null || len === null) return null;
      const from = start > 0 ? start - 1 : start < 0 ? Math.max(0, s.length + start) : 0;
      return len === undefined ? s.slice(from) : s.slice(from, from + Math.max(0, len));
    }
    case "replace": {
      argCount(fn, args, 3);
      const s = toStr(a(0));
      const re = toStr(a(1));
      const rep = toStr(a(2));
      if (s === null || re === null || rep === null) return null;
      return s.replace(new RegExp(re, "g"), rep.replace(/\\(\d)/g, "$$$1"));
    }
    case "if": {
      argCount(fn, args, 3);
      return truthy(a(0)) === true ? a(1) : a(2);
    }
    case "case": {
      if (args.length % 2 !== 0) argCount(fn, args, args.length + 1);
      for (let i = 0; i < args.length; i += 2) if (truthy(a(i)) === true) return a(i + 1);
      return null;
    }
    case "coalesce": {
      for (let i = 0; i < args.length; i++) {
        const v = a(i);
        if (v !== null) return v;
      }
      return null;
    }
    case "isnull": argCount(fn, args, 1); return a(0) === null;
    case "isnotnull": argCount(fn, args, 1); return a(0) !== null;
    case "isnum": argCount(fn, args, 1); return typeof scalar(a(0)) === "number";
    case "isstr": argCount(fn, args, 1); return typeof scalar(a(0)) === "string";
    case "null": argCount(fn, args, 0); return null;
    case "true": argCount(fn, args, 0); return true;
    case "false": argCount(fn, args, 0); return false;
    case "now": argCount(fn, args, 0); return Math.floor(Date.now() / 1000);
    case "abs": { argCount(fn, args, 1); const n = toNum(a(0)); return n === null ? null : Math.abs(n); }
    case "floor": { argCount(fn, args, 1); const n = toNum(a(0)); return n === null ? null : Math.floor(n); }
    case "ceil": case "ceiling": { argCount(fn, args, 1); const n = toNum(a(0)); return n === null ? null : Math.ceil(n); }
    case "round": {
      argCount(fn, args, 1, 2);
      const n = toNum(a(0));
      const d = args.length > 1 ? toNum(a(1)) : 0;
      if (n === null || d === null) return null;
      const f = 10 ** d;
      return Math.round(n * f) / f;
    }
    case "pow": {
      argCount(fn, args, 2);
      const x = toNum(a(0));
      const y = toNum(a(1));
      return x === null || y === null ? null : x ** y;
    }
    case "like": {
      argCount(fn, args, 2);
      const s = toStr(a(0));
      const p = toStr(a(1));
      return s === null || p === null ? null : likeRe(p).test(s);
    }
    case "match": {
      argCount(fn, args, 2);
      const s = toStr(a(0));
      const p = toStr(a(1));
      return s === null || p === null ? null : new RegExp(p).test(s);
    }
    case "mvcount": {
      argCount(fn, args, 1);
      const v = a(0);
      return v === null ? null : Array.isArray(v) ? v.length : 1;
    }
    case "mvjoin": {
      argCount(fn, args, 2);
      const v = a(0);
      const sep = toStr(a(1)) ?? "";
      return v === null ? null : values(v).join(sep);
    }
    case "strftime": {
      argCount(fn, args, 2);
      const t = toNum(a(0));
      const f = toStr(a(1));
      return t === null || f === null ? null : strftimeUtc(t, f);
    }
    case "split": {
      argCount(fn, args, 2);
      const v = toStr(a(0));
      const sep = toStr(a(1));
      if (v === null || sep === null) return null;
      const parts = sep === "" ? [...v] : v.split(sep);
      return parts.length === 1 ? parts[0] : parts;
    }
    case "mvindex": {
      argCount(fn, args, 2, 3);
      const vs = values(a(0));
      const n = vs.length;
      const norm = (i: number) => (i < 0 ? n + i : i);
      const s0 = toNum(a(1));
      if (s0 === null) return null;
      const st = norm(s0);
      if (args.length === 2) return st >= 0 && st < n ? vs[st] : null;
      const e0 = toNum(a(2));
      if (e0 === null) return null;
      const out = vs.slice(Math.max(0, st), norm(e0) + 1);
      return out.length === 0 ? null : out.length === 1 ? out[0] : out;
    }
    case "mvzip": {
      argCount(fn, args, 2, 3);
      const x = values(a(0));
      const y = values(a(1));
      const sep = args.length === 3 ? (toStr(a(2)) ?? ",") : ",";
      const n = Math.min(x.length, y.length);
      if (n === 0) return null;
      const out = Array.from({ length: n }, (_, i) => `${x[i]}${sep}${y[i]}`);
      return out.length === 1 ? out[0] : out;
    }
    case "min": case "max": {
      if (args.length === 0) argCount(fn, args, 1);
      const all = args.flatMap((_, i) => values(a(i)));
      if (all.length === 0) return null;
      const nums = all.map((v) => toNum(v));
      if (nums.every((n) => n !== null)) return fn === "min" ? Math.min(...(nums as number[])) : Math.max(...(nums as number[]));
      const strs = [...all].sort();
      return fn === "min" ? strs[0] : strs[strs.length - 1];
    }
    default:
      throw new SplError(`Error in 'eval' command: The '${fn}' function is unsupported or undefined.`);
  }
}
