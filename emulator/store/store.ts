// The emulator's event store: columnar, append-only, plus generator segments that replay a sample with
// shifted times (a benchmark can hold millions of events while storing only the sample).
//
// Contract:
// - An event is addressed by a numeric ref. Appended events have refs 0..size-1 in append order;
//   generated events have refs >= GENERATOR_BASE. Refs are stable for the store's lifetime.
// - scan() yields refs newest first by _time (ties: the later-stored event first), within
//   [earliest, latest) on _time and [indexEarliest, indexLatest) on _indextime; times are epoch seconds.
// - Fields other than the metadata are extracted from _raw at read time (Splunk's search-time extraction).
// - An event may keep its _raw in a shared block (a HEC request body, gzipped as it arrived) instead of a
//   string of its own: the block derives the _raw when the event is read, so millions of HEC events cost
//   their compressed bytes and a few numbers each.

import { extractFields, flattenJson, type DelimitedSchema, type ExtractionMode, type Fields, type FieldValue } from "./extract.ts";

export interface EventInput {
  /** Event time, epoch seconds (fractions allowed). */
  time: number;
  /** Index time, epoch seconds; default: the store's clock at append. */
  indextime?: number;
  index?: string;
  sourcetype?: string;
  host?: string;
  source?: string;
  raw: string;
  /** Indexed fields (HEC `fields`), returned beside the extracted ones. */
  fields?: Fields;
  /** Delimited extraction for this event (Zeek TSV); otherwise the sourcetype's extraction mode applies. */
  schema?: DelimitedSchema;
}

export interface GeneratorSpec {
  /** Events to replay; only their relative times matter (sorted by time here). */
  sample: EventInput[];
  /** Total events this segment holds. */
  count: number;
  /** Time of the first generated event (epoch s). Default: chosen so the last one falls at `end`. */
  start?: number;
  /** Time of the last generated event (epoch s) when `start` is not given. Default: now. */
  end?: number;
  /** Shift between two replays of the sample (s). Default: the sample's span plus one mean gap. */
  periodSeconds?: number;
  /** Ignore the sample's own times and space events evenly at this rate (events per second). */
  ratePerSecond?: number;
  /** `_indextime` = `_time` + lagSeconds (default 0). */
  lagSeconds?: number;
  index?: string;
  sourcetype?: string;
  host?: string;
  source?: string;
  /** `auto` (default) rewrites a leading Zeek `ts` column to the shifted time so each _raw is unique. */
  rewriteRaw?: "auto" | "none";
}

/** What a block gives for one of its events. */
export interface BlockEvent {
  raw: string;
  /** The parsed JSON object `raw` is the serialization of, when it is one: extraction then skips parsing `raw`. */
  json?: Record<string, unknown>;
}

/**
 * Text shared by many events (see the module contract): a string, or UTF-8 bytes (`T` = `Buffer`, offsets in
 * bytes), whichever the writer found its events in.
 */
export interface RawBlock<T extends string | Buffer = string> {
  /** The block's text; called when one of its events is read (the store keeps the last few texts). */
  text(): T;
  /** The event stored at [start, end) of the text. */
  read(text: T, start: number, end: number): BlockEvent;
}

export interface ScanOptions {
  /** Index names to scan. */
  indexes: Iterable<string>;
  earliest?: number;
  latest?: number;
  indexEarliest?: number;
  indexLatest?: number;
}

export const GENERATOR_BASE = 2 ** 40;
const GEN_STRIDE = 2 ** 40;

class Growable<T extends Float64Array | Uint32Array> {
  constructor(public a: T, private readonly make: (n: number) => T) {}
  len = 0;
  push(v: number): void {
    if (this.len === this.a.length) {
      const b = this.make(Math.max(16, this.a.length * 2));
      b.set(this.a);
      this.a = b;
    }
    this.a[this.len++] = v;
  }
}
const f64 = (n: number) => new Float64Array(n);
const u32 = (n: number) => new Uint32Array(n);

interface IndexRows {
  rows: Growable<Uint32Array>;
  /** When true, rows are ascending by (time, row); otherwise they are sorted on the next scan. */
  sorted: boolean;
  lastTime: number;
}

interface Segment {
  id: number;
  index: string;
  sampleRaw: string[];
  sampleFields: (Fields | undefined)[];
  sampleSchema: (DelimitedSchema | undefined)[];
  sampleSourcetype: string[];
  sampleHost: string[];
  sampleSource: string[];
  offsets: Float64Array;
  /** Original time of each sample event, to shift a rewritten `ts`. */
  count: number;
  start: number;
  period: number;
  lag: number;
  rewriteTs: boolean[];
  dropped: boolean;
}

/** One event as a search reads it. */
export class EventView {
  private extracted: Fields | undefined;
  private rawText: string | undefined;
  private json: Record<string, unknown> | undefined;
  constructor(
    private readonly store: EventStore,
    readonly ref: number,
    readonly time: number,
    readonly indextime: number,
    readonly index: string,
    readonly sourcetype: string,
    readonly host: string,
    readonly source: string,
    raw: string | (() => BlockEvent),
    readonly cd: string,
    private readonly indexed: Fields | undefined,
    private readonly schema: DelimitedSchema | undefined,
  ) {
    if (typeof raw === "string") this.rawText = raw;
    else this.load = raw;
  }

  private load: (() => BlockEvent) | undefined;

  /** The event's text (derived from its block on first use for block events). */
  get raw(): string {
    if (this.rawText === undefined) {
      const e = this.load!();
      this.load = undefined;
      this.rawText = e.raw;
      this.json = e.json;
    }
    return this.rawText;
  }

  /** Extracted plus indexed fields (not the metadata). */
  fields(): Fields {
    if (!this.extracted) {
      const out: Fields = {};
      const raw = this.raw;
      const mode = this.store.extractionFor(this.sourcetype);
      // The JSON object the raw serializes: flattening it is what parsing the raw again would give.
      if (this.json !== undefined && !this.schema && (mode === "auto" || mode === "json")) flattenJson(this.json, "", out);
      else extractFields(raw, mode, this.schema, out);
      if (this.indexed) Object.assign(out, this.indexed);
      this.extracted = out;
    }
    return this.extracted;
  }

  /** A field by name: metadata first, then indexed and extracted fields. `_time`/`_indextime` are numbers. */
  get(name: string): FieldValue | number | undefined {
    switch (name) {
      case "_time": return this.time;
      case "_indextime": return this.indextime;
      case "_raw": return this.raw;
      case "index": return this.index;
      case "sourcetype": case "_sourcetype": return this.sourcetype;
      case "host": return this.host;
      case "source": return this.source;
      case "_cd": return this.cd;
      case "splunk_server": return this.store.serverName;
      case "linecount": return String(this.raw.split("\n").length);
      case "_bkt": return this.bkt();
      case "_si": return [this.store.serverName, this.index];
      default: return this.fields()[name];
    }
  }

  bkt(): string {
    return `${this.index}~${this.cd.slice(0, this.cd.indexOf(":"))}~${this.store.bucketGuid}`;
  }
}

export class EventStore {
  readonly bucketGuid = "5E3D1C7A-9B1F-4E2A-8C3D-0A1B2C3D4E5F";
  serverName = "emulator";
  /** Extraction mode per sourcetype; unlisted sourcetypes use `defaultExtraction`. */
  readonly extraction = new Map<string, ExtractionMode>();
  defaultExtraction: ExtractionMode = "auto";
  /** Called once for every index name the store sees for the first time. */
  onNewIndex: ((name: string) => void) | undefined;

  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly lastInterned: (string | undefined)[] = [undefined, undefined, undefined, undefined];
  private readonly lastIds = new Uint32Array(4);
  private internNext = 0;
  private readonly time = new Growable(f64(1024), f64);
  private readonly indextime = new Growable(f64(1024), f64);
  private readonly idx = new Growable(u32(1024), u32);
  private readonly st = new Growable(u32(1024), u32);
  private readonly hostCol = new Growable(u32(1024), u32);
  private readonly src = new Growable(u32(1024), u32);
  private readonly seq = new Growable(u32(1024), u32);
  private readonly raw: string[] = [];
  /** Block id + 1 of a block event (0: the raw is in `raw`), and its [start, end) in the block's text. */
  private readonly blk = new Growable(u32(1024), u32);
  private readonly blkStart = new Growable(u32(1024), u32);
  private readonly blkEnd = new Growable(u32(1024), u32);
  private readonly blocks: RawBlock<string | Buffer>[] = [];
  /** The last few block texts read, oldest first. */
  private readonly blockTexts = new Map<number, string | Buffer>();
  private readonly indexed = new Map<number, Fields>();
  private readonly schemas = new Map<number, DelimitedSchema>();
  private readonly byIndex = new Map<string, IndexRows>();
  private readonly segments: Segment[] = [];
  private readonly knownIndexes = new Set<string>();

  constructor(private readonly clock: () => number = Date.now) {}

  extractionFor(sourcetype: string): ExtractionMode {
    return this.extraction.get(sourcetype) ?? this.defaultExtraction;
  }

  /** Appended events (not counting generated ones). */
  get size(): number {
    return this.raw.length;
  }

  /** All events, generated ones included. */
  get totalCount(): number {
    let n = this.size;
    for (const s of this.segments) if (!s.dropped) n += s.count;
    return n;
  }

  private intern(s: string): number {
    // Consecutive events mostly share their metadata: the last few strings interned are checked first.
    if (s === this.lastInterned[0]) return this.lastIds[0]!;
    if (s === this.lastInterned[1]) return this.lastIds[1]!;
    if (s === this.lastInterned[2]) return this.lastIds[2]!;
    if (s === this.lastInterned[3]) return this.lastIds[3]!;
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    const k = this.internNext++ & 3;
    this.lastInterned[k] = s;
    this.lastIds[k] = id;
    return id;
  }

  private noteIndex(name: string): void {
    if (!this.knownIndexes.has(name)) {
      this.knownIndexes.add(name);
      this.onNewIndex?.(name);
    }
  }

  /** Registers a block of text shared by the events `appendFromBlock` adds; returns its id. */
  addBlock<T extends string | Buffer>(block: RawBlock<T>): number {
    this.blocks.push(block as unknown as RawBlock<string | Buffer>);
    return this.blocks.length - 1;
  }

  /** Appends one event whose _raw is derived from [start, end) of block `block`'s text; returns its ref. */
  appendFromBlock(e: Omit<EventInput, "raw" | "schema">, block: number, start: number, end: number): number {
    if (!(block >= 0 && block < this.blocks.length)) throw new Error(`unknown block ${block}`);
    return this.push(e as EventInput, block + 1, start, end);
  }

  /** Appends one event and returns its ref. */
  append(e: EventInput): number {
    return this.push(e, 0, 0, 0);
  }

  private push(e: EventInput, blk: number, start: number, end: number): number {
    const index = e.index ?? "main";
    const row = this.raw.length;
    let rows = this.byIndex.get(index);
    if (!rows) {
      rows = { rows: new Growable(u32(64), u32), sorted: true, lastTime: -Infinity };
      this.byIndex.set(index, rows);
    }
    this.noteIndex(index);
    this.time.push(e.time);
    this.indextime.push(e.indextime ?? Math.floor(this.clock() / 1000));
    this.idx.push(this.intern(index));
    this.st.push(this.intern(e.sourcetype ?? "unknown"));
    this.hostCol.push(this.intern(e.host ?? this.serverName));
    this.src.push(this.intern(e.source ?? "unknown"));
    this.seq.push(rows.rows.len);
    this.raw.push(blk === 0 ? e.raw : "");
    this.blk.push(blk);
    this.blkStart.push(start);
    this.blkEnd.push(end);
    if (e.fields && Object.keys(e.fields).length > 0) this.indexed.set(row, e.fields);
    if (e.schema) this.schemas.set(row, e.schema);
    if (e.time < rows.lastTime) rows.sorted = false;
    rows.lastTime = Math.max(rows.lastTime, e.time);
    rows.rows.push(row);
    return row;
  }

  /** Adds a generator segment; returns its id. */
  addGenerator(spec: GeneratorSpec): number {
    if (spec.sample.length === 0) throw new Error("generator sample is empty");
    if (!(spec.count >= 0)) throw new Error("generator count must be >= 0");
    const sample = [...spec.sample].sort((a, b) => a.time - b.time);
    const t0 = sample[0].time;
    const rate = spec.ratePerSecond;
    if (rate !== undefined && !(rate > 0)) throw new Error("generator ratePerSecond must be > 0");
    const offsets = Float64Array.from(sample, (e, j) => (rate ? j / rate : e.time - t0));
    const span = offsets[offsets.length - 1];
    const n = sample.length;
    const period = spec.periodSeconds ?? (rate ? n / rate : n > 1 && span > 0 ? (span * n) / (n - 1) : 1);
    if (!(period > span)) throw new Error("generator period must exceed the sample's span");
    let start = spec.start;
    if (start === undefined) {
      const end = spec.end ?? this.clock() / 1000;
      const last = Math.max(0, spec.count - 1);
      start = end - Math.floor(last / n) * period - offsets[last % n];
    }
    const index = spec.index ?? sample[0].index ?? "main";
    this.noteIndex(index);
    const seg: Segment = {
      id: this.segments.length,
      index,
      sampleRaw: sample.map((e) => e.raw),
      sampleFields: sample.map((e) => e.fields),
      sampleSchema: sample.map((e) => e.schema),
      sampleSourcetype: sample.map((e) => spec.sourcetype ?? e.sourcetype ?? "unknown"),
      sampleHost: sample.map((e) => spec.host ?? e.host ?? this.serverName),
      sampleSource: sample.map((e) => spec.source ?? e.source ?? "unknown"),
      offsets,
      count: spec.count,
      start,
      period,
      lag: spec.lagSeconds ?? 0,
      rewriteTs: sample.map((e) => spec.rewriteRaw !== "none" && e.schema?.names[0] === "ts"),
      dropped: false,
    };
    this.segments.push(seg);
    return seg.id;
  }

  /** Index names holding (or having held) events, in first-seen order. */
  indexNames(): string[] {
    return [...this.knownIndexes];
  }

  /** Forgets an index's events (DELETE data/indexes/{name}). */
  dropIndex(name: string): void {
    this.byIndex.delete(name);
    for (const s of this.segments) if (s.index === name) s.dropped = true;
    this.knownIndexes.delete(name);
  }

  /** Event count and _time range of one index. */
  indexStats(name: string): { count: number; minTime: number | undefined; maxTime: number | undefined } {
    let count = 0;
    let minTime: number | undefined;
    let maxTime: number | undefined;
    const rows = this.byIndex.get(name);
    const t = this.time.a;
    if (rows) {
      count += rows.rows.len;
      for (let i = 0; i < rows.rows.len; i++) {
        const v = t[rows.rows.a[i]];
        if (minTime === undefined || v < minTime) minTime = v;
        if (maxTime === undefined || v > maxTime) maxTime = v;
      }
    }
    for (const s of this.segments) {
      if (s.dropped || s.index !== name || s.count === 0) continue;
      count += s.count;
      const first = s.start;
      const last = this.genTime(s, s.count - 1);
      if (minTime === undefined || first < minTime) minTime = first;
      if (maxTime === undefined || last > maxTime) maxTime = last;
    }
    return { count, minTime, maxTime };
  }

  private genTime(s: Segment, ordinal: number): number {
    const n = s.offsets.length;
    return s.start + Math.floor(ordinal / n) * s.period + s.offsets[ordinal % n];
  }

  /** Reads one event. Throws on an unknown ref. */
  view(ref: number): EventView {
    if (ref < GENERATOR_BASE) {
      if (!(ref >= 0 && ref < this.raw.length)) throw new Error(`unknown event ref ${ref}`);
      const index = this.strings[this.idx.a[ref]];
      const blk = this.blk.a[ref];
      return new EventView(
        this, ref, this.time.a[ref], this.indextime.a[ref], index, this.strings[this.st.a[ref]],
        this.strings[this.hostCol.a[ref]], this.strings[this.src.a[ref]],
        blk === 0 ? this.raw[ref] : () => this.readBlock(blk - 1, this.blkStart.a[ref], this.blkEnd.a[ref]),
        `0:${this.seq.a[ref]}`, this.indexed.get(ref), this.schemas.get(ref),
      );
    }
    const segId = Math.floor(ref / GEN_STRIDE) - 1;
    const ordinal = ref - (segId + 1) * GEN_STRIDE;
    const s = this.segments[segId];
    if (!s || ordinal >= s.count) throw new Error(`unknown event ref ${ref}`);
    const n = s.offsets.length;
    const j = ordinal % n;
    const time = this.genTime(s, ordinal);
    let raw = s.sampleRaw[j];
    const schema = s.sampleSchema[j];
    if (s.rewriteTs[j] && schema) {
      const cut = raw.indexOf(schema.separator);
      raw = time.toFixed(6) + (cut >= 0 ? raw.slice(cut) : "");
    }
    return new EventView(
      this, ref, time, Math.floor(time + s.lag), s.index, s.sampleSourcetype[j], s.sampleHost[j], s.sampleSource[j],
      raw, `${segId + 1}:${ordinal}`, s.sampleFields[j], schema,
    );
  }

  private readBlock(id: number, start: number, end: number): BlockEvent {
    const block = this.blocks[id];
    let text = this.blockTexts.get(id);
    if (text === undefined) {
      text = block.text();
      if (this.blockTexts.size >= 4) this.blockTexts.delete(this.blockTexts.keys().next().value as number);
      this.blockTexts.set(id, text);
    }
    return block.read(text, start, end);
  }

  private sortedRows(index: string): IndexRows | undefined {
    const r = this.byIndex.get(index);
    if (r && !r.sorted) {
      const t = this.time.a;
      const view = r.rows.a.subarray(0, r.rows.len);
      // Ascending by (time, row), the order appends keep when times do not go backwards; scan walks from the end.
      view.sort((a, b) => t[a] - t[b] || a - b);
      r.sorted = true;
    }
    return r;
  }

  /** Refs of matching events, newest first (see the module contract). */
  *scan(opts: ScanOptions): Generator<number, void, undefined> {
    const earliest = opts.earliest ?? -Infinity;
    const latest = opts.latest ?? Infinity;
    const ie = opts.indexEarliest ?? -Infinity;
    const il = opts.indexLatest ?? Infinity;
    const t = this.time.a;
    const it = this.indextime.a;
    type Stream = { time: number; ref: number; next: () => boolean };
    const streams: Stream[] = [];
    for (const index of new Set(opts.indexes)) {
      const r = this.sortedRows(index);
      if (r && r.rows.len > 0) {
        const rows = r.rows.a;
        // rows ascending by (time, row); find the last position with time < latest.
        let lo = 0;
        let hi = r.rows.len;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (t[rows[mid]] < latest) lo = mid + 1;
          else hi = mid;
        }
        let pos = lo;
        const s: Stream = {
          time: 0,
          ref: 0,
          next: () => {
            while (pos > 0) {
              const row = rows[--pos];
              const tm = t[row];
              if (tm < earliest) return false;
              const ix = it[row];
              if (ix < ie || ix >= il) continue;
              s.time = tm;
              s.ref = row;
              return true;
            }
            return false;
          },
        };
        if (s.next()) streams.push(s);
      }
      for (const seg of this.segments) {
        if (seg.dropped || seg.index !== index || seg.count === 0) continue;
        const s = this.segmentStream(seg, earliest, latest, ie, il);
        if (s.next()) streams.push(s);
      }
    }
    while (streams.length > 0) {
      let best = 0;
      for (let i = 1; i < streams.length; i++) {
        const a = streams[i];
        const b = streams[best];
        if (a.time > b.time || (a.time === b.time && a.ref > b.ref)) best = i;
      }
      const s = streams[best];
      yield s.ref;
      if (!s.next()) streams.splice(best, 1);
    }
  }

  private segmentStream(seg: Segment, earliest: number, latest: number, ie: number, il: number) {
    const n = seg.offsets.length;
    const off = seg.offsets;
    const lastOrdinal = seg.count - 1;
    const cycleOf = (time: number) => Math.floor((time - seg.start) / seg.period);
    let c = Math.min(cycleOf(latest === Infinity ? this.genTime(seg, lastOrdinal) + 1 : latest), Math.floor(lastOrdinal / n));
    const cMin = Math.max(0, earliest === -Infinity ? 0 : cycleOf(earliest) - 1);
    let j = -1; // next j to examine, descending; -1 = start a new cycle
    const base = GEN_STRIDE * (seg.id + 1);
    const firstAtOrAbove = (x: number) => {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (off[mid] < x) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    let jLow = 0;
    const s = {
      time: 0,
      ref: 0,
      next: (): boolean => {
        for (;;) {
          if (j < jLow) {
            if (c < cMin || c < 0) return false;
            const cycleStart = seg.start + c * seg.period;
            const hi = latest === Infinity ? n : firstAtOrAbove(latest - cycleStart);
            jLow = earliest === -Infinity ? 0 : firstAtOrAbove(earliest - cycleStart);
            j = Math.min(hi, c === Math.floor(lastOrdinal / n) ? (lastOrdinal % n) + 1 : n) - 1;
            c--;
            continue;
          }
          const cyc = c + 1;
          const ordinal = cyc * n + j;
          j--;
          const time = seg.start + cyc * seg.period + off[ordinal % n];
          if (time >= latest || time < earliest) continue;
          const ix = Math.floor(time + seg.lag);
          if (ix < ie || ix >= il) continue;
          s.time = time;
          s.ref = base + ordinal;
          return true;
        }
      },
    };
    return s;
  }
}
