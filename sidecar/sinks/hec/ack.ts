/**
 * Indexer acknowledgement: the ackIds of the posts HEC answered 200, and the poll of
 * `POST /services/collector/ack?channel=` until every one reads true (policy `hec.ack`: a steady poll from
 * 250 ms doubling to 5 s, until the deadline). An ackId is known only to the receiver that issued it, hence
 * the sticky channel (`connection.ts`, ADR 0011).
 */
import { policyFor } from "../../http/policy.ts";
import { retry, type AttemptContext } from "../../http/retry.ts";
import type { HttpResponse } from "../../http/transport.ts";
import type { SinkResult } from "../sink.ts";
import { parseReply, type HecConnection } from "./connection.ts";
import type { HecCounters } from "./connection.ts";

/** Never shorter than this per request, ms, however little of the deadline is left. */
export const MIN_ATTEMPT_MS = 1000;

export interface AckWait {
  deadlineMs: number;
  minMs?: number;
  maxMs?: number;
  /** Timeout of one poll, ms (cut to the time left, never below `MIN_ATTEMPT_MS`). */
  timeoutMs: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal: AbortSignal;
}

export class AckTracker {
  /** ackId -> events in that post. */
  private readonly pending = new Map<number, number>();

  constructor(private readonly c: HecCounters) {}

  get size(): number {
    return this.pending.size;
  }

  /** Events in the pending posts. */
  events(): number {
    let n = 0;
    for (const v of this.pending.values()) n += v;
    return n;
  }

  add(ackId: number, events: number): void {
    this.pending.set(ackId, events);
  }

  /** Forgets the pending ackIds (the window is resent instead); counted as abandoned. */
  abandon(): void {
    this.c.acks_abandoned += this.pending.size;
    this.pending.clear();
  }

  /** Polls until every pending ackId is true, or the deadline (then the last retryable result). */
  waitAll(conn: HecConnection, w: AckWait): Promise<SinkResult> {
    const p = policyFor("hec.ack", { deadlineMs: w.deadlineMs, baseMs: w.minMs, maxMs: w.maxMs });
    return retry((ctx) => this.poll(conn, ctx, w.timeoutMs), {
      ...p,
      sleep: w.sleep,
      signal: w.signal,
      retryable: (o) => ("value" in o && o.value.kind === "retryable" ? { retryAfterMs: o.value.retryAfterMs } : false),
    });
  }

  private async poll(conn: HecConnection, ctx: AttemptContext, timeoutMs: number): Promise<SinkResult> {
    this.c.ack_polls++;
    const ids = [...this.pending.keys()];
    let res: HttpResponse;
    try {
      res = await conn.request(`/services/collector/ack?channel=${encodeURIComponent(conn.channel)}`, {
        method: "POST",
        body: JSON.stringify({ acks: ids }),
        timeoutMs: Math.min(timeoutMs, Math.max(ctx.remainingMs, MIN_ATTEMPT_MS)),
      });
    } catch (e) {
      return conn.errorResult(e);
    }
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
    return conn.replyResult(res, reply);
  }
}
