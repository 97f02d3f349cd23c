/**
 * HTTP Event Collector sink (docs/adr/0011-hec-sink.md, 0013-one-http-layer.md). `send` cuts a batch into
 * posts (`encode.ts`) and posts up to `maxInFlight` at once (`post.ts`), each retried under policy `hec.event`
 * until one deadline per `send`. With indexer acknowledgement (the default) every post's `ackId` is kept and
 * `flush` polls until all are true (`ack.ts`). Without it, `flush` succeeds once every post got a 200.
 *
 * Retries are inside the sink, per post (see `sink.ts` for why). Events HEC refuses as malformed are dropped,
 * counted, and reported once per `flush`: a `sink_dropped` WARN and `dropped` on its success result.
 *
 * Contract for the checkpoint: `flush()` covers every `send` since the previous `flush()` returned. Success
 * means all of those events are durable (acknowledged, or 200 with ack off), minus the `dropped` ones. Any
 * other result means some may not be: keep the checkpoint and send them again (their `event_id` makes the
 * duplicates harmless). Either way, the next flush starts afresh.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { RISK_SOURCETYPE, type RiskEvent } from "../../contract/index.ts";
import { ENDPOINT_POLICIES } from "../../http/policy.ts";
import { Transport } from "../../http/transport.ts";
import { logEvent } from "../../telemetry/log.ts";
import type { SerializedBatch, Sink, SinkResult } from "../sink.ts";
import { AckTracker } from "./ack.ts";
import { HecConnection, type HecCounters, type HecToken } from "./connection.ts";
import { Encoder, splitTime, type HecEventParts, type Post } from "./encode.ts";
import { checkToken, healthcheck } from "./health.ts";
import { Poster, Semaphore, type PostRetryTuning } from "./post.ts";

export interface HecSinkOptions<T> {
  /** HEC base URL, e.g. `https://splunk.example.com:8088` (a trailing `/services/collector...` is ignored). */
  url: string;
  token: HecToken;
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
  /** Default true; false is logged at WARN once per HEC origin (by the transport). */
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
  /** Backoff timings of post retries (defaults: policy `hec.event`, base 200 ms, max 10 s, full jitter). */
  retry?: PostRetryTuning;
  /**
   * How long `flush` polls for acks before treating the posts as lost, ms: separate from the send deadline
   * (Splunk: poll about every 10 s, treat as lost after about 5 min). Default: policy `hec.ack` (300 000).
   */
  ackDeadlineMs?: number;
  /** The longest interval between ack polls, ms (config `hec.ack_poll_ms`, 10 000): polls start at 250 ms and back off to it; `ackPoll` overrides both. */
  ackPollMs?: number;
  /** Ack polling interval: starts at `minMs`, doubles up to `maxMs` (defaults: policy `hec.ack`, 250 ms, 5 s). */
  ackPoll?: { minMs?: number; maxMs?: number };
  /** zlib level 1-9 (default 2, see `encode.ts`). */
  gzipLevel?: number;
}

export interface HecDropSample {
  reason: string;
  /** The record's `event_id`, when it has one. */
  event_id?: string;
}


/** Drops quoted in one `sink_dropped` log line. */
const MAX_SAMPLES_LOGGED = 5;

interface Started {
  transport: Transport;
  conn: HecConnection;
  poster: Poster;
}

export class HecSink<T extends object = RiskEvent> implements Sink<T> {
  readonly channel: string;
  private readonly base: string;
  private readonly encoder: Encoder<T>;
  private readonly deadlineMs: number;
  private readonly timeoutMs: number;
  private readonly slots: Semaphore;
  private started: Started | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<SinkResult>>();
  private readonly acks: AckTracker | undefined;
  private ackOff = false;
  /** The worst `send` result since the last flush (failure beats retryable). */
  private unflushedProblem: SinkResult | undefined;
  /** Drops since the last flush, by reason, and the first few of them. */
  private droppedSinceFlush: Record<string, number> = {};
  private samplesSinceFlush: HecDropSample[] = [];
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

  constructor(private readonly opts: HecSinkOptions<T>) {
    this.base = opts.url.replace(/\/services\/collector.*$/, "").replace(/\/+$/, "");
    this.channel = opts.channel ?? randomUUID();
    this.deadlineMs = opts.retryDeadlineMs ?? ENDPOINT_POLICIES["hec.event"].deadlineMs;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.slots = new Semaphore(opts.maxInFlight ?? 4);
    this.acks = (opts.ack ?? true) ? new AckTracker(this.c) : undefined;
    this.encoder = new Encoder<T>({
      envelope: {
        host: opts.host ?? hostname(),
        source: opts.source ?? "soc-assistant",
        sourcetype: opts.sourcetype ?? RISK_SOURCETYPE,
        index: opts.index,
      },
      format: opts.format ?? splitTime,
      maxEvents: opts.batchMaxEvents ?? 1000,
      maxBytes: opts.batchMaxBytes ?? 1_000_000,
      onDrop: (reason, id) => this.drop(reason, id),
    });
  }

  /**
   * True once HEC answered a post 200 without `ackId` while `ack` is on (Splunk Cloud, or a token without
   * indexer acknowledgement): the sink then treats a 200 as received, like ack off. Readiness shows it.
   */
  get ackUnavailable(): boolean {
    return this.ackOff;
  }

  /** The fix for `ackUnavailable`, one sentence. */
  static readonly ACK_UNAVAILABLE_FIX =
    "HEC returns no ackId although hec.ack is true (Splunk Cloud, or a token without indexer acknowledgement): enable indexer acknowledgement on the token, or set hec.ack: false; without ack a 200 means received, not indexed; the checkpoint plus event_id carry the guarantee";

  private markAckUnavailable(): void {
    if (this.ackOff) return;
    this.ackOff = true;
    logEvent("hec_ack_unavailable", { sourcetype: this.opts.sourcetype ?? RISK_SOURCETYPE, url: this.base, fix: HecSink.ACK_UNAVAILABLE_FIX });
  }

  /** A snapshot of the counters. */
  counters(): HecCounters {
    return { ...this.c, dropped_by_reason: { ...this.c.dropped_by_reason }, acks_pending: this.acks?.size ?? 0 };
  }

  /** Creates the HTTP transport (reads the CA file: a missing file rejects with its path). No network. */
  start(): Promise<void> {
    if (this.started || this.stopped) return Promise.resolve();
    try {
      const transport = new Transport({
        caFile: this.opts.caFile,
        caFileKey: "hec.ca_file",
        ca: this.opts.ca,
        verifyTls: this.opts.verifyTls,
        verifyTlsKey: "hec.verify_tls",
        timeoutMs: this.timeoutMs,
        maxSockets: (this.opts.maxInFlight ?? 4) + 1,
      });
      const conn = new HecConnection({ base: this.base, token: this.opts.token, channel: this.channel, index: this.opts.index, caFile: this.opts.caFile, transport });
      const poster = new Poster({
        conn,
        counters: this.c,
        acks: this.acks,
        timeoutMs: this.timeoutMs,
        gzipLevel: this.opts.gzipLevel,
        retry: this.opts.retry,
        signal: this.abort.signal,
        onAckUnavailable: () => this.markAckUnavailable(),
        ackUnavailable: () => this.ackOff,
        onDrop: (reason, id) => this.drop(reason, id),
      });
      this.started = { transport, conn, poster };
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return Promise.resolve();
  }

  async send(batch: T[]): Promise<SinkResult> {
    if (!this.started) return { kind: "failure", reason: this.stopped ? "the HEC sink is shut down" : "the HEC sink is not started" };
    if (batch.length === 0) return { kind: "success" };
    return this.track(this.sendPosts(this.started.poster, this.encoder.posts(batch)));
  }

  /** `send` of records the caller serialized (see `Sink.sendSerialized`): the same posts, built without objects. */
  async sendSerialized(batch: SerializedBatch): Promise<SinkResult> {
    if (!this.started) return { kind: "failure", reason: this.stopped ? "the HEC sink is shut down" : "the HEC sink is not started" };
    if (batch.json.length === 0) return { kind: "success" };
    return this.track(this.sendPosts(this.started.poster, this.encoder.serializedPosts(batch)));
  }

  /** Counts `p` as in flight until it settles, and keeps the worst result for `flush`. */
  private async track(p: Promise<SinkResult>): Promise<SinkResult> {
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
   * Drops since the previous flush are logged once (`sink_dropped`) and, on success, returned as `dropped`.
   */
  async flush(): Promise<SinkResult> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const dropped = this.reportDrops();
    const r = await this.settle();
    return r.kind === "success" && dropped > 0 ? { kind: "success", dropped } : r;
  }

  private async settle(): Promise<SinkResult> {
    const problem = this.unflushedProblem;
    this.unflushedProblem = undefined;
    if (problem) {
      this.acks?.abandon();
      return problem;
    }
    const acks = this.acks;
    if (!acks || acks.size === 0) return { kind: "success" };
    if (!this.started) {
      const reason = `the HEC sink was shut down with ${acks.size} posts not acknowledged; keep the checkpoint and resend`;
      acks.abandon();
      return { kind: "retryable", reason };
    }
    const posts = acks.size;
    const events = acks.events();
    // Polls start quick (most acks arrive within a second) and back off to `ackPollMs`, the steady interval
    // Splunk advises (about 10 s) for acks that take long; a fixed 10 s poll would add 10 s to every flush.
    const policy = ENDPOINT_POLICIES["hec.ack"];
    const maxMs = this.opts.ackPoll?.maxMs ?? this.opts.ackPollMs ?? policy.maxMs;
    const r = await acks.waitAll(this.started.conn, {
      deadlineMs: this.opts.ackDeadlineMs ?? policy.deadlineMs,
      minMs: this.opts.ackPoll?.minMs ?? Math.min(policy.baseMs, maxMs),
      maxMs,
      timeoutMs: this.timeoutMs,
      sleep: this.opts.retry?.sleep,
      signal: this.abort.signal,
    });
    if (r.kind === "success") return r;
    const left = acks.size;
    acks.abandon();
    const reason = `indexer acknowledgement incomplete: ${left} of ${posts} posts (${events} events in all) not acknowledged (${r.reason}); keep the checkpoint and resend`;
    return r.kind === "failure" ? { kind: "failure", reason } : { kind: "retryable", reason };
  }

  /** Stops retries, closes the connections, waits for sends in flight to settle. Idempotent. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    const s = this.started;
    this.started = undefined;
    s?.transport.close();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Whether HEC accepts the token (readiness; one attempt). */
  checkToken(): Promise<{ ok: boolean; status: number; text: string }> {
    if (!this.started) return Promise.resolve({ ok: false, status: 0, text: "the HEC sink is not started" });
    return checkToken(this.started.conn);
  }

  /** GET /services/collector/health (readiness; one attempt). */
  healthcheck(): Promise<{ healthy: boolean; status: number; text: string }> {
    if (!this.started) return Promise.resolve({ healthy: false, status: 0, text: "the HEC sink is not started" });
    return healthcheck(this.started.conn);
  }

  private async sendPosts(poster: Poster, posts: Post[]): Promise<SinkResult> {
    const deadlineAt = Date.now() + this.deadlineMs;
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
        poster
          .deliver(post, deadlineAt)
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

  private drop(reason: string, eventId: string | undefined): void {
    this.c.events_dropped++;
    this.c.dropped_by_reason[reason] = (this.c.dropped_by_reason[reason] ?? 0) + 1;
    this.droppedSinceFlush[reason] = (this.droppedSinceFlush[reason] ?? 0) + 1;
    const sample = eventId === undefined ? { reason } : { reason, event_id: eventId };
    if (this.samplesSinceFlush.length < MAX_SAMPLES_LOGGED) this.samplesSinceFlush.push(sample);
  }

  /** Logs the drops since the previous flush once, at WARN; returns their count and starts counting afresh. */
  private reportDrops(): number {
    const byReason = this.droppedSinceFlush;
    const n = Object.values(byReason).reduce((a, b) => a + b, 0);
    if (n === 0) return 0;
    const samples = this.samplesSinceFlush;
    this.droppedSinceFlush = {};
    this.samplesSinceFlush = [];
    logEvent("sink_dropped", { sink: "hec", sourcetype: this.opts.sourcetype ?? RISK_SOURCETYPE, dropped: n, by_reason: byReason, samples });
    return n;
  }
}
