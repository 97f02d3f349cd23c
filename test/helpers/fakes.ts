// Stubs for the pipeline's seams (STYLE 10: wrappers get stub interfaces): a sink that records what it is
// sent and answers what it is told, a scoring model whose scores are an event field, and a source that
// yields fixed batches. HTTP clients are tested against the emulator instead (test/helpers/splunk-target.ts).
import type { RiskEvent, TopFeature } from "../../sidecar/contract/index.ts";
import type { ScoringModel } from "../../sidecar/scoring/model.ts";
import type { Sink, SinkResult } from "../../sidecar/sinks/sink.ts";
import type { NetEvent } from "../../sidecar/sources/event.ts";
import type { EventSource, SourceBatch } from "../../sidecar/sources/source.ts";

/** What a FakeSink answers: a fixed result, or one chosen per call (`call` counts from 1). */
export type FakeAnswer<T> = SinkResult | ((batch: readonly T[], call: number) => SinkResult);

export interface FakeSinkOptions<T> {
  /** Default success. A batch is recorded in `batches` only when the answer is success. */
  send?: FakeAnswer<T>;
  /** Default success; `call` counts flushes. */
  flush?: SinkResult | ((call: number) => SinkResult);
}

/** A sink in memory: records the batches it accepts and counts every call. */
export class FakeSink<T = RiskEvent> implements Sink<T> {
  /** Batches answered with success, in order. */
  readonly batches: T[][] = [];
  /** Every send's answer, in order. */
  readonly answers: SinkResult[] = [];
  started = 0;
  flushed = 0;
  shutdowns = 0;

  constructor(private readonly o: FakeSinkOptions<T> = {}) {}

  /** A sink whose every send is refused for good (`failure`). */
  static failing<T = RiskEvent>(reason: string): FakeSink<T> {
    return new FakeSink<T>({ send: { kind: "failure", reason } });
  }

  /** A sink whose every send runs out of retry budget (`retryable`). */
  static retryable<T = RiskEvent>(reason: string, retryAfterMs?: number): FakeSink<T> {
    return new FakeSink<T>({ send: { kind: "retryable", reason, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) } });
  }

  /** Every event of the accepted batches, in order. */
  get sent(): T[] {
    return this.batches.flat();
  }

  start(): Promise<void> {
    this.started++;
    return Promise.resolve();
  }

  send(batch: T[]): Promise<SinkResult> {
    const a = this.o.send ?? { kind: "success" };
    const r = typeof a === "function" ? a(batch, this.answers.length + 1) : a;
    this.answers.push(r);
    if (r.kind === "success") this.batches.push(batch.slice());
    return Promise.resolve(r);
  }

  flush(): Promise<SinkResult> {
    this.flushed++;
    const a = this.o.flush ?? { kind: "success" };
    return Promise.resolve(typeof a === "function" ? a(this.flushed) : a);
  }

  shutdown(): Promise<void> {
    this.shutdowns++;
    return Promise.resolve();
  }
}

/** What a FakeModel has been asked: the row count of each `score`, and the feature values of each `explain`. */
export interface FakeModelLog {
  scoreRows: number[];
  explained: number[][];
}

/**
 * A model with one input column, the event's field `p`, which is also its probability (so a test chooses the
 * scores by choosing the events). Explanations name the event's line (`line` = origin line, contribution 0.5),
 * so their order can be checked. `score` detaches `x` as the worker pool does; `assess` is score, keep the
 * rows whose risk score is at least the minimum, explain them, as the pool does it.
 */
export function fakeModel(log: FakeModelLog = { scoreRows: [], explained: [] }, o: Partial<Pick<ScoringModel, "name" | "version" | "threshold">> = {}): ScoringModel & { log: FakeModelLog } {
  const m: ScoringModel & { log: FakeModelLog } = {
    log,
    name: o.name ?? "fake",
    kind: "supervised",
    version: o.version ?? "v0001",
    featureSchema: "abc",
    threshold: o.threshold ?? 0.5,
    width: 1,
    featurize: (f, out, offset) => {
      out[offset] = Number(f.p);
    },
    score: (x, rows) => {
      log.scoreRows.push(rows);
      const p = new Float32Array(rows);
      p.set(x.subarray(0, rows));
      // Take the buffer as the pool does: the caller must not need it afterwards.
      structuredClone(x, { transfer: [x.buffer as ArrayBuffer] });
      return Promise.resolve(p);
    },
    explain: (x, rows, evs) => {
      log.explained.push(Array.from(x.subarray(0, rows)));
      const tops: TopFeature[][] = evs.slice(0, rows).map((e) => [{ feature: "line", value: (e.origin as { line: number }).line, contribution: 0.5 }]);
      return Promise.resolve(tops);
    },
    assess: async (x, rows, minRiskScore, evs) => {
      const all = x.slice(0, rows);
      const probs = await m.score(x, rows);
      const keep = [...probs.keys()].filter((i) => Math.round(100 * probs[i]!) >= minRiskScore);
      const xs = Float32Array.from(keep, (i) => all[i]!);
      return { probs, keep, tops: await m.explain(xs, keep.length, keep.map((i) => evs[i]!)) };
    },
  };
  return m;
}

/** File events whose field `p` is the probability fakeModel gives them; line numbers count from `firstLine`. */
export function scoredEvents(ps: readonly number[], firstLine: number): NetEvent[] {
  return ps.map((p, i) => ({
    fields: { p: String(p), src_ip: "10.0.0.1", dest_ip: "10.0.0.2" },
    time: 1_700_000_000 + firstLine + i,
    origin: { kind: "file", file: "/data/conn.log", line: firstLine + i, raw: `row ${firstLine + i}` },
  }));
}

/** A source that plans position `true`, yields `batches` on every read, and ends at position "end". */
export function fakeSource(batches: readonly SourceBatch[]): EventSource<true> {
  return { name: "fake", plan: () => Promise.resolve(true), read: async function* () { yield* batches; }, endPosition: () => "end" };
}
