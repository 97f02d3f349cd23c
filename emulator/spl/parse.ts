// A small SPL parser: split into commands at top-level pipes, then one parser per command.
// Errors throw SplError with Splunk's wording where it is known (`Unknown search command 'x'.`).

import type { Command, Expr, Pipeline, SearchExpr, SearchTimeTerms, StatsAgg } from "./ast.ts";

/** `30s`, `5m`, `1h`, `1d`, `1w` (or plain seconds) in seconds. */
export function parseSpan(v: string, cmd: string): number {
  const m = /^(\d+)(s|sec|secs|m|min|mins|h|hr|hrs|d|day|days|w)?$/i.exec(v);
  if (!m || Number(m[1]) === 0) throw new SplError(`Error in '${cmd}' command: Invalid span '${v}'.`);
  const unit = (m[2] ?? "s").toLowerCase()[0];
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as Record<string, number>)[unit];
}

/** Removes `name=value` options from a command's arguments; returns them and the rest. */
function options(args: string, names: string[]): { opts: Record<string, string>; rest: string } {
  const opts: Record<string, string> = {};
  const rest = args.replace(new RegExp(`(?:^|\\s)(${names.join("|")})\\s*=\\s*("[^"]*"|\\S+)`, "gi"), (_a, k: string, v: string) => {
    opts[k.toLowerCase()] = unquote(v);
    return " ";
  });
  return { opts, rest };
}

export class SplError extends Error {}

/** Splits at `|` outside double quotes, single quotes and brackets. */
export function splitPipes(q: string): string[] {
  const parts: string[] = [];
  let cur = "";
  let quote: string | null = null;
  let depth = 0;
  for (let i = 0; i < q.length; i++) {
    const ch = q[i];
    if (quote) {
      cur += ch;
      if (ch === "\\" && i + 1 < q.length) cur += q[++i];
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "[") depth++;
    else if (ch === "]") depth--;
    else if (ch === "|" && depth === 0) {
      parts.push(cur);
      cur = "";
      continue;
    }
    cur += ch;
  }
  if (quote) throw new SplError("Unbalanced quotes.");
  parts.push(cur);
  return parts;
}

function commandName(segment: string): { name: string; args: string } {
  const m = /^\s*([A-Za-z_][\w-]*)/.exec(segment);
  if (!m) throw new SplError(`Unknown search command '${segment.trim().split(/\s+/)[0] ?? ""}'.`);
  return { name: m[1], args: segment.slice(m[0].length) };
}

/** Parses a full query (`search ...` or `| makeresults ...`, then pipes). */
export function parsePipeline(query: string): Pipeline {
  const segs = splitPipes(query);
  let first = segs[0];
  let rest = segs.slice(1);
  let generator: Pipeline["generator"];
  if (first.trim() === "") {
    if (rest.length === 0) throw new SplError("Empty search.");
    first = rest[0];
    rest = rest.slice(1);
    const { name, args } = commandName(first);
    if (name.toLowerCase() === "makeresults") {
      const m = /count\s*=\s*(\d+)/.exec(args);
      generator = { k: "makeresults", count: m ? Number(m[1]) : 1 };
      first = "search";
    } else if (name.toLowerCase() === "inputlookup") {
      const words = fieldList(args).filter((w) => !/^\w+=/.test(w));
      if (words.length !== 1) throw new SplError("Error in 'inputlookup' command: Invalid argument.");
      generator = { k: "inputlookup", name: words[0] };
      first = "search";
    } else if (name.toLowerCase() === "rest") {
      const path = fieldList(args).find((w) => w.startsWith("/"));
      if (!path) throw new SplError("Error in 'rest' command: A REST path is required.");
      generator = { k: "rest", path };
      first = "search";
    } else if (name.toLowerCase() !== "search") {
      throw new SplError(`Unknown search command '${name}'.`);
    }
  }
  const { name, args } = commandName(first);
  if (name.toLowerCase() !== "search") throw new SplError(`Unknown search command '${name}'.`);
  const time: SearchTimeTerms = {};
  const indexPatterns: string[] = [];
  const base = parseSearchExpr(args, time, indexPatterns);
  const commands = rest.map(parseCommand);
  return { base, time, indexPatterns, commands, generator };
}

// ---------------------------------------------------------------------------------------------
// The search command

type STok = { t: "(" } | { t: ")" } | { t: "word"; v: string };

function tokenizeSearch(s: string): STok[] {
  const out: STok[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "(" || ch === ")") {
      out.push({ t: ch });
      i++;
      continue;
    }
    let w = "";
    while (i < s.length && !/\s/.test(s[i]) && s[i] !== "(" && s[i] !== ")") {
      if (s[i] === '"') {
        let j = i + 1;
        while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
        if (j >= s.length) throw new SplError("Unbalanced quotes.");
        w += s.slice(i, j + 1);
        i = j + 1;
      } else w += s[i++];
    }
    out.push({ t: "word", v: w });
  }
  return out;
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, "$1");
  return v;
}

const TIME_TERMS: Record<string, keyof SearchTimeTerms> = {
  earliest: "earliest",
  latest: "latest",
  _index_earliest: "indexEarliest",
  _index_latest: "indexLatest",
};

function parseSearchExpr(s: string, time: SearchTimeTerms, indexPatterns: string[]): SearchExpr {
  const toks = tokenizeSearch(s);
  let pos = 0;
  const peekWord = () => {
    const t = toks[pos];
    return t && t.t === "word" ? t.v : undefined;
  };
  function parseAnd(): SearchExpr {
    const items: SearchExpr[] = [];
    for (;;) {
      const t = toks[pos];
      if (!t || t.t === ")") break;
      if (t.t === "word" && t.v === "AND") {
        pos++;
        continue;
      }
      items.push(parseOr());
    }
    return items.length === 1 ? items[0] : { k: "and", items };
  }
  function parseOr(): SearchExpr {
    const items = [parseUnary()];
    while (peekWord() === "OR") {
      pos++;
      items.push(parseUnary());
    }
    return items.length === 1 ? items[0] : { k: "or", items };
  }
  function parseUnary(negated = false): SearchExpr {
    const t = toks[pos];
    if (!t) throw new SplError("Missing search term.");
    if (t.t === "word" && t.v === "NOT") {
      pos++;
      return { k: "not", item: parseUnary(!negated) };
    }
    if (t.t === "(") {
      pos++;
      const e = parseAnd();
      if (toks[pos]?.t !== ")") throw new SplError("Unbalanced parentheses.");
      pos++;
      return e;
    }
    if (t.t === ")") throw new SplError("Unbalanced parentheses.");
    pos++;
    return term(t.v, negated);
  }
  function term(w: string, negated: boolean): SearchExpr {
    const m = /^([^"=!<>]+?)(!=|<=|>=|=|<|>)(.*)$/s.exec(w);
    if (!m) return { k: "term", value: unquote(w) };
    const field = m[1];
    const op = m[2] as "=" | "!=" | "<" | ">" | "<=" | ">=";
    const value = unquote(m[3]);
    const tk = TIME_TERMS[field];
    if (tk && op === "=") {
      time[tk] = value;
      return { k: "true" };
    }
    if (field === "index" && op === "=" && !negated) indexPatterns.push(value);
    return { k: "cmp", field, op, value };
  }
  const e = toks.length === 0 ? { k: "true" as const } : parseAnd();
  if (pos < toks.length) throw new SplError("Unbalanced parentheses.");
  return e;
}

// ---------------------------------------------------------------------------------------------
// eval / where expressions

type ETok =
  | { t: "num"; v: number }
  | { t: "str"; v: string }
  | { t: "field"; v: string }
  | { t: "ident"; v: string }
  | { t: "op"; v: string };

function tokenizeExpr(s: string): ETok[] {
  const out: ETok[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const num = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(s.slice(i));
    if (num) {
      out.push({ t: "num", v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      let v = "";
      while (j < s.length && s[j] !== ch) {
        if (s[j] === "\\" && j + 1 < s.length) {
          const n = s[j + 1];
          v += n === "n" ? "\n" : n === "t" ? "\t" : n;
          j += 2;
        } else v += s[j++];
      }
      if (j >= s.length) throw new SplError("Unbalanced quotes.");
      out.push(ch === '"' ? { t: "str", v } : { t: "field", v });
      i = j + 1;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i));
    if (id) {
      out.push({ t: "ident", v: id[0] });
      i += id[0].length;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (["==", "!=", "<=", ">="].includes(two)) {
      out.push({ t: "op", v: two });
      i += 2;
      continue;
    }
    if ("=<>+-*/%.(),".includes(ch)) {
      out.push({ t: "op", v: ch });
      i++;
      continue;
    }
    throw new SplError(`Error in 'eval' command: The expression is malformed. Unexpected character '${ch}'.`);
  }
  return out;
}

class ExprParser {
  pos = 0;
  constructor(readonly toks: ETok[], readonly cmd: string) {}
  peek(): ETok | undefined {
    return this.toks[this.pos];
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return !!t && t.t === "op" && t.v === v;
  }
  isKw(v: string): boolean {
    const t = this.peek();
    return !!t && t.t === "ident" && t.v === v;
  }
  expect(v: string): void {
    if (!this.isOp(v)) throw this.err(`Expected '${v}'`);
    this.pos++;
  }
  err(msg: string): SplError {
    return new SplError(`Error in '${this.cmd}' command: The expression is malformed. ${msg}.`);
  }
  parse(): Expr {
    return this.or();
  }
  or(): Expr {
    let l = this.and();
    while (this.isKw("OR") || this.isKw("XOR")) {
      const op = (this.toks[this.pos++] as { v: string }).v;
      l = { k: "bin", op, l, r: this.and() };
    }
    return l;
  }
  and(): Expr {
    let l = this.not();
    while (this.isKw("AND")) {
      this.pos++;
      l = { k: "bin", op: "AND", l, r: this.not() };
    }
    return l;
  }
  not(): Expr {
    if (this.isKw("NOT")) {
      this.pos++;
      return { k: "not", e: this.not() };
    }
    return this.cmp();
  }
  cmp(): Expr {
    let l = this.add();
    for (;;) {
      const t = this.peek();
      if (t && t.t === "op" && ["=", "==", "!=", "<", ">", "<=", ">="].includes(t.v)) {
        this.pos++;
        l = { k: "bin", op: t.v === "=" ? "==" : t.v, l, r: this.add() };
      } else if (this.isKw("LIKE")) {
        this.pos++;
        l = { k: "call", fn: "like", args: [l, this.add()] };
      } else return l;
    }
  }
  add(): Expr {
    let l = this.mul();
    for (;;) {
      const t = this.peek();
      if (t && t.t === "op" && (t.v === "+" || t.v === "-" || t.v === ".")) {
        this.pos++;
        l = { k: "bin", op: t.v, l, r: this.mul() };
      } else return l;
    }
  }
  mul(): Expr {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      if (t && t.t === "op" && (t.v === "*" || t.v === "/" || t.v === "%")) {
        this.pos++;
        l = { k: "bin", op: t.v, l, r: this.unary() };
      } else return l;
    }
  }
  unary(): Expr {
    if (this.isOp("-")) {
      this.pos++;
      return { k: "neg", e: this.unary() };
    }
    return this.primary();
  }
  primary(): Expr {
    const t = this.peek();
    if (!t) throw this.err("Unexpected end of expression");
    this.pos++;
    switch (t.t) {
      case "num": return { k: "num", v: t.v };
      case "str": return { k: "str", v: t.v };
      case "field": return { k: "field", name: t.v };
      case "ident": {
        if (this.isOp("(")) {
          this.pos++;
          const args: Expr[] = [];
          if (!this.isOp(")")) {
            for (;;) {
              args.push(this.parse());
              if (this.isOp(",")) {
                this.pos++;
                continue;
              }
              break;
            }
          }
          this.expect(")");
          return { k: "call", fn: t.v.toLowerCase(), args };
        }
        return { k: "field", name: t.v };
      }
      case "op":
        if (t.v === "(") {
          const e = this.parse();
          this.expect(")");
          return e;
        }
        throw this.err(`Unexpected '${t.v}'`);
    }
  }
}

export function parseExpr(s: string, cmd = "eval"): Expr {
  const p = new ExprParser(tokenizeExpr(s), cmd);
  const e = p.parse();
  if (p.pos < p.toks.length) throw p.err("Unexpected token after the expression");
  return e;
}

/** Splits at commas outside quotes and parentheses. */
function splitTopCommas(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      cur += ch;
      if (ch === "\\" && i + 1 < s.length) cur += s[++i];
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== "");
}

function fieldList(s: string): string[] {
  return s.split(/[\s,]+/).map((x) => unquote(x.trim())).filter((x) => x !== "");
}

// ---------------------------------------------------------------------------------------------
// Pipeline commands

const AGG_FNS: Record<string, StatsAgg["fn"]> = {
  count: "count", c: "count", dc: "dc", distinct_count: "dc", sum: "sum", avg: "avg", mean: "avg",
  min: "min", max: "max", values: "values",
};

function parseStats(args: string): Command {
  let body = args;
  let by: string[] = [];
  const bm = /\s+by\s+(.+)$/is.exec(args);
  if (bm) {
    by = fieldList(bm[1]);
    body = args.slice(0, bm.index);
  }
  // Trailing blanks (before the next pipe) would end the sticky scan early and reset lastIndex.
  body = body.trimEnd();
  const aggs: StatsAgg[] = [];
  const re = /\s*,?\s*([A-Za-z_]+)(?:\(\s*([^)]*?)\s*\))?(?:\s+as\s+("[^"]+"|[^\s,]+))?/giy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < body.length && (m = re.exec(body))) {
    if (m[0].trim() === "") break;
    const fn = AGG_FNS[m[1].toLowerCase()];
    if (!fn) throw new SplError(`Error in 'stats' command: The argument '${m[1]}' is invalid.`);
    const field = m[2] ? unquote(m[2]) : undefined;
    if (fn !== "count" && !field) throw new SplError(`Error in 'stats' command: The argument '${m[1]}' is invalid.`);
    const as = m[3] ? unquote(m[3]) : field ? `${m[1]}(${field})` : m[1];
    aggs.push({ fn, field, as });
  }
  if (body.slice(re.lastIndex).trim() !== "") throw new SplError(`Error in 'stats' command: The argument '${body.slice(re.lastIndex).trim()}' is invalid.`);
  if (aggs.length === 0) throw new SplError("Error in 'stats' command: The number of aggregations must be at least one.");
  return { k: "stats", aggs, by };
}

export function parseCommand(seg: string): Command {
  const { name, args } = commandName(seg);
  switch (name.toLowerCase()) {
    case "search":
      return { k: "search", expr: parseSearchExpr(args, {}, []) };
    case "head": {
      const m = /^\s*(?:(?:limit|count)\s*=\s*)?(\d+)?\s*$/i.exec(args);
      if (!m) throw new SplError("Error in 'head' command: Invalid argument.");
      return { k: "head", n: m[1] === undefined ? 10 : Number(m[1]) };
    }
    case "fields": {
      const m = /^\s*([+-])?\s*(.*)$/s.exec(args) as RegExpExecArray;
      const names = fieldList(m[2]);
      if (names.length === 0) throw new SplError("Error in 'fields' command: Must specify field names.");
      return { k: "fields", remove: m[1] === "-", names };
    }
    case "table":
      return { k: "table", names: fieldList(args) };
    case "eval": {
      const assigns = splitTopCommas(args).map((a) => {
        const m = /^('(?:[^'\\]|\\.)+'|"[^"]+"|[^\s=]+)\s*=(?!=)\s*(.+)$/s.exec(a);
        if (!m) throw new SplError("Error in 'eval' command: The expression is malformed. Expected =.");
        const f = m[1];
        return { field: /^['"]/.test(f) ? f.slice(1, -1) : f, expr: parseExpr(m[2], "eval") };
      });
      if (assigns.length === 0) throw new SplError("Error in 'eval' command: The expression is malformed.");
      return { k: "eval", assigns };
    }
    case "where":
      return { k: "where", expr: parseExpr(args, "where") };
    case "stats":
      return parseStats(args);
    case "rename": {
      const pairs = splitTopCommas(args).map((p) => {
        const m = /^("[^"]+"|\S+)\s+as\s+("[^"]+"|\S+)$/i.exec(p);
        if (!m) throw new SplError("Error in 'rename' command: Syntax error.");
        return { from: unquote(m[1]), to: unquote(m[2]) };
      });
      return { k: "rename", pairs };
    }
    case "dedup":
      return { k: "dedup", names: fieldList(args) };
    case "sort": {
      const words = fieldList(args);
      let limit = 10000;
      if (words.length > 0 && /^\d+$/.test(words[0])) limit = Number(words.shift());
      const lm = words.findIndex((w) => /^limit=\d+$/i.test(w));
      if (lm >= 0) limit = Number(words.splice(lm, 1)[0].split("=")[1]);
      const keys: { field: string; desc: boolean }[] = [];
      let pendingDesc: boolean | undefined;
      for (const w of words) {
        if (w === "-" || w === "+") {
          pendingDesc = w === "-";
          continue;
        }
        const desc = w.startsWith("-") ? true : w.startsWith("+") ? false : (pendingDesc ?? false);
        keys.push({ field: w.replace(/^[+-]/, ""), desc });
        pendingDesc = undefined;
      }
      if (keys.length === 0) throw new SplError("Error in 'sort' command: Must specify at least one field.");
      return { k: "sort", limit: limit === 0 ? Infinity : limit, keys };
    }
    case "outputlookup": {
      const { opts, rest } = options(args, ["append", "key_field", "create_empty", "override_if_empty", "max", "createinapp", "output_format"]);
      const words = fieldList(rest);
      if (words.length !== 1) throw new SplError("Error in 'outputlookup' command: A lookup table name or file name is required.");
      return { k: "outputlookup", name: words[0], append: /^(1|t|true)$/i.test(opts.append ?? "false"), keyField: opts.key_field };
    }
    case "timechart": {
      const { opts, rest } = options(args, ["span", "limit", "useother", "usenull", "cont", "fixedrange", "bins"]);
      const st = parseStats(rest) as Extract<Command, { k: "stats" }>;
      if (st.by.length > 1) throw new SplError("Error in 'timechart' command: The split-by clause takes one field.");
      if (st.by.length === 1 && st.aggs.length > 1) throw new SplError("Error in 'timechart' command: A split-by field needs a single aggregation.");
      return { k: "timechart", span: opts.span ? parseSpan(opts.span, "timechart") : undefined, limit: opts.limit ? Number(opts.limit) : 10, aggs: st.aggs, by: st.by[0] };
    }
    case "top": {
      const { opts, rest } = options(args, ["limit", "countfield", "percentfield", "showcount", "showperc", "useother"]);
      const bm = /\s+by\s+(.+)$/is.exec(rest);
      const fields = fieldList(bm ? rest.slice(0, bm.index) : rest);
      if (fields.length === 0) throw new SplError("Error in 'top' command: At least one field is required.");
      const limit = opts.limit !== undefined ? Number(opts.limit) : 10;
      return { k: "top", limit: limit === 0 ? Infinity : limit, fields, by: bm ? fieldList(bm[1]) : [] };
    }
    case "bin": case "bucket": {
      const { opts, rest } = options(args, ["span", "bins", "start", "end", "aligntime", "minspan"]);
      const m = /^\s*(\S+)(?:\s+as\s+(\S+))?\s*$/i.exec(rest);
      if (!m) throw new SplError("Error in 'bin' command: A field is required.");
      if (!opts.span) throw new SplError("Error in 'bin' command: The emulator needs span=.");
      const span = m[1] === "_time" ? parseSpan(opts.span, "bin") : Number(opts.span);
      if (!(span > 0)) throw new SplError(`Error in 'bin' command: Invalid span '${opts.span}'.`);
      return { k: "bin", field: unquote(m[1]), span, as: m[2] ? unquote(m[2]) : unquote(m[1]) };
    }
    case "mvexpand": {
      const words = fieldList(args).filter((w) => !/^limit=/i.test(w));
      if (words.length !== 1) throw new SplError("Error in 'mvexpand' command: A field is required.");
      return { k: "mvexpand", field: words[0] };
    }
    default:
      throw new SplError(`Unknown search command '${name}'.`);
  }
}
