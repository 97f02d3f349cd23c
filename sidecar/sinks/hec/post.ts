/**
 * Posting to `/services/collector/event`: one gzipped post, retried under policy `hec.event` (backoff with
 * full jitter, `Retry-After` honoured) until the `send`'s deadline. A post that HEC refuses at event N (400
 * with `invalid-event-number` and a per-event code) drops event N (reported through `onDrop`) and posts all
 * the others again, those before N included: Splunk's statements conflict on whether they were indexed, a 400
 * carries no ackId, and `event_id` makes a second copy harmless (ADR 0011).
 */
import { policyFor, type EndpointPolicy } from "../../http/policy.ts";
import { retry, type AttemptContext } from "../../http/retry.ts";
import type { HttpResponse } from "../../http/transport.ts";
import type { SinkResult } from "../sink.ts";
import type { AckTracker } from "./ack.ts";
import { MIN_ATTEMPT_MS } from "./ack.ts";
import { codeText, parseReply, type HecConnection } from "./connection.ts";
import { gzipBody, without, type Post } from "./encode.ts";
import type { HecCounters } from "./connection.ts";

const EVENT_PATH = "/services/collector/event";

/** Per-event codes: the event at `invalid-event-number` is malformed; the others are fine. */
const EVENT_CODES = new Set([6, 12, 13, 15]);

type PostOutcome = SinkResult | { kind: "partial"; bad: number; reason: string };

/** Test timings of the post retries (the counts and budget are the policy's). */
export type PostRetryTuning = Partial<Pick<EndpointPolicy, "baseMs" | "maxMs">> & {
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
};

export interface PosterOptions {
  conn: HecConnection;
  counters: HecCounters;
  /** Undefined with ack off. */
  acks: AckTracker | undefined;
  /** Timeout of one request, ms (cut to the time left before the deadline, never below 1 s). */
  timeoutMs: number;
  gzipLevel?: number;
  retry?: PostRetryTuning;
  signal: AbortSignal;
  /**
   * A 200 without `ackId` while ack is on (Splunk Cloud, or a token with indexer acknowledgement off). The
   * sink stops waiting for acks (a 200 then means received, like ack off) and reports it once.
   */
  onAckUnavailable?: () => void;
  /** True once HEC showed it gives no ackIds: posts are then not tracked. */
  ackUnavailable?: () => boolean;
  onDrop: (reason: string, eventId: string | undefined) => void;
}

export class Poster {
  constructor(private readonly o: PosterOptions) {}

  /** One post, and after a partial reply the post of all its events but the bad one, until `deadlineAt` (epoch ms). */
  async deliver(post: Post, deadlineAt: number): Promise<SinkResult> {
    let rest: Post | undefined = post;
    while (rest !== undefined && rest.ids.length > 0) {
      const body = await gzipBody(rest.body, this.o.gzipLevel);
      let partial: { bad: number; reason: string } | undefined;
      const current: Post = rest;
      const policy = policyFor("hec.event", { deadlineMs: Math.max(0, deadlineAt - Date.now()), baseMs: this.o.retry?.baseMs, maxMs: this.o.retry?.maxMs });
      const r = await retry(
        async (ctx) => {
          const o = await this.postOnce(body, current.ids.length, ctx);
          if (o.kind !== "partial") return o;
          partial = o;
          return { kind: "success" } as SinkResult;
        },
        {
          ...policy,
          random: this.o.retry?.random,
          sleep: this.o.retry?.sleep,
          signal: this.o.signal,
          retryable: (o) => ("value" in o && o.value.kind === "retryable" ? { retryAfterMs: o.value.retryAfterMs } : false),
          onRetry: () => void this.o.counters.retries++,
        },
      );
      if (!partial) return r;
      this.o.onDrop(partial.reason, current.ids[partial.bad]);
      rest = without(current, partial.bad);
    }
    return { kind: "success" };
  }

  /** Posts `body` holding `count` events. */
  private async postOnce(body: Buffer, count: number, ctx: AttemptContext): Promise<PostOutcome> {
    const c = this.o.counters;
    c.posts++;
    c.bytes_sent += body.length;
    let res: HttpResponse;
    try {
      res = await this.o.conn.request(EVENT_PATH, {
        method: "POST",
        body,
        gzip: true,
        timeoutMs: Math.min(this.o.timeoutMs, Math.max(ctx.remainingMs, MIN_ATTEMPT_MS)),
      });
    } catch (e) {
      return this.o.conn.errorResult(e);
    }
    const reply = parseReply(res.body);
    if (res.status === 200) {
      c.events_sent += count;
      if (!this.o.acks) return { kind: "success" };
      if (typeof reply?.ackId !== "number" || this.o.ackUnavailable?.()) {
        // Splunk Cloud, or a token with ack off: a 200 means received; the checkpoint plus event_id carry the guarantee.
        c.events_accepted_unacked += count;
        this.o.onAckUnavailable?.();
        return { kind: "success" };
      }
      this.o.acks.add(reply.ackId, count);
      return { kind: "success" };
    }
    const bad = reply?.["invalid-event-number"];
    if (res.status === 400 && reply?.code !== undefined && EVENT_CODES.has(reply.code) && Number.isInteger(bad) && bad! >= 0 && bad! < count) {
      // Events before `bad` may or may not be indexed, and a 400 has no ackId: they are resent, not counted.
      return { kind: "partial", bad: bad!, reason: codeText(reply) };
    }
    return this.o.conn.replyResult(res, reply);
  }
}

/** Limits the posts in flight. */
export class Semaphore {
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
