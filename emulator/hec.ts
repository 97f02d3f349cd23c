// HTTP Event Collector: /services/collector[/event[/1.0]], /raw[/1.0], /ack, /health (research §4.1).
// Replies use HEC's own schema {"text","code"[,"invalid-event-number"][,"ackId"]}.

import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import type { Faults } from "./faults.ts";
import type { Indexes } from "./indexes.ts";
import { JSON_TYPE, send } from "./rest/format.ts";
import type { Fields } from "./store/extract.ts";
import type { BlockEvent, EventInput, EventStore, RawBlock } from "./store/store.ts";

export interface HecTokenConfig {
  token: string;
  /** Token name; the default source is `http:<name>`. */
  name?: string;
  disabled?: boolean;
  /** Indexer acknowledgement: requests need a channel, replies carry an ackId. */
  useAck?: boolean;
  /** Indexes this token may write to; undefined or empty: any existing index. */
  indexes?: string[];
  defaultIndex?: string;
  defaultSourcetype?: string;
  defaultSource?: string;
  defaultHost?: string;
  /** Accept `?token=` (else code 16). */
  allowQueryStringAuth?: boolean;
}

/** HEC status codes (research §4.1 table): code -> [HTTP status, text]. */
export const HEC_CODES: Record<number, [number, string]> = {
  0: [200, "Success"],
  1: [403, "Token disabled"],
  2: [401, "Token is required"],
  3: [401, "Invalid authorization"],
  4: [403, "Invalid token"],
  5: [400, "No data"],
  6: [400, "Invalid data format"],
  7: [400, "Incorrect index"],
  8: [500, "Internal server error"],
  9: [503, "Server is busy"],
  10: [400, "Data channel is missing"],
  11: [400, "Invalid data channel"],
  12: [400, "Event field is required"],
  13: [400, "Event field cannot be blank"],
  14: [400, "ACK is disabled"],
  15: [400, "Error in handling indexed fields"],
  16: [400, "Query string authorization is not enabled"],
  17: [200, "HEC is healthy"],
  18: [503, "HEC is unhealthy, queues are full"],
  19: [503, "HEC is unhealthy, ack service unavailable"],
  20: [503, "HEC is unhealthy, queues are full, ack service unavailable"],
};

const CHANNEL_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function reply(res: ServerResponse, code: number, extra: Record<string, number> = {}): void {
  const [status, text] = HEC_CODES[code];
  send(res, status, JSON_TYPE, JSON.stringify({ text, code, ...extra }));
}

/**
 * Splits a body of concatenated JSON values (`{..}{..}` or separated by whitespace). Returns the
 * source text of each value; a stray character outside a value ends the list with `bad` = its index.
 */
export function splitConcatenatedJson(body: string): { parts: string[]; bad?: number } {
  const parts: string[] = [];
  let i = 0;
  const n = body.length;
  while (i < n) {
    while (i < n && /\s/.test(body[i])) i++;
    if (i >= n) break;
    if (body[i] !== "{") return { parts, bad: parts.length };
    let depth = 0;
    let inStr = false;
    const start = i;
    for (; i < n; i++) {
      const ch = body[i];
      if (inStr) {
        if (ch === "\\") i++;
        else if (ch === '"') inStr = false;
      } else if (ch === '"') inStr = true;
      else if (ch === "{" || ch === "[") depth++;
      else if (ch === "}" || ch === "]") {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      }
    }
    if (depth !== 0) return { parts, bad: parts.length };
    parts.push(body.slice(start, i));
  }
  return { parts };
}

interface Channel {
  next: number;
  /** ackId -> time (ms) from which it reads as indexed. */
  pending: Map<number, number>;
}

export interface HecDeps {
  tokens: HecTokenConfig[];
  store: EventStore;
  indexes: Indexes;
  faults: Faults;
  now: () => number;
  /** Delay before an ackId reads true. */
  ackDelayMs: number;
  /** What a 400 with `invalid-event-number` N leaves behind; default `"indexed"`. */
  partial?: PartialMode;
}

/**
 * Splunk's statements conflict on a partial reply: `"indexed"` keeps the events before the bad one (as the
 * per-event loop of a real indexer does), `"not-indexed"` stores nothing of the request.
 */
export type PartialMode = "indexed" | "not-indexed";

type Auth = { ok: true; token: HecTokenConfig } | { ok: false; code: number };

export class Hec {
  private readonly tokens = new Map<string, HecTokenConfig>();
  private readonly channels = new Map<string, Channel>();
  ackDelayMs: number;
  /** What a partial reply leaves in the store (switchable at runtime). */
  partial: PartialMode;

  constructor(private readonly d: HecDeps) {
    for (const t of d.tokens) this.tokens.set(t.token, t);
    this.ackDelayMs = d.ackDelayMs;
    this.partial = d.partial ?? "indexed";
  }

  addToken(t: HecTokenConfig): void {
    this.tokens.set(t.token, t);
  }

  /** True when this path is served by HEC. */
  static handles(rest: string): boolean {
    return rest === "collector" || rest.startsWith("collector/");
  }

  private authenticate(req: IncomingMessage, query: URLSearchParams): Auth {
    const h = req.headers.authorization;
    let tokenText: string | undefined;
    if (h) {
      const m = /^(\S+)\s+(.*)$/.exec(h.trim());
      if (!m) return { ok: false, code: 3 };
      if (m[1].toLowerCase() === "splunk") tokenText = m[2].trim();
      else if (m[1].toLowerCase() === "basic") {
        const dec = Buffer.from(m[2], "base64").toString("utf8");
        const c = dec.indexOf(":");
        if (c < 0) return { ok: false, code: 3 };
        tokenText = dec.slice(c + 1);
      } else return { ok: false, code: 3 };
    } else if (query.has("token")) {
      const t = this.tokens.get(query.get("token") ?? "");
      if (!t) return { ok: false, code: 4 };
      if (!t.allowQueryStringAuth) return { ok: false, code: 16 };
      tokenText = t.token;
    }
    if (tokenText === undefined) return { ok: false, code: 2 };
    const token = this.tokens.get(tokenText);
    if (!token) return { ok: false, code: 4 };
    if (token.disabled) return { ok: false, code: 1 };
    return { ok: true, token };
  }

  private indexAllowed(token: HecTokenConfig, index: string): boolean {
    if (!this.d.indexes.has(index)) return false;
    return !token.indexes || token.indexes.length === 0 || token.indexes.includes(index);
  }

  /**
   * Handles one HEC request; `rest` is the path after `/services/`. `body` is already gunzipped; `gzipped` is
   * the body as it arrived when it was gzip (then events keep their _raw in it, compressed).
   */
  handle(req: IncomingMessage, res: ServerResponse, rest: string, query: URLSearchParams, body: Buffer | undefined, gzipped?: Buffer): void {
    const method = req.method ?? "GET";
    if (rest === "collector/health" || rest === "collector/health/1.0") {
      return reply(res, this.d.faults.hecBusyActive() ? 18 : 17);
    }
    const isEvent = rest === "collector" || rest === "collector/event" || rest === "collector/event/1.0";
    const isRaw = rest === "collector/raw" || rest === "collector/raw/1.0";
    const isAck = rest === "collector/ack";
    if (!isEvent && !isRaw && !isAck) return send(res, 404, JSON_TYPE, JSON.stringify({ text: "The requested URL was not found on this server.", code: 404 }));
    if (method !== "POST") return send(res, 405, JSON_TYPE, JSON.stringify({ text: "Method Not Allowed", code: 405 }));
    if (body === undefined) return reply(res, 6);
    const auth = this.authenticate(req, query);
    if (!auth.ok) return reply(res, auth.code);
    const token = auth.token;
    const channelId = (req.headers["x-splunk-request-channel"] as string | undefined) ?? query.get("channel") ?? undefined;

    if (isAck) {
      if (!token.useAck) return reply(res, 14);
      if (!channelId) return reply(res, 10);
      if (!CHANNEL_RE.test(channelId)) return reply(res, 11);
      let ids: unknown;
      try {
        ids = (JSON.parse(body.toString("utf8")) as { acks?: unknown }).acks;
      } catch {
        return reply(res, 6);
      }
      if (!Array.isArray(ids)) return reply(res, 6);
      const ch = this.channels.get(channelId);
      const now = this.d.now();
      const acks: Record<string, boolean> = {};
      for (const id of ids) {
        const at = typeof id === "number" ? ch?.pending.get(id) : undefined;
        const ok = at !== undefined && now >= at;
        acks[String(id)] = ok;
        if (ok) ch?.pending.delete(id as number); // an ack reads true once, then it is forgotten
      }
      return send(res, 200, JSON_TYPE, JSON.stringify({ acks }));
    }

    if (this.d.faults.takeHecBusy()) return reply(res, 9);
    if (token.useAck) {
      if (!channelId) return reply(res, 10);
      if (!CHANNEL_RE.test(channelId)) return reply(res, 11);
    }
    if (!isRaw && this.indexFast(body, gzipped, token, req, query, nowOf(this.d))) return this.success(res, token, channelId);
    const text = body.toString("utf8");
    if (text.trim() === "") return reply(res, 5);

    const nowMs = this.d.now();
    const defaults = {
      index: query.get("index") ?? token.defaultIndex ?? "main",
      sourcetype: query.get("sourcetype") ?? token.defaultSourcetype ?? (isRaw ? "http:raw" : "httpevent"),
      source: query.get("source") ?? token.defaultSource ?? `http:${token.name ?? "emulator"}`,
      host: query.get("host") ?? token.defaultHost ?? req.headers.host ?? "emulator",
    };

    if (isRaw) {
      if (!this.indexAllowed(token, defaults.index)) return reply(res, 7);
      for (const line of text.split(/\r?\n/)) {
        if (line.trim() === "") continue;
        this.d.store.append({ time: nowMs / 1000, indextime: Math.floor(nowMs / 1000), raw: line, ...defaults });
      }
      return this.success(res, token, channelId);
    }

    const lines = parseLines(text);
    if (lines) {
      // One event per line (what most senders post): each was parsed once, and its _raw stays in the body.
      let block: number | undefined;
      const staged = this.stage();
      for (let i = 0; i < lines.objects.length; i++) {
        const o = lines.objects[i];
        const err = this.indexParsed(o, token, defaults, nowMs, (e) =>
          staged.run(() => {
            block ??= this.d.store.addBlock(gzipped ? gzipBlock(gzipped) : textBlock(text));
            this.d.store.appendFromBlock(e, block, lines.starts[i], lines.ends[i]);
          }),
        );
        if (err !== 0) return reply(res, err, { "invalid-event-number": i });
      }
      staged.commit();
      return this.success(res, token, channelId);
    }
    const { parts, bad } = splitConcatenatedJson(text);
    const staged = this.stage();
    for (let i = 0; i < parts.length; i++) {
      const err = this.indexOne(parts[i], token, defaults, nowMs, staged);
      if (err !== 0) return reply(res, err, { "invalid-event-number": i });
    }
    if (bad !== undefined) return reply(res, 6, { "invalid-event-number": bad });
    staged.commit();
    return this.success(res, token, channelId);
  }

  /**
   * The event endpoint's fast path for what senders post most (and the sidecar always): one JSON object per
   * line whose members are `time` (a number), `host`, `source`, `sourcetype`, `index` (strings without escapes)
   * and a non-empty `event`. The body's bytes are checked against the JSON grammar without building any value,
   * and each event keeps its _raw in the body (gzipped as it arrived), parsed only when a search reads it.
   * Returns false, having stored nothing, for any body it does not take whole (a line it cannot read that way,
   * an index the token may not write to, invalid JSON): the general path then handles it, errors included.
   */
  private indexFast(body: Buffer, gzipped: Buffer | undefined, token: HecTokenConfig, req: IncomingMessage, query: URLSearchParams, nowMs: number): boolean {
    const lines = scanEnvelopes(body);
    if (lines === undefined || lines.count === 0) return false;
    const indextime = Math.floor(nowMs / 1000);
    let defaults: Defaults | undefined;
    let allowed = "";
    for (let i = 0; i < lines.count; i++) {
      const m = lines.meta[i]!;
      if (m.index === undefined || m.host === undefined || m.source === undefined || m.sourcetype === undefined) {
        defaults ??= {
          index: query.get("index") ?? token.defaultIndex ?? "main",
          sourcetype: query.get("sourcetype") ?? token.defaultSourcetype ?? "httpevent",
          source: query.get("source") ?? token.defaultSource ?? `http:${token.name ?? "emulator"}`,
          host: query.get("host") ?? token.defaultHost ?? req.headers.host ?? "emulator",
        };
        m.index ??= defaults.index;
        m.host ??= defaults.host;
        m.source ??= defaults.source;
        m.sourcetype ??= defaults.sourcetype;
      }
      if (m.index !== allowed) {
        if (!this.indexAllowed(token, m.index)) return false;
        allowed = m.index;
      }
      m.time ??= nowMs / 1000;
      m.indextime = indextime;
    }
    const block = this.d.store.addBlock(gzipped ? gzipBytesBlock(gzipped) : bytesBlock(body));
    for (let i = 0; i < lines.count; i++) this.d.store.appendFromBlock(lines.meta[i]! as Omit<EventInput, "raw" | "schema">, block, lines.starts[i]!, lines.ends[i]!);
    return true;
  }

  private success(res: ServerResponse, token: HecTokenConfig, channelId: string | undefined): void {
    if (!token.useAck || !channelId) return reply(res, 0);
    let ch = this.channels.get(channelId);
    if (!ch) {
      ch = { next: 0, pending: new Map() };
      this.channels.set(channelId, ch);
    }
    const ackId = ch.next++;
    ch.pending.set(ackId, this.d.now() + this.ackDelayMs);
    reply(res, 0, { ackId });
  }

  /**
   * Store writes of one request: run at once with `partial: "indexed"`, else held until `commit` (after the
   * last event validated), so that a refused request leaves nothing behind.
   */
  private stage(): { run: (write: () => void) => void; commit: () => void } {
    if (this.partial === "indexed") return { run: (write) => write(), commit: () => {} };
    const held: (() => void)[] = [];
    return { run: (write) => void held.push(write), commit: () => held.forEach((w) => w()) };
  }

  /** Validates and stores one event (through `staged`); returns 0 or the HEC error code. */
  private indexOne(src: string, token: HecTokenConfig, defaults: Defaults, nowMs: number, staged: { run: (write: () => void) => void }): number {
    let o: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(src);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return 6;
      o = parsed as Record<string, unknown>;
    } catch {
      return 6;
    }
    return this.indexParsed(o, token, defaults, nowMs, (e, ev) => {
      const raw = typeof ev === "string" ? ev : JSON.stringify(ev);
      staged.run(() => this.d.store.append({ ...e, raw }));
    });
  }

  /** Validates one parsed event object and hands it to `store` with its metadata; returns 0 or the HEC error code. */
  private indexParsed(o: Record<string, unknown>, token: HecTokenConfig, defaults: Defaults, nowMs: number, store: (e: Omit<EventInput, "raw" | "schema">, ev: unknown) => void): number {
    const ev = o.event;
    if (ev === undefined || ev === null) return 12;
    if (ev === "" || (typeof ev === "object" && !Array.isArray(ev) && Object.keys(ev).length === 0)) return 13;
    let fields: Fields | undefined;
    if (o.fields !== undefined) {
      if (o.fields === null || typeof o.fields !== "object" || Array.isArray(o.fields)) return 15;
      fields = {};
      for (const [k, v] of Object.entries(o.fields as Record<string, unknown>)) {
        if (Array.isArray(v)) {
          if (!v.every((x) => x === null || typeof x !== "object")) return 15;
          fields[k] = v.map((x) => String(x));
        } else if (v !== null && typeof v === "object") return 15;
        else fields[k] = String(v);
      }
    }
    let time = nowMs / 1000;
    if (o.time !== undefined) {
      const t = typeof o.time === "number" ? o.time : typeof o.time === "string" && /^\d+(\.\d+)?$/.test(o.time) ? Number(o.time) : NaN;
      if (Number.isNaN(t)) return 6;
      time = t;
    }
    const str = (k: string): string | undefined => (typeof o[k] === "string" ? (o[k] as string) : undefined);
    const index = str("index") ?? defaults.index;
    if (!this.indexAllowed(token, index)) return 7;
    store(
      {
        time,
        indextime: Math.floor(nowMs / 1000),
        index,
        sourcetype: str("sourcetype") ?? defaults.sourcetype,
        source: str("source") ?? defaults.source,
        host: str("host") ?? defaults.host,
        fields,
      },
      ev,
    );
    return 0;
  }
}

type Defaults = { index: string; sourcetype: string; source: string; host: string };

function nowOf(d: HecDeps): number {
  return d.now();
}

/** What the fast path read of one line's envelope; unset members take the request's defaults. */
interface Envelope {
  time?: number;
  indextime?: number;
  index?: string;
  host?: string;
  source?: string;
  sourcetype?: string;
}

/** Byte classes of the JSON grammar. */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
/** Characters that may follow a backslash in a JSON string (besides `u`). */
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);
const ENVELOPE_KEYS = new Map([["time", 1], ["host", 2], ["source", 3], ["sourcetype", 4], ["index", 5], ["event", 6]]);

/** Thrown (and caught in `scanEnvelopes`) when the fast path does not take a body. */
class NotFast extends Error {}
const NOT_FAST = new NotFast();

/**
 * A JSON grammar check over bytes (RFC 8259; bytes ≥ 0x80 are allowed inside strings, as the UTF-8 decoder's
 * characters or replacement characters are). Returns the index after the value starting at or after `i`
 * (whitespace skipped before it), or throws NOT_FAST.
 */
function skipValue(b: Buffer, i: number, end: number, depth: number): number {
  while (i < end && isWs(b[i]!)) i++;
  if (i >= end || depth > 64) throw NOT_FAST;
  const c = b[i]!;
  if (c === QUOTE) return skipString(b, i, end).end;
  if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
    const close = c === 0x7b ? 0x7d : 0x5d;
    i++;
    while (i < end && isWs(b[i]!)) i++;
    if (b[i] === close) return i + 1;
    for (;;) {
      if (c === 0x7b) {
        while (i < end && isWs(b[i]!)) i++;
        if (b[i] !== QUOTE) throw NOT_FAST;
        i = skipString(b, i, end).end;
        while (i < end && isWs(b[i]!)) i++;
        if (b[i] !== 0x3a /* : */) throw NOT_FAST;
        i++;
      }
      i = skipValue(b, i, end, depth + 1);
      while (i < end && isWs(b[i]!)) i++;
      if (b[i] === 0x2c /* , */) {
        i++;
        continue;
      }
      if (b[i] === close) return i + 1;
      throw NOT_FAST;
    }
  }
  if (c === 0x74 /* t */) return literal(b, i, end, "true");
  if (c === 0x66 /* f */) return literal(b, i, end, "false");
  if (c === 0x6e /* n */) return literal(b, i, end, "null");
  return skipNumber(b, i, end);
}

function literal(b: Buffer, i: number, end: number, word: string): number {
  if (i + word.length > end) throw NOT_FAST;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) throw NOT_FAST;
  return i + word.length;
}

function skipNumber(b: Buffer, i: number, end: number): number {
  if (b[i] === 0x2d /* - */) i++;
  if (i >= end || !isDigit(b[i]!)) throw NOT_FAST;
  if (b[i] === 0x30) i++;
  else while (i < end && isDigit(b[i]!)) i++;
  if (b[i] === 0x2e /* . */) {
    i++;
    if (i >= end || !isDigit(b[i]!)) throw NOT_FAST;
    while (i < end && isDigit(b[i]!)) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45 /* e E */) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (i >= end || !isDigit(b[i]!)) throw NOT_FAST;
    while (i < end && isDigit(b[i]!)) i++;
  }
  return i;
}

/** The string starting at `i` (a quote): where it ends (after the closing quote), and whether it has escapes. */
function skipString(b: Buffer, i: number, end: number): { end: number; escaped: boolean } {
  let escaped = false;
  i++;
  while (i < end) {
    const c = b[i]!;
    if (c === QUOTE) return { end: i + 1, escaped };
    if (c < 0x20) throw NOT_FAST;
    if (c === BACKSLASH) {
      escaped = true;
      const e = b[i + 1];
      if (e === 0x75 /* u */) {
        if (i + 6 > end || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) throw NOT_FAST;
        i += 6;
        continue;
      }
      if (e === undefined || !SIMPLE_ESCAPES.has(e)) throw NOT_FAST;
      i += 2;
      continue;
    }
    i++;
  }
  throw NOT_FAST;
}

/**
 * The lines of a body of one JSON object per line, each with its envelope, when every line is one the fast
 * path takes (see `Hec.indexFast`); undefined otherwise. Blank lines are skipped.
 */
export function scanEnvelopes(b: Buffer): { count: number; starts: number[]; ends: number[]; meta: Envelope[] } | undefined {
  const starts: number[] = [];
  const ends: number[] = [];
  const meta: Envelope[] = [];
  const n = b.length;
  let pos = 0;
  try {
    while (pos < n) {
      let end = b.indexOf(0x0a, pos);
      if (end < 0) end = n;
      let i = pos;
      while (i < end && isWs(b[i]!)) i++;
      if (i < end) {
        if (b[i] !== 0x7b) return undefined;
        const m: Envelope = {};
        let seen = 0;
        i++;
        for (;;) {
          while (i < end && isWs(b[i]!)) i++;
          if (b[i] !== QUOTE) return undefined;
          const k = skipString(b, i, end);
          if (k.escaped) return undefined;
          const key = ENVELOPE_KEYS.get(b.toString("latin1", i + 1, k.end - 1));
          // Other members (`fields`, unknown ones) and repeated ones take the general path.
          if (key === undefined || seen & (1 << key)) return undefined;
          seen |= 1 << key;
          i = k.end;
          while (i < end && isWs(b[i]!)) i++;
          if (b[i] !== 0x3a) return undefined;
          i++;
          while (i < end && isWs(b[i]!)) i++;
          const vs = i;
          if (key === 6) {
            // `event`: any JSON value but null, "" and {} (the general path gives their codes).
            i = skipValue(b, i, end, 1);
            const c = b[vs];
            if (c === 0x6e) return undefined;
            if (c === QUOTE && i === vs + 2) return undefined;
            if (c === 0x7b) {
              let j = vs + 1;
              while (isWs(b[j]!)) j++;
              if (b[j] === 0x7d) return undefined;
            }
          } else if (key === 1) {
            // A number; anything else (a string, null) takes the general path, which checks it.
            if (b[vs] !== 0x2d && !isDigit(b[vs]!)) return undefined;
            i = skipNumber(b, vs, end);
            m.time = Number(b.toString("latin1", vs, i));
          } else {
            if (b[vs] !== QUOTE) return undefined;
            const v = skipString(b, vs, end);
            if (v.escaped) return undefined;
            i = v.end;
            const text = b.toString("utf8", vs + 1, i - 1);
            if (key === 2) m.host = text;
            else if (key === 3) m.source = text;
            else if (key === 4) m.sourcetype = text;
            else m.index = text;
          }
          while (i < end && isWs(b[i]!)) i++;
          if (b[i] === 0x2c) {
            i++;
            continue;
          }
          if (b[i] !== 0x7d) return undefined;
          i++;
          break;
        }
        while (i < end && isWs(b[i]!)) i++;
        if (i < end || !(seen & (1 << 6))) return undefined;
        starts.push(pos);
        ends.push(end);
        meta.push(m);
      }
      pos = end + 1;
    }
  } catch (e) {
    if (e === NOT_FAST) return undefined;
    throw e;
  }
  return { count: meta.length, starts, ends, meta };
}

/**
 * A body with one JSON object per line, parsed: each object and where its line starts and ends. Undefined when
 * any non-blank line is not one JSON object (several on a line, one over several lines, a bad one): the caller
 * then splits the body value by value, which also finds the event number HEC reports for a bad one.
 */
function parseLines(text: string): { objects: Record<string, unknown>[]; starts: number[]; ends: number[] } | undefined {
  const objects: Record<string, unknown>[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end);
    if (line.trim() !== "") {
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch {
        return undefined;
      }
      if (o === null || typeof o !== "object" || Array.isArray(o)) return undefined;
      objects.push(o as Record<string, unknown>);
      starts.push(pos);
      ends.push(end);
    }
    pos = end + 1;
  }
  return { objects, starts, ends };
}

/** The `_raw` of the event on one line of a block: what the value-by-value path stores for it. */
function readLine(text: string, start: number, end: number): BlockEvent {
  const ev = (JSON.parse(text.slice(start, end)) as { event: unknown }).event;
  if (typeof ev === "string") return { raw: ev };
  const raw = JSON.stringify(ev);
  return ev !== null && typeof ev === "object" && !Array.isArray(ev) ? { raw, json: ev as Record<string, unknown> } : { raw };
}

function textBlock(text: string): RawBlock {
  return { text: () => text, read: readLine };
}

/** The `_raw` of the event on bytes [start, end) of a block. */
function readBytes(bytes: Buffer, start: number, end: number): BlockEvent {
  const line = bytes.toString("utf8", start, end);
  return readLine(line, 0, line.length);
}

function bytesBlock(body: Buffer): RawBlock<Buffer> {
  return { text: () => body, read: readBytes };
}

/** A gzipped body kept as it arrived (offsets in its bytes). */
function gzipBytesBlock(gz: Buffer): RawBlock<Buffer> {
  return { text: () => gunzipSync(gz), read: readBytes };
}

/** A gzipped body kept as it arrived: 10 to 20 times smaller than its text. */
function gzipBlock(gz: Buffer): RawBlock {
  return { text: () => gunzipSync(gz).toString("utf8"), read: readLine };
}
