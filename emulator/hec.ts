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
}

type Auth = { ok: true; token: HecTokenConfig } | { ok: false; code: number };

export class Hec {
  private readonly tokens = new Map<string, HecTokenConfig>();
  private readonly channels = new Map<string, Channel>();
  ackDelayMs: number;

  constructor(private readonly d: HecDeps) {
    for (const t of d.tokens) this.tokens.set(t.token, t);
    this.ackDelayMs = d.ackDelayMs;
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
      for (let i = 0; i < lines.objects.length; i++) {
        const o = lines.objects[i];
        const err = this.indexParsed(o, token, defaults, nowMs, (e) => {
          block ??= this.d.store.addBlock(gzipped ? gzipBlock(gzipped) : textBlock(text));
          this.d.store.appendFromBlock(e, block, lines.starts[i], lines.ends[i]);
        });
        if (err !== 0) return reply(res, err, { "invalid-event-number": i });
      }
      return this.success(res, token, channelId);
    }
    const { parts, bad } = splitConcatenatedJson(text);
    for (let i = 0; i < parts.length; i++) {
      const err = this.indexOne(parts[i], token, defaults, nowMs);
      if (err !== 0) return reply(res, err, { "invalid-event-number": i });
    }
    if (bad !== undefined) return reply(res, 6, { "invalid-event-number": bad });
    return this.success(res, token, channelId);
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

  /** Validates and stores one event; returns 0 or the HEC error code. */
  private indexOne(src: string, token: HecTokenConfig, defaults: Defaults, nowMs: number): number {
    let o: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(src);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return 6;
      o = parsed as Record<string, unknown>;
    } catch {
      return 6;
    }
    return this.indexParsed(o, token, defaults, nowMs, (e, ev) => {
      this.d.store.append({ ...e, raw: typeof ev === "string" ? ev : JSON.stringify(ev) });
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

/** A gzipped body kept as it arrived: 10 to 20 times smaller than its text. */
function gzipBlock(gz: Buffer): RawBlock {
  return { text: () => gunzipSync(gz).toString("utf8"), read: readLine };
}
