/**
 * HEC encoding: records to envelope lines `{"time","host","source","sourcetype","index","event"}`, cut into
 * posts bounded by event count and uncompressed bytes (a single larger event goes alone), and gzip.
 */
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";

const gzipAsync = promisify(gzipCallback);

/** What goes into the HEC envelope for one record: `time` in epoch seconds (omitted: HEC's receive time). */
export interface HecEventParts {
  time?: number;
  event: unknown;
}

/** The metadata every envelope of a sink carries. */
export interface EnvelopeFields {
  host: string;
  source: string;
  sourcetype: string;
  index: string;
}

/**
 * The events of one post, serialized: their lines joined by newlines as UTF-8, off the JS heap (the strings
 * die young instead of living until the post is answered), where each line ends, and their `event_id`s.
 */
export interface Post {
  body: Buffer;
  /** Byte offset where each line ends (exclusive). */
  ends: number[];
  ids: (string | undefined)[];
}

/**
 * zlib level of the posts: 1 compresses risk events about 10:1 (158 bytes an event against 118 at level 6)
 * for half the CPU time (5 µs an event against 9), and CPU is what the sidecar runs out of (ADR 0012).
 */
export const DEFAULT_GZIP_LEVEL = 1;
/** zlib output buffer: a whole compressed post (about 160 KB for 1 000 risk events) in one piece, not sixteen. */
const GZIP_CHUNK = 256 * 1024;

/** Default `format`: HEC `time` is the record's `_time`; the event carries every other field. */
export function splitTime<T>(record: T): HecEventParts {
  const { _time, ...event } = record as { _time?: unknown } & Record<string, unknown>;
  return typeof _time === "number" ? { time: _time, event } : { event };
}

export interface EncoderOptions<T> {
  envelope: EnvelopeFields;
  format: (record: T) => HecEventParts;
  /** Events per post. */
  maxEvents: number;
  /** Uncompressed bytes per post. */
  maxBytes: number;
  /** Called for a record that cannot be serialized (it is left out). */
  onDrop: (reason: string, eventId: string | undefined) => void;
}

export class Encoder<T> {
  /** The constant middle of every envelope, serialized once. */
  private readonly envelope: string;

  constructor(private readonly o: EncoderOptions<T>) {
    this.envelope = JSON.stringify(o.envelope).slice(1, -1);
  }

  /** The batch as posts of at most `maxEvents` events and `maxBytes` bytes (an oversized event alone). */
  posts(batch: T[]): Post[] {
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
        if (this.o.format === splitTime) text = this.timeFirstLine(record);
        if (text === undefined) {
          const { time, event } = this.o.format(record);
          const t = time === undefined ? "" : `"time":${JSON.stringify(time)},`;
          text = `{${t}${this.envelope},"event":${JSON.stringify(event)}}`;
        }
      } catch (e) {
        this.o.onDrop(`not serializable: ${(e as Error).message}`, id);
        continue;
      }
      const n = Buffer.byteLength(text);
      if (texts.length > 0 && (texts.length >= this.o.maxEvents || bytes + n > this.o.maxBytes)) close();
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
    if (typeof time !== "number" || "toJSON" in (record as object)) return undefined;
    const json = JSON.stringify(record);
    const t = JSON.stringify(time);
    const head = `{"_time":${t},`;
    if (!json.startsWith(head)) return undefined;
    return `{"time":${t},${this.envelope},"event":{${json.slice(head.length)}}`;
  }
}

/** The events of `post` after event `bad`. */
export function after(post: Post, bad: number): Post {
  const cut = post.ends[bad]! + 1;
  return { body: post.body.subarray(cut), ends: post.ends.slice(bad + 1).map((e) => e - cut), ids: post.ids.slice(bad + 1) };
}

/** A post body, gzipped in the libuv pool (off the main thread). */
export function gzipBody(body: Buffer, level = DEFAULT_GZIP_LEVEL): Promise<Buffer> {
  return gzipAsync(body, { level, chunkSize: GZIP_CHUNK });
}
