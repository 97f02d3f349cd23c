/**
 * One scoring run over one window of one source: pull → featurize → score → explain the written ones →
 * write → flush → commit. The checkpoint advances only after the sink says every write of the window is
 * durable; on any failure it stays, and the next run retries the same window (ids make the rewrite idempotent).
 * A batch that carries a `position` is a commit point inside the window (a chunk of a large file): the batches
 * before it are written and flushed, then that position is committed. Inputs the source could not read
 * (`failures()`) fail the run with their names while what was read is committed.
 *
 * Batches are pipelined: while the scorer (worker threads) scores batch n and explains its written events,
 * the main thread parses and featurizes the batch after it (up to `maxInFlight` batches in flight). A batch's
 * events that are not written are let go as soon as its scores arrive. Results are consumed (risk events built
 * and sent) in order. ADR 0009 has the measurements behind the batch sizes.
 */
import { randomUUID } from "node:crypto";
import type { RiskEvent, RunEvent, TopFeature } from "../contract/index.ts";
import { toNumber, type NetEvent } from "../sources/event.ts";
import type { EventSource } from "../sources/source.ts";
import type { Sink, SinkResult } from "../sinks/sink.ts";
import type { ScoringModel } from "../scoring/model.ts";
import { riskBand, riskScore } from "../scoring/risk.ts";
import { DriftMeter } from "../scoring/drift.ts";
import type { FeatureSpec } from "../features/spec.ts";
import { eventId } from "../sources/event-id.ts";
import { buildRiskEvent, RiskEventWriter } from "./risk-event.ts";

/**
 * What one run reports: the run event's fields this module knows (the recorder adds `_time` and `lag_seconds`;
 * the optional ones come from the sink and from later stages), plus the top events for the printed summary.
 */
export interface RunReport
  extends Omit<RunEvent, "_time" | "sourcetype" | "lag_seconds"> {
  /** The highest-scoring written events (at most `topN`), highest first. */
  top: RiskEvent[];
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
  /** Batches being scored or explained while the next is featurized (default 2). */
  maxInFlight?: number;
  /** Source batches smaller than this are gathered until they hold at least this many events (default 512). */
  batchRows?: number;
  /** Batches whose sink `send` may still be unanswered while the next batch is built (default 2). */
  maxSends?: number;
  topN?: number;
  now?: () => Date;
  /** Called after each source batch: events pulled so far, and the bytes of their lines (file sources). */
  onProgress?: (p: { events: number; bytes: number }) => void;
  /**
   * Checked before each batch: true stops the run at that safe point (what is written stays whole; the
   * checkpoint holds at the last commit, and the next run scores the rest). The report's error says so.
   */
  shouldStop?: () => boolean;
  /**
   * Measure drift (PSI per source field against the model's training histograms, `scoring/drift.ts`): the
   * run event gets `drift`, `drift_max`, and `retrain_suggested` when `drift_max` reaches `threshold`.
   */
  drift?: { spec: FeatureSpec; threshold: number };
}

/** Fields named in `retrain_reason`, most drifted first. */
const DRIFT_REASON_FIELDS = 3;

const MAX_REJECTED_SAMPLES = 20;
/**
 * Batch sizing (ADR 0009): the events of a batch stay alive from parse to write, so batches are kept small
 * enough that most events die in V8's young generation. Gathering up to the scorer's best size (4096) made
 * nearly every event survive two scavenges and get promoted: twice the CPU and 150 MB more heap, for a forward
 * pass only ~15% faster per row. A file source's batches (~900 events) go through as they are.
 */
const DEFAULT_BATCH_ROWS = 512;
const DEFAULT_MAX_IN_FLIGHT = 2;
const DEFAULT_MAX_SENDS = 2;

/** A batch between featurize and write: its scores, and the events to write with their explanations. */
interface Scored {
  probs: Float32Array;
  /** Rows at or above the write threshold, ascending. */
  keep: ArrayLike<number>;
  /** `events[keep[j]]`: the batch's other events are let go as soon as the scores arrive. */
  kept: NetEvent[];
  tops: TopFeature[][];
}

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
    events_dropped: 0,
    rejected_samples: [],
    invalid_values: {},
    by_band: { informational: 0, low: 0, medium: 0, high: 0, critical: 0 },
    model_name: m.name,
    model_kind: m.kind,
    model_version: m.version,
    committed: false,
    error: null,
    top: [],
    seconds: { pull: 0, featurize: 0, score: 0, explain_write: 0 },
  };
  const ctx = {
    runId: report.run_id,
    scoredAt: started.toISOString(),
    model: { name: m.name, kind: m.kind, version: m.version, featureSchema: m.featureSchema, threshold: m.threshold },
    riskObjectField: opts.riskObjectField ?? "src_ip",
    threatObjectField: opts.threatObjectField ?? "dest_ip",
  };
  const writer = new RiskEventWriter(ctx);
  const sink = opts.sink;
  const topN = opts.topN ?? 10;
  const maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
  const maxSends = opts.maxSends ?? DEFAULT_MAX_SENDS;
  const w = m.width;
  const inFlight: Promise<Scored>[] = [];
  const numeric = m.numericFields ?? [];
  const invalid = report.invalid_values!;
  const meter = opts.drift ? new DriftMeter(opts.drift.spec) : undefined;

  /** Featurizes `events` and starts scoring them; the written ones are explained as soon as their scores arrive. */
  const submit = (events: NetEvent[]): void => {
    const tf = performance.now();
    const n = events.length;
    const x = new Float32Array(n * w);
    for (let i = 0; i < n; i++) m.featurize(events[i]!.fields, x, i * w);
    // Values present but not numbers (`abc`, `NaN`, `1e999`): read as missing by the model, counted per field.
    for (let i = 0; i < n; i++) {
      const f = events[i]!.fields;
      for (let k = 0; k < numeric.length; k++) {
        const v = f[numeric[k]!];
        if (v !== undefined && toNumber(v) === undefined && !(typeof v === "string" && v.trim() === "")) invalid[numeric[k]!] = (invalid[numeric[k]!] ?? 0) + 1;
      }
    }
    if (meter) for (let i = 0; i < n; i++) meter.add(events[i]!.fields);
    report.seconds.featurize += (performance.now() - tf) / 1000;
    // One round trip to the scorer: scores, and the explanations of the rows to write.
    const result = m.assess(x, n, opts.minRiskScore, events).then(({ probs, keep, tops }): Scored => {
      const kept = new Array<NetEvent>(keep.length);
      for (let j = 0; j < keep.length; j++) kept[j] = events[keep[j]!]!;
      return { probs, keep, kept, tops };
    });
    // Awaited in order by `consume`; a batch that fails before its turn must not count as an unhandled rejection.
    result.catch(() => undefined);
    inFlight.push(result);
  };

  /**
   * Sends in flight: batch n's posts are answered while batch n+1 is built (the sink bounds posts in flight;
   * this bounds the batches waiting for them). Awaited in order; the first refusal ends the run.
   */
  const sends: Promise<void>[] = [];
  const queueSend = async (sent: Promise<SinkResult>, n: number): Promise<void> => {
    const done = sent.then((r) => {
      if (r.kind !== "success") throw new Error(`sink refused a batch: ${r.reason}`);
      report.events_written += n;
    });
    // Awaited in order below; one that fails before its turn must not count as an unhandled rejection.
    done.catch(() => undefined);
    sends.push(done);
    while (sends.length > maxSends) await sends.shift();
  };

  const consume = async (): Promise<void> => {
    const next = inFlight.shift()!;
    const ts = performance.now();
    const { probs, keep, kept, tops } = await next;
    report.seconds.score += (performance.now() - ts) / 1000;
    const te = performance.now();
    for (let i = 0; i < probs.length; i++) report.by_band[riskBand(riskScore(probs[i]!))]++;
    report.events_scored += probs.length;
    if (keep.length > 0 && sink.sendSerialized) {
      // Each event is serialized once, straight to JSON text, when the sink writes it out; an object is built
      // only for an event that enters the top list.
      const n = keep.length;
      const ids = new Array<string>(n);
      const time = new Float64Array(n);
      const top = report.top;
      for (let j = 0; j < n; j++) {
        const e = kept[j]!;
        ids[j] = eventId(e);
        time[j] = writer.time(e);
        const p = probs[keep[j]!]!;
        if (top.length < topN || Number(p.toFixed(6)) > top[top.length - 1]!.probability) {
          const s = riskScore(p);
          mergeTop(top, [buildRiskEvent(e, p, s, riskBand(s), tops[j]!, ctx)], topN);
        }
      }
      const json = (j: number): string => {
        const p = probs[keep[j]!]!;
        const s = riskScore(p);
        const text = writer.json(kept[j]!, p, s, riskBand(s), tops[j]!, ids[j]);
        // Let go of the event once it is written out.
        kept[j] = undefined as unknown as NetEvent;
        return text;
      };
      await queueSend(sink.sendSerialized({ length: n, json, time, ids }), n);
    } else if (keep.length > 0) {
      const out = new Array<RiskEvent>(keep.length);
      for (let j = 0; j < keep.length; j++) {
        const row = keep[j]!;
        const p = probs[row]!;
        const s = riskScore(p);
        out[j] = buildRiskEvent(kept[j]!, p, s, riskBand(s), tops[j]!, ctx);
      }
      mergeTop(report.top, out, topN);
      await queueSend(sink.send(out), out.length);
    }
    report.seconds.explain_write += (performance.now() - te) / 1000;
  };

  try {
    let pending: NetEvent[] = [];
    let tp = performance.now();
    let bytes = 0;
    for await (const batch of opts.source.read(window)) {
      if (opts.shouldStop?.()) throw new Error("stopped by the user before the end of the window; the next run scores the rest");
      report.seconds.pull += (performance.now() - tp) / 1000;
      if (opts.onProgress) {
        for (const e of batch.events) if (e.origin.kind === "file") bytes += e.origin.raw.length + 1;
        opts.onProgress({ events: report.events_pulled + batch.events.length, bytes });
      }
      report.events_pulled += batch.events.length;
      report.events_rejected += batch.rejected.length;
      for (const r of batch.rejected) if (report.rejected_samples.length < MAX_REJECTED_SAMPLES) report.rejected_samples.push(r);
      if (pending.length === 0 && batch.events.length >= batchRows) {
        pending = batch.events;
      } else {
        for (const e of batch.events) pending.push(e);
      }
      if (batch.position !== undefined && opts.checkpoint) {
        // A commit point: everything up to this batch written and durable, then the position committed.
        if (pending.length > 0) submit(pending);
        pending = [];
        while (inFlight.length > 0) await consume();
        while (sends.length > 0) await sends.shift();
        const f = await opts.sink.flush();
        if (f.kind !== "success") throw new Error(`sink could not flush: ${f.reason}`);
        opts.checkpoint.commit(batch.position);
        report.committed = true;
      } else if (pending.length >= batchRows) {
        submit(pending);
        pending = [];
        while (inFlight.length >= maxInFlight) await consume();
      }
      tp = performance.now();
    }
    report.seconds.pull += (performance.now() - tp) / 1000;
    if (pending.length > 0) submit(pending);
    while (inFlight.length > 0) await consume();
    while (sends.length > 0) await sends.shift();
    const f = await opts.sink.flush();
    if (f.kind !== "success") throw new Error(`sink could not flush: ${f.reason}`);
    report.events_dropped = f.dropped ?? 0;
    if (opts.checkpoint) {
      opts.checkpoint.commit(opts.source.endPosition(window));
      report.committed = true;
    }
    const unreadable = opts.source.failures?.() ?? [];
    if (unreadable.length > 0) report.error = unreadableMessage(unreadable);
  } catch (e) {
    report.error = e instanceof Error ? e.message : String(e);
    // Settle what is still in flight, so no worker is still busy with this run's batches when it returns.
    await Promise.allSettled(inFlight);
    await Promise.allSettled(sends);
  }
  if (meter && opts.drift) {
    const d = meter.result();
    if (d.events > 0) {
      report.drift = d.drift;
      report.drift_max = d.max;
      const over = d.top.filter((t) => t.psi >= opts.drift!.threshold);
      report.retrain_suggested = over.length > 0;
      report.retrain_reason =
        over.length > 0
          ? `drift: ${over.slice(0, DRIFT_REASON_FIELDS).map((t) => `${t.field} PSI ${t.psi.toFixed(2)}`).join(", ")}` +
            `${over.length > DRIFT_REASON_FIELDS ? ` and ${over.length - DRIFT_REASON_FIELDS} more` : ""} (threshold ${opts.drift.threshold}): retrain suggested`
          : null;
    }
  }
  report.duration_seconds = (performance.now() - t0) / 1000;
  return report;
}

/** One sentence for the inputs a source could not read (the others were read and committed). */
export function unreadableMessage(problems: readonly string[]): string {
  return `${problems.length === 1 ? "1 input" : `${problems.length} inputs`} could not be read (the others were scored): ${problems.join("; ")}`;
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
