/**
 * One scoring run over one window of one source: pull → featurize → score → explain the written ones →
 * write → flush → commit. The checkpoint advances only after the sink says every write of the window is
 * durable; on any failure it stays, and the next run retries the same window (ids make the rewrite idempotent).
 *
 * Batches are pipelined: while the scorer (worker threads) scores batch n, the main thread parses and
 * featurizes batch n+1. Results are consumed in order.
 */
import { randomUUID } from "node:crypto";
import type { Fields, NetEvent, RejectedRow } from "../sources/event.ts";
import type { Sink } from "../sinks/sink.ts";
import {
  buildRiskEvent,
  type RiskBand,
  type RiskEvent,
  type TopFeature,
} from "../contract/risk-event.ts";
import { riskBand, riskScore } from "../scoring/risk.ts";

/** A loaded model, ready to score: what the pipeline needs of features + scoring + explanations. */
export interface ScoringModel {
  name: string;
  version: string;
  featureSchema: string;
  /** Decision threshold on the calibrated probability. */
  threshold: number;
  /** Input row width. */
  width: number;
  featurize(fields: Fields, out: Float32Array, offset: number): void;
  /** Calibrated probabilities for `rows` rows of `x`. May transfer (detach) `x`. */
  score(x: Float32Array, rows: number): Promise<Float32Array>;
  /** Top contributing source fields for each of the given rows (`x` holds exactly these rows). */
  explain(x: Float32Array, rows: number, events: NetEvent[]): Promise<TopFeature[][]>;
}

export interface SourceBatch {
  events: NetEvent[];
  rejected: RejectedRow[];
}

/** A source pulls one window at a time. Positions are JSON values owned by the source. */
export interface EventSource<W = unknown> {
  readonly name: string;
  /** The next window after `position` (undefined on the first run), or null when there is nothing new. */
  plan(position: unknown): Promise<W | null>;
  read(window: W): AsyncIterable<SourceBatch>;
  /** The position to commit once `window` is fully written. */
  endPosition(window: W): unknown;
}

export interface RunReport {
  run_id: string;
  source: string;
  started_at: string;
  duration_seconds: number;
  window: unknown;
  events_pulled: number;
  events_scored: number;
  events_written: number;
  events_rejected: number;
  /** First few rejected rows, with line numbers and reasons. */
  rejected_samples: RejectedRow[];
  by_band: Record<RiskBand, number>;
  model_name: string;
  model_version: string;
  committed: boolean;
  error: string | null;
  /** The highest-scoring written events (at most `topN`), highest first. */
  top: RiskEvent[];
  /** Time spent in: waiting for the source's batches, featurizing, waiting for scores, explaining and writing. */
  seconds: { pull: number; featurize: number; score: number; explain_write: number };
}

export interface RunOptions {
  source: EventSource;
  model: ScoringModel;
  sink: Sink<RiskEvent>;
  minRiskScore: number;
  /** Committed after a successful flush; omit for one-shot scoring that keeps no position. */
  checkpoint?: { get(): unknown; commit(position: unknown): void };
  window?: unknown;
  riskObjectField?: string;
  threatObjectField?: string;
  /** Batches being scored while the next is featurized. */
  maxInFlight?: number;
  topN?: number;
  now?: () => Date;
}

const MAX_REJECTED_SAMPLES = 20;

export async function runOnce(opts: RunOptions): Promise<RunReport | null> {
  const now = opts.now ?? (() => new Date());
  const window = opts.window !== undefined ? opts.window : await opts.source.plan(opts.checkpoint?.get());
  if (window === null) return null;
  const started = now();
  const t0 = performance.now();
  const m = opts.model;
  const report: RunReport = {
    run_id: randomUUID(),
    source: opts.source.name,
    started_at: started.toISOString(),
    duration_seconds: 0,
    window,
    events_pulled: 0,
    events_scored: 0,
    events_written: 0,
    events_rejected: 0,
    rejected_samples: [],
    by_band: { informational: 0, low: 0, medium: 0, high: 0, critical: 0 },
    model_name: m.name,
    model_version: m.version,
    committed: false,
    error: null,
    top: [],
    seconds: { pull: 0, featurize: 0, score: 0, explain_write: 0 },
  };
  const ctx = {
    runId: report.run_id,
    scoredAt: started.toISOString(),
    model: { name: m.name, version: m.version, featureSchema: m.featureSchema, threshold: m.threshold },
    riskObjectField: opts.riskObjectField ?? "src_ip",
    threatObjectField: opts.threatObjectField ?? "dest_ip",
  };
  const topN = opts.topN ?? 10;
  const maxInFlight = opts.maxInFlight ?? 4;
  const inFlight: { events: NetEvent[]; x: Float32Array; scored: Promise<Float32Array> }[] = [];

  const consume = async (): Promise<void> => {
    const b = inFlight.shift()!;
    const ts = performance.now();
    const probs = await b.scored;
    report.seconds.score += (performance.now() - ts) / 1000;
    const te = performance.now();
    const keep: number[] = [];
    for (let i = 0; i < probs.length; i++) {
      const s = riskScore(probs[i]!);
      report.by_band[riskBand(s)]++;
      if (s >= opts.minRiskScore) keep.push(i);
    }
    report.events_scored += probs.length;
    if (keep.length > 0) {
      const w = m.width;
      const xs = new Float32Array(keep.length * w);
      const evs: NetEvent[] = [];
      // `b.x` may have been transferred to a worker (then it is detached, length 0): re-featurize in that case.
      const intact = b.x.length === b.events.length * w;
      keep.forEach((row, j) => {
        if (intact) xs.set(b.x.subarray(row * w, (row + 1) * w), j * w);
        else m.featurize(b.events[row]!.fields, xs, j * w);
        evs.push(b.events[row]!);
      });
      const tops = await m.explain(xs, keep.length, evs);
      const out = keep.map((row, j) => {
        const p = probs[row]!;
        const s = riskScore(p);
        return buildRiskEvent(b.events[row]!, p, s, riskBand(s), tops[j]!, ctx);
      });
      const r = await opts.sink.send(out);
      if (r.kind !== "success") throw new Error(`sink refused a batch: ${r.reason}`);
      report.events_written += out.length;
      mergeTop(report.top, out, topN);
    }
    report.seconds.explain_write += (performance.now() - te) / 1000;
  };

  try {
    let tp = performance.now();
    for await (const batch of opts.source.read(window)) {
      report.seconds.pull += (performance.now() - tp) / 1000;
      report.events_pulled += batch.events.length;
      report.events_rejected += batch.rejected.length;
      for (const r of batch.rejected) if (report.rejected_samples.length < MAX_REJECTED_SAMPLES) report.rejected_samples.push(r);
      if (batch.events.length === 0) {
        tp = performance.now();
        continue;
      }
      const tf = performance.now();
      const x = new Float32Array(batch.events.length * m.width);
      for (let i = 0; i < batch.events.length; i++) m.featurize(batch.events[i]!.fields, x, i * m.width);
      report.seconds.featurize += (performance.now() - tf) / 1000;
      inFlight.push({ events: batch.events, x, scored: m.score(x, batch.events.length) });
      while (inFlight.length >= maxInFlight) await consume();
      tp = performance.now();
    }
    report.seconds.pull += (performance.now() - tp) / 1000;
    while (inFlight.length > 0) await consume();
    const f = await opts.sink.flush();
    if (f.kind !== "success") throw new Error(`sink could not flush: ${f.reason}`);
    if (opts.checkpoint) {
      opts.checkpoint.commit(opts.source.endPosition(window));
      report.committed = true;
    }
  } catch (e) {
    report.error = e instanceof Error ? e.message : String(e);
    // Settle what is still in flight so no promise rejects unobserved.
    await Promise.allSettled(inFlight.map((b) => b.scored));
  }
  report.duration_seconds = (performance.now() - t0) / 1000;
  return report;
}

/** Keeps `top` as the `n` highest-scoring events seen, highest first. */
function mergeTop(top: RiskEvent[], batch: RiskEvent[], n: number): void {
  for (const e of batch) {
    if (top.length < n || e.probability > top[top.length - 1]!.probability) {
      top.push(e);
      top.sort((a, b) => b.probability - a.probability);
      if (top.length > n) top.pop();
    }
  }
}
