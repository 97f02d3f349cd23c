/**
 * HTTP Event Collector sink (docs/adr/0011-hec-sink.md). `send` splits a batch into posts bounded by event
 * count and uncompressed bytes, gzips each, and posts up to `maxInFlight` at once to `/services/collector/event`,
 * each post retried with backoff until one deadline per `send`. A post that HEC refuses at event N (400 with
 * `invalid-event-number`, the event itself malformed) keeps events before N (HEC indexed them), drops and
 * counts event N, and posts the events after it again. With indexer acknowledgement (the default) every post
 * carries this sink's channel and its `ackId` is kept; `flush` polls `/services/collector/ack` until all are
 * true. Without it, `flush` succeeds once every post got a 200. Cookies a load balancer sets are sent back, so
 * cookie-based sticky sessions keep the channel on one HEC receiver.
 *
 * Contract for the checkpoint: `flush()` covers every `send` since the previous `flush()` returned. Success
 * means all of those events are durable (acknowledged, or 200 with ack off), minus the counted drops. Any
 * other result means some may not be: keep the checkpoint and send them again (their `event_id` makes the
 * duplicates harmless). Either way, the next flush starts afresh.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type { Secret } from "../config/secret.ts";
import { RISK_SOURCETYPE, type RiskEvent } from "../contract/risk-event.ts";
import { logEvent } from "../telemetry/log.ts";
import { HttpClient, isTlsVerificationError, type HttpResponse } from "./http.ts";
import { classify, truncate, withRetry, type AttemptContext, type RetryOptions } from "./retry.ts";
import type { Sink, SinkResult } from "./sink.ts";

const gzip = promisify(gzipCallback);

export type { HecConfig } from "../config/schema.ts";
import type { HecConfig } from "../config/schema.ts";

/** What goes into the HEC envelope for one record: `time` in epoch seconds (omitted: HEC's receive time). */
export interface HecEventParts {
  time?: number;
  event: unknown;
}

export interface HecSinkOptions<T> {
  /** HEC base URL, e.g. `https://splunk.example.com:8088` (a trailing `/services/collector...` is ignored). */
  url: string;
  token: Secret;
  index: string;
  /** Default `soc_assistant:risk`; `soc_assistant:run` for run events. */
  sourcetype?: string;
  /** Default `soc-assistant`. */
  source?: string;
  /** Default: this machine's host name. */
  host?: string;
  /** Indexer acknowledgement (default true): `flush` waits until the indexers confirm every post. */
  ack?: boolean;
  /** PEM file of the CA that signs HEC's certificate; default: Node's public roots. */
  caFile?: string;
  /** PEM text of that CA, instead of `caFile`. */
  ca?: string | Buffer;
  /** Default true; false is logged at WARN on start. */
  verifyTls?: boolean;
  /** Events per post (default 1000). */
  batchMaxEvents?: number;
  /** Uncompressed bytes per post (default 1 000 000). A single larger event goes alone in its post. */
  batchMaxBytes?: number;
  /** Posts in flight at once, over all concurrent `send` calls (default 4). */
  maxInFlight?: number;
  /** Budget of one `send` (all its posts and retries) and of one `flush`'s ack polling, ms (default 120 000). */
  retryDeadlineMs?: number;
  /** Timeout of one HTTP request, ms (default 30 000); shortened to the time left before the deadline, never below 1 s. */
  timeoutMs?: number;
  /** Ack channel (default: a random UUID per sink instance). */
  channel?: string;
  /** Maps a record to its envelope parts. Default: `time` = the record's `_time`, `event` = the other fields. */
  format?: (record: T) => HecEventParts;
  /** Backoff of post retries (defaults: base 200 ms, max 10 s, full jitter). */
  retry?: Pick<RetryOptions, "baseMs" | "maxMs" | "random" | "sleep">;
  /** Ack polling interval: starts at `minMs`, doubles up to `maxMs` (defaults 250 ms, 5 s). */
  ackPoll?: { minMs?: number; maxMs?: number };
  /** zlib level 1-9 (default 1). */
  gzipLevel?: number;
}

export interface HecDropSample {
  reason: string;
  /** The record's `event_id`, when it has one. */
  event_id?: string;
}

/** Counters since the sink was created. */
export interface HecCounters {
  /** Event posts made, retries included. */
  posts: number;
  /** Gzipped body bytes of those posts. */
  bytes_sent: number;
  /** Events HEC accepted (a 200, or the events before the bad one of a partial reply). */
  events_sent: number;
  /** Events whose post was acknowledged by the indexers (ack on). */
  events_acknowledged: number;
  /** Events accepted in a partial (400) reply, which carries no ackId: received, never acknowledged. */
  events_accepted_unacked: number;
  /** Events HEC refused as malformed, not resent. */
  events_dropped: number;
  /** `events_dropped` by reason, e.g. `"code 6: Invalid data format"`. */
  dropped_by_reason: Record<string, number>;
  /** Post attempts after the first one (backoff sleeps taken). */
  retries: number;
  /** Posts whose ackId has not read true yet. */
  acks_pending: number;
  /** Ack polling requests. */
  ack_polls: number;
  /** ackIds given up on when a flush ran out of time (those events must be resent). */
  acks_abandoned: number;
}

/** Splunk HEC reply body: `{"text","code"[,"ackId"][,"invalid-event-number"]}`. */
interface HecReply {
  text?: string;
  code?: number;
  ackId?: number;
  "invalid-event-number"?: number;
  acks?: Record<string, boolean>;
}

/** Per-event codes: the event at `invalid-event-number` is malformed; the others are fine. */
const EVENT_CODES = new Set([6, 12, 13, 15]);
/** Token codes (research §4.1): 1 disabled, 2 required, 3 invalid authorization, 4 invalid token. */
const TOKEN_CODES = new Set([1, 2, 3, 4]);
const MAX_DROP_SAMPLES = 20;
/**
 * zlib level of the posts: 1 compresses risk events about 10:1 (158 bytes an event against 118 at level 6)
 * for half the CPU time (5 µs an event against 9), and CPU is what the sidecar runs out of (ADR 0012).
 */
const DEFAULT_GZIP_LEVEL = 1;
/** zlib output buffer: a whole compressed post (about 160 KB for 1 000 risk events) in one piece, not sixteen. */
const GZIP_CHUNK = 256 * 1024;
const MIN_ATTEMPT_MS = 1000;

/**
 * The events of one post, serialized: their lines joined by newlines as UTF-8, off the JS heap (the strings
 * die young instead of living until the post is answered), where each line ends, and their `event_id`s.
 */
interface Post {
  body: Buffer;
  /** Byte offset where each line ends (exclusive). */
  ends: number[];
  ids: (string | undefined)[];
}

type PostOutcome = SinkResult | { kind: "partial"; bad: number; reason: string };

function parseReply(body: Buffer): HecReply | undefined {
  try {
    const o: unknown = JSON.parse(body.toString("utf8"));
    return o !== null && typeof o === "object" ? (o as HecReply) : undefined;
  } catch {
    return undefined;
  }
}

function codeText(r: HecReply | undefined): string {
  return `code ${r?.code ?? "?"}: ${r?.text ?? "no HEC reply text"}`;
}

/** Default `format`: HEC `time` is the record's `_time`; the event carries every other field. */
function splitTime<T>(record: T): HecEventParts {
  const { _time, ...event } = record as { _time?: unknown } & Record<string, unknown>;
  return typeof _time === "number" ? { time: _time, event } : { event };
}

/** The events of `post` after event `bad`. */
function after(post: Post, bad: number): Post {
  const cut = post.ends[bad]! + 1;
  return { body: post.body.subarray(cut), ends: post.ends.slice(bad + 1).map((e) => e - cut), ids: post.ids.slice(bad + 1) };
}

/** Limits the posts in flight. */
class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

export class HecSink<T extends object = RiskEvent> implements Sink<T> {
  readonly channel: string;
  private readonly base: string;
  private readonly ack: boolean;
  private readonly envelope: string;
  private readonly format: (record: T) => HecEventParts;
  private readonly maxEvents: number;
  private readonly maxBytes: number;
  private readonly deadlineMs: number;
  private readonly timeoutMs: number;
  private readonly slots: Semaphore;
  private client: HttpClient | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<SinkResult>>();
  /** ackId -> events in that post. */
  private readonly pending = new Map<number, number>();
  /** Cookies a load balancer set (cookie-based sticky sessions keep a channel on one HEC receiver). */
  private readonly cookies = new Map<string, string>();
  /** The worst `send` result since the last flush (failure beats retryable). */
  private unflushedProblem: SinkResult | undefined;
  private readonly c: HecCounters = {
    posts: 0,
    bytes_sent: 0,
    events_sent: 0,
    events_acknowledged: 0,
    events_accepted_unacked: 0,
    events_dropped: 0,
    dropped_by_reason: {},
    retries: 0,
    acks_pending: 0,
    ack_polls: 0,
    acks_abandoned: 0,
  };
  /** The first drops, for the run report. */
  readonly dropSamples: HecDropSample[] = [];

  constructor(private readonly opts: HecSinkOptions<T>) {
    this.base = opts.url.replace(/\/services\/collector.*$/, "").replace(/\/+$/, "");
    this.ack = opts.ack ?? true;
    this.channel = opts.channel ?? randomUUID();
    this.format = opts.format ?? splitTime;
    this.maxEvents = opts.batchMaxEvents ?? 1000;
    this.maxBytes = opts.batchMaxBytes ?? 1_000_000;
    this.deadlineMs = opts.retryDeadlineMs ?? 120_000;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.slots = new Semaphore(opts.maxInFlight ?? 4);
    const env = {
      host: opts.host ?? hostname(),
      source: opts.source ?? "soc-assistant",
      sourcetype: opts.sourcetype ?? RISK_SOURCETYPE,
      index: opts.index,
    };
    // The constant middle of every envelope, serialized once.
    this.envelope = JSON.stringify(env).slice(1, -1);
  }

  /** A snapshot of the counters. */
  counters(): HecCounters {
    return { ...this.c, dropped_by_reason: { ...this.c.dropped_by_reason }, acks_pending: this.pending.size };
  }

  /** Creates the HTTP client (reads the CA file: a missing file rejects with its path). No network. */
  start(): Promise<void> {
    if (this.client || this.stopped) return Promise.resolve();
    if (this.opts.verifyTls === false) logEvent("tls_verification_off", { component: "hec", url: this.base });
    try {
      this.client = new HttpClient({
        caFile: this.opts.caFile,
        ca: this.opts.ca,
        verifyTls: this.opts.verifyTls,
        timeoutMs: this.timeoutMs,
        maxSockets: (this.opts.maxInFlight ?? 4) + 1,
      });
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return Promise.resolve();
  }

  async send(batch: T[]): Promise<SinkResult> {
    if (!this.client) return { kind: "failure", reason: this.stopped ? "the HEC sink is shut down" : "the HEC sink is not started" };
    if (batch.length === 0) return { kind: "success" };
    const p = this.sendBatch(this.client, batch);
    this.inFlight.add(p);
    try {
      const r = await p;
      if (r.kind === "failure" || (r.kind === "retryable" && this.unflushedProblem?.kind !== "failure")) this.unflushedProblem = r;
      return r;
    } finally {
      this.inFlight.delete(p);
    }
  }

  /**
   * Resolves once every post since the previous flush is durable: acknowledged (ack on) or answered 200.
   * Retryable when acknowledgements are still missing at the deadline; the pending ackIds are then abandoned.
   */
  async flush(): Promise<SinkResult> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const problem = this.unflushedProblem;
    this.unflushedProblem = undefined;
    if (problem) {
      this.abandonAcks();
      return problem;
    }
    if (!this.ack || this.pending.size === 0) return { kind: "success" };
    const client = this.client;
    if (!client) {
      const reason = `the HEC sink was shut down with ${this.pending.size} posts not acknowledged; keep the checkpoint and resend`;
      this.abandonAcks();
      return { kind: "retryable", reason };
    }
    const posts = this.pending.size;
    const events = [...this.pending.values()].reduce((a, b) => a + b, 0);
    const r = await withRetry((ctx) => this.pollAcks(client, ctx), {
      deadlineMs: this.deadlineMs,
      baseMs: this.opts.ackPoll?.minMs ?? 250,
      maxMs: this.opts.ackPoll?.maxMs ?? 5000,
      jitter: false,
      sleep: this.opts.retry?.sleep,
      signal: this.abort.signal,
    });
    if (r.kind === "success") return r;
    const left = this.pending.size;
    this.abandonAcks();
    const reason = `indexer acknowledgement incomplete: ${left} of ${posts} posts (${events} events in all) not acknowledged (${r.reason}); keep the checkpoint and resend`;
    return r.kind === "failure" ? { kind: "failure", reason } : { kind: "retryable", reason };
  }

  /** Stops retries, closes the connections, waits for sends in flight to settle. Idempotent. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    const client = this.client;
    this.client = undefined;
    client?.close();
    await Promise.allSettled([...this.inFlight]);
  }

  /** GET /services/collector/health: code 17 is healthy; 18-20 (503) name the trouble. */
  /**
   * Whether HEC accepts the token, without indexing anything: an empty event post answers 400 code 5 ("No
   * data") to a valid token and 401/403 (codes 2, 3, 4, 1) to a bad one. `/health` does not look at tokens.
   */
  async checkToken(): Promise<{ ok: boolean; status: number; text: string }> {
    if (!this.client) return { ok: false, status: 0, text: "the HEC sink is not started" };
    try {
      const res = await this.client.request(`${this.base}/services/collector/event`, {
        method: "POST",
        headers: { ...this.headers(), "Content-Type": "application/json; charset=UTF-8" },
        body: Buffer.alloc(0),
      });
      const r = parseReply(res.body);
      const text = r ? codeText(r) : truncate(res.body.toString());
      return { ok: res.status !== 401 && res.status !== 403, status: res.status, text };
    } catch (e) {
      return { ok: false, status: 0, text: this.errorResult(e).reason };
    }
  }

  async healthcheck(): Promise<{ healthy: boolean; status: number; text: string }> {
    if (!this.client) return { healthy: false, status: 0, text: "the HEC sink is not started" };
    try {
      const res = await this.client.request(`${this.base}/services/collector/health`, { method: "GET" });
      const r = parseReply(res.body);
      return { healthy: res.status === 200, status: res.status, text: r ? codeText(r) : truncate(res.body.toString()) };
    } catch (e) {
      return { healthy: false, status: 0, text: this.errorResult(e).reason };
    }
  }

  // --- sending ---------------------------------------------------------------------------------

  /** The batch as posts of at most `maxEvents` events and `maxBytes` bytes (an oversized event alone). */
  private posts(batch: T[]): Post[] {
    const posts: Post[] = [];
    let texts: string[] = [];
    let ids: (string | undefined)[] = [];
    let ends: number[] = [];
    let bytes = 0;
    const close = () => {
      posts.push({ body: Buffer.from(texts.join("\n")), ends, ids });
      texts = [];
      ids = [];
      ends = [];
      bytes = 0;
    };
    for (const record of batch) {
      const eventId = (record as { event_id?: unknown }).event_id;
      const id = typeof eventId === "string" ? eventId : undefined;
      let text: string | undefined;
      try {
        if (this.format === splitTime) text = this.timeFirstLine(record);
        if (text === undefined) {
          const { time, event } = this.format(record);
          const t = time === undefined ? "" : `"time":${JSON.stringify(time)},`;
          text = `{${t}${this.envelope},"event":${JSON.stringify(event)}}`;
        }
      } catch (e) {
        this.drop(`not serializable: ${(e as Error).message}`, id);
        continue;
      }
      const n = Buffer.byteLength(text);
      if (texts.length > 0 && (texts.length >= this.maxEvents || bytes + n > this.maxBytes)) close();
      texts.push(text);
      ids.push(id);
      ends.push(bytes + n);
      bytes += n + 1;
    }
    if (texts.length > 0) close();
    return posts;
  }

  /**
   * The default format's line for a plain record whose first key is a numeric `_time` (a risk event): the
   * record is serialized once and its `_time` member cut out, instead of copying the record without `_time`
   * and serializing the copy. Same text; undefined for any other record.
   */
  private timeFirstLine(record: T): string | undefined {
    const time = (record as { _time?: unknown })._time;
    if (typeof time !== "number" || "toJSON" in record) return undefined;
    const json = JSON.stringify(record);
    const t = JSON.stringify(time);
    const head = `{"_time":${t},`;
    if (!json.startsWith(head)) return undefined;
    return `{"time":${t},${this.envelope},"event":{${json.slice(head.length)}}`;
  }

  private async sendBatch(client: HttpClient, batch: T[]): Promise<SinkResult> {
    const deadlineAt = Date.now() + this.deadlineMs;
    const posts = this.posts(batch);
    let worst: SinkResult = { kind: "success" };
    const running: Promise<void>[] = [];
    for (const post of posts) {
      await this.slots.acquire();
      // After a failed post, start no more: the caller resends the batch anyway.
      if (worst.kind !== "success" || this.abort.signal.aborted) {
        this.slots.release();
        break;
      }
      running.push(
        this.deliver(client, post, deadlineAt)
          .then((r) => {
            if (r.kind === "failure" || (r.kind === "retryable" && worst.kind === "success")) worst = r;
          })
          .finally(() => this.slots.release()),
      );
    }
    await Promise.all(running);
    if (worst.kind === "success" && this.abort.signal.aborted) return { kind: "retryable", reason: "the HEC sink was shut down during the send" };
    return worst;
  }

  /** One post, and after a partial reply the posts of the events after the bad one. */
  private async deliver(client: HttpClient, post: Post, deadlineAt: number): Promise<SinkResult> {
    let rest: Post | undefined = post;
    while (rest !== undefined && rest.ids.length > 0) {
      const body = await gzip(rest.body, { level: this.opts.gzipLevel ?? DEFAULT_GZIP_LEVEL, chunkSize: GZIP_CHUNK });
      let partial: { bad: number; reason: string } | undefined;
      const current: Post = rest;
      const r = await withRetry(
        async (ctx) => {
          const o = await this.postOnce(client, body, current.ids.length, ctx);
          if (o.kind !== "partial") return o;
          partial = o;
          return { kind: "success" };
        },
        {
          deadlineMs: Math.max(0, deadlineAt - Date.now()),
          baseMs: this.opts.retry?.baseMs ?? 200,
          maxMs: this.opts.retry?.maxMs ?? 10_000,
          random: this.opts.retry?.random,
          sleep: this.opts.retry?.sleep,
          signal: this.abort.signal,
          onRetry: () => void this.c.retries++,
        },
      );
      if (!partial) return r;
      this.drop(partial.reason, current.ids[partial.bad]);
      rest = after(current, partial.bad);
    }
    return { kind: "success" };
  }

  /** Posts `body` holding `count` events. */
  private async postOnce(client: HttpClient, body: Buffer, count: number, ctx: AttemptContext): Promise<PostOutcome> {
    this.c.posts++;
    this.c.bytes_sent += body.length;
    let res: HttpResponse;
    try {
      res = await client.request(`${this.base}/services/collector/event`, {
        method: "POST",
        headers: {
          ...this.headers(),
          "Content-Type": "application/json; charset=UTF-8",
          "Content-Encoding": "gzip",
        },
        body,
        timeoutMs: this.attemptTimeout(ctx),
      });
    } catch (e) {
      return this.errorResult(e);
    }
    this.keepCookies(res);
    const reply = parseReply(res.body);
    if (res.status === 200) {
      if (!this.ack) {
        this.c.events_sent += count;
        return { kind: "success" };
      }
      if (typeof reply?.ackId !== "number") {
        this.c.events_sent += count;
        this.c.events_accepted_unacked += count;
        return {
          kind: "failure",
          reason: "HEC accepted the events but returned no ackId: the token has indexer acknowledgement off while hec.ack is true; enable it on the token, or set hec.ack: false",
        };
      }
      this.c.events_sent += count;
      this.pending.set(reply.ackId, count);
      return { kind: "success" };
    }
    const bad = reply?.["invalid-event-number"];
    if (res.status === 400 && reply?.code !== undefined && EVENT_CODES.has(reply.code) && Number.isInteger(bad) && bad! >= 0 && bad! < count) {
      // Events before `bad` were indexed: count them, never resend them.
      this.c.events_sent += bad!;
      if (this.ack) this.c.events_accepted_unacked += bad!;
      return { kind: "partial", bad: bad!, reason: codeText(reply) };
    }
    return this.replyResult(res, reply);
  }

  // --- acknowledgement -------------------------------------------------------------------------

  private async pollAcks(client: HttpClient, ctx: AttemptContext): Promise<SinkResult> {
    this.c.ack_polls++;
    const ids = [...this.pending.keys()];
    let res: HttpResponse;
    try {
      res = await client.request(`${this.base}/services/collector/ack?channel=${encodeURIComponent(this.channel)}`, {
        method: "POST",
        headers: { ...this.headers(), "Content-Type": "application/json; charset=UTF-8" },
        body: JSON.stringify({ acks: ids }),
        timeoutMs: this.attemptTimeout(ctx),
      });
    } catch (e) {
      return this.errorResult(e);
    }
    this.keepCookies(res);
    const reply = parseReply(res.body);
    if (res.status === 200 && reply?.acks && typeof reply.acks === "object") {
      for (const id of ids) {
        if (reply.acks[String(id)] === true) {
          this.c.events_acknowledged += this.pending.get(id) ?? 0;
          this.pending.delete(id);
        }
      }
      if (this.pending.size === 0) return { kind: "success" };
      return { kind: "retryable", reason: `${this.pending.size} acks still false` };
    }
    if (res.status === 400 && reply?.code === 14) {
      return { kind: "failure", reason: "HEC says ACK is disabled (code 14) for this token while hec.ack is true; enable indexer acknowledgement on the token, or set hec.ack: false" };
    }
    return this.replyResult(res, reply);
  }

  private abandonAcks(): void {
    this.c.acks_abandoned += this.pending.size;
    this.pending.clear();
  }

  // --- helpers ---------------------------------------------------------------------------------

  /** The token is revealed here only, for the request being built. */
  private headers(): Record<string, string> {
    const h: Record<string, string> = { Authorization: `Splunk ${this.opts.token.reveal()}`, "X-Splunk-Request-Channel": this.channel };
    if (this.cookies.size > 0) h.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    return h;
  }

  /** Keeps `Set-Cookie` name=value pairs (attributes ignored; an empty value deletes). */
  private keepCookies(res: HttpResponse): void {
    for (const c of res.headers["set-cookie"] ?? []) {
      const pair = c.split(";", 1)[0];
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private attemptTimeout(ctx: AttemptContext): number {
    return Math.min(this.timeoutMs, Math.max(ctx.remainingMs, MIN_ATTEMPT_MS));
  }

  /** A non-200 HEC reply, with the config key to check when retrying cannot help. */
  private replyResult(res: HttpResponse, reply: HecReply | undefined): SinkResult {
    if (res.status === 401 || res.status === 403 || (reply?.code !== undefined && TOKEN_CODES.has(reply.code))) {
      const what = reply?.code !== undefined ? codeText(reply) : `HTTP ${res.status}: ${truncate(res.body.toString())}`;
      return { kind: "failure", reason: `HEC rejected the token (${what}); check hec.token` };
    }
    if (reply?.code === 7) {
      return { kind: "failure", reason: `HEC refused index ${JSON.stringify(this.opts.index)} (${codeText(reply)}); check that hec.index exists and the token may write to it` };
    }
    const r = classify({ status: res.status, body: res.body, retryAfter: res.headers["retry-after"] });
    if (r.kind === "success") return { kind: "failure", reason: `unexpected HEC reply HTTP ${res.status}: ${truncate(res.body.toString())}` };
    return r.kind === "failure" ? { kind: "failure", reason: `HEC refused the request (${r.reason})` } : r;
  }

  private errorResult(e: unknown): Exclude<SinkResult, { kind: "success" }> {
    // An error outcome never classifies as success.
    const r = classify({ error: e }) as Exclude<SinkResult, { kind: "success" }>;
    if (r.kind === "failure" && isTlsVerificationError(e)) {
      return { kind: "failure", reason: `${r.reason} for ${this.base}; set hec.ca_file to the CA that signs the HEC certificate` };
    }
    return r;
  }

  private drop(reason: string, eventId: string | undefined): void {
    this.c.events_dropped++;
    this.c.dropped_by_reason[reason] = (this.c.dropped_by_reason[reason] ?? 0) + 1;
    if (this.dropSamples.length < MAX_DROP_SAMPLES) this.dropSamples.push(eventId === undefined ? { reason } : { reason, event_id: eventId });
  }
}

/** Sink options from the `hec` config section; `overrides` for the run-event sink (sourcetype) and tests. */
export function hecSinkOptions<T extends object = RiskEvent>(cfg: HecConfig, overrides: Partial<HecSinkOptions<T>> = {}): HecSinkOptions<T> {
  return {
    url: cfg.url,
    token: cfg.token,
    index: cfg.index,
    ack: cfg.ack,
    caFile: cfg.ca_file,
    verifyTls: cfg.verify_tls,
    batchMaxEvents: cfg.batch_max_events,
    batchMaxBytes: cfg.batch_max_bytes,
    maxInFlight: cfg.max_in_flight,
    retryDeadlineMs: cfg.retry_deadline_ms,
    timeoutMs: cfg.timeout_ms,
    ...overrides,
  };
}
