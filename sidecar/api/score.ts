/**
 * `POST /api/v1/score`: events in, risk events out, with the pipeline's contract and explanations (the same
 * `buildRiskEvent`, the same model lease), one risk event per event in request order, whatever its score.
 *
 * Concurrent requests are scored together: requests that arrive while a batch is being scored queue up and go
 * as the next batch (up to `maxBatchRows` events, at most `maxInFlight` batches at once), so many one-event
 * requests cost few round trips to the scoring workers. Each batch takes its own lease, so a promotion takes
 * effect at the next batch and never inside one.
 *
 * An event is an object of field values under their normalized (CIM) names, as the pipeline's sources give
 * them (`src_ip`, `dest_port`, `conn_state`, ...), plus optionally `_time` (epoch seconds or ISO 8601). When it
 * also carries Splunk's `_raw` and `index` (and `sourcetype`, `host`, `source`, `_cd`), it is treated as the
 * Splunk event it is, and its `event_id` is the one the live pipeline gives the same event. Otherwise its
 * `event_id` is a hash of its fields, so the same event always gets the same id.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { RiskEvent } from "../contract/index.ts";
import { buildRiskEvent } from "../pipeline/risk-event.ts";
import type { ModelLease } from "../scoring/holder.ts";
import { riskBand, riskScore } from "../scoring/risk.ts";
import type { Fields, NetEvent } from "../sources/event.ts";
import { ApiError } from "./errors.ts";

export interface LeaseSupplier {
  /** A lease on the version that scores now, or null. */
  acquire(): Promise<ModelLease | null>;
  /** Why nothing can score, for the 503. */
  notReadyReason(): string | null;
}

const value = z.union([z.string().max(4096), z.number(), z.null()]);
export const scoreEvent = z.record(value);

export function scoreBody(maxEvents: number) {
  return z
    .object({
      events: z.array(scoreEvent).min(1, "send at least one event").max(maxEvents, `at most ${maxEvents} events per request (api.score_max_events)`),
    })
    .strict();
}

const SPLUNK_KEYS = new Set(["_raw", "index", "sourcetype", "host", "source", "_cd", "_time"]);

function parseTime(v: string | number | null | undefined): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v !== "string" || v === "") return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return n;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

/** An API event as the pipeline's normalized event (see the module comment for its `origin`). */
export function toNetEvent(input: Record<string, string | number | null>): NetEvent {
  const time = parseTime(input._time);
  const fields: Fields = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === null || v === "" || SPLUNK_KEYS.has(k)) continue;
    fields[k] = v;
  }
  if (typeof input._raw === "string" && typeof input.index === "string") {
    const str = (k: string) => (typeof input[k] === "string" ? (input[k] as string) : "");
    return {
      fields,
      time,
      origin: { kind: "splunk", index: input.index, raw: input._raw, sourcetype: str("sourcetype"), host: str("host"), source: str("source"), cd: str("_cd"), time: time ?? 0 },
    };
  }
  const raw = JSON.stringify(Object.keys(input).sort().map((k) => [k, input[k]]));
  return { fields, time, origin: { kind: "file", file: "api", line: 0, raw } };
}

interface Pending {
  events: NetEvent[];
  resolve(r: ScoreResult): void;
  reject(e: unknown): void;
}

export interface ScoreResult {
  run_id: string;
  model: { name: string; version: string; kind: string };
  risk_events: RiskEvent[];
}

export interface BatchScorerOptions {
  /** Events per batch sent to the scorer (default 2048). A single larger request is one batch of its own. */
  maxBatchRows?: number;
  /** Batches being scored at once (default 2). */
  maxInFlight?: number;
}

export class BatchScorer {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxRows: number;
  private readonly maxInFlight: number;
  /** Counters for /metrics. */
  batches = 0;
  events = 0;

  constructor(
    private readonly model: LeaseSupplier,
    opts: BatchScorerOptions = {},
  ) {
    this.maxRows = opts.maxBatchRows ?? 2048;
    this.maxInFlight = opts.maxInFlight ?? 2;
  }

  score(events: NetEvent[]): Promise<ScoreResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
        const batch: Pending[] = [];
        let rows = 0;
        while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0]!.events.length <= this.maxRows)) {
          const p = this.queue.shift()!;
          rows += p.events.length;
          batch.push(p);
        }
        this.inFlight++;
        void this.run(batch, rows).finally(() => {
          this.inFlight--;
          if (this.queue.length > 0) this.pump();
        });
      }
    });
  }

  private async run(batch: Pending[], rows: number): Promise<void> {
    let lease: ModelLease | null = null;
    try {
      lease = await this.model.acquire();
      if (!lease) throw new ApiError(503, `no model can score: ${this.model.notReadyReason() ?? "not loaded"}`);
      const m = lease.model;
      const all: NetEvent[] = new Array<NetEvent>(rows);
      let i = 0;
      for (const p of batch) for (const e of p.events) all[i++] = e;
      const x = new Float32Array(rows * m.width);
      for (let r = 0; r < rows; r++) m.featurize(all[r]!.fields, x, r * m.width);
      // Threshold 0: every row is kept and explained.
      const { probs, tops } = await m.assess(x, rows, 0, all);
      this.batches++;
      this.events += rows;
      const scoredAt = new Date().toISOString();
      const model = { name: m.name, kind: m.kind, version: m.version, featureSchema: m.featureSchema, threshold: m.threshold };
      let offset = 0;
      for (const p of batch) {
        const runId = randomUUID();
        const ctx = { runId, scoredAt, model, riskObjectField: "src_ip", threatObjectField: "dest_ip" };
        const out = new Array<RiskEvent>(p.events.length);
        for (let j = 0; j < p.events.length; j++) {
          const prob = probs[offset + j]!;
          const s = riskScore(prob);
          out[j] = buildRiskEvent(p.events[j]!, prob, s, riskBand(s), tops[offset + j]!, ctx);
        }
        offset += p.events.length;
        p.resolve({ run_id: runId, model: { name: m.name, version: m.version, kind: m.kind }, risk_events: out });
      }
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      lease?.release();
    }
  }
}
