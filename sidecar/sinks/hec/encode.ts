/**
 * HEC encoding: records to envelope lines `{"time","host","source","sourcetype","index","event"}`, cut into
 * posts bounded by event count and uncompressed bytes (a single larger event goes alone), and gzip.
 */
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type { SerializedBatch } from "../sink.ts";

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
 * zlib level and memory level of the posts, measured on posts of 1 000 risk events of the sample (ADR 0020):
 * level 1: 4.7 µs and 163 bytes an event; level 2: 4.3 µs, 151 bytes; with memLevel 9 (a 128 KiB hash
 * table instead of 64 KiB) 4.1 µs and 151 bytes; level 3: 4.6 µs, 147 bytes; level 4: 7.0 µs, 134 bytes;
 * level 6: 9.6 µs, 120 bytes. Level 2 at memLevel 9 is both cheaper and smaller than level 1, and CPU is what
 * the sidecar runs out of (ADR 0012).
 */
export const DEFAULT_GZIP_LEVEL = 2;
const GZIP_MEM_LEVEL = 9;
/** zlib output buffer: a whole compressed post (about 160 KB for 1 000 risk events) in one piece, not sixteen. */
const GZIP_CHUNK = 256 * 1024;
/** Initial buffer of a serialized post: 1 000 risk events of ~1.6 KB. */
const POST_BUFFER_BYTES = 2 * 1024 * 1024;

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
   * Posts of records serialized by the caller (`Sink.sendSerialized`): the same lines `posts` gives for the
   * records they serialize with the default format (`time` = `_time`, `event` = the other members).
   */
  serializedPosts(batch: SerializedBatch): Post[] {
    const posts: Post[] = [];
    const head = `,${this.envelope},"event":`;
    const max = this.o.maxBytes;
    // Each line is written into the post's buffer as soon as it is built: no line string outlives its event,
    // and no batch-sized string is joined.
    let buf = Buffer.allocUnsafe(POST_BUFFER_BYTES);
    let at = 0;
    let ids: (string | undefined)[] = [];
    let ends: number[] = [];
    const close = () => {
      posts.push({ body: buf.subarray(0, at - 1), ends, ids });
      buf = Buffer.allocUnsafe(POST_BUFFER_BYTES);
      at = 0;
      ids = [];
      ends = [];
    };
    const room = (need: number) => {
      if (buf.length - at >= need) return;
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, at + need));
      buf.copy(bigger, 0, 0, at);
      buf = bigger;
    };
    for (let i = 0; i < batch.length; i++) {
      const t = batch.time[i]!;
      const text = `{"time":${t - t === 0 ? String(t) : "null"}${head}${batch.json(i)}}`;
      if (ids.length >= this.o.maxEvents) close();
      // The text is a rope of many pieces: V8 writes a rope as UTF-8 about four times slower than a flat
      // string (5.3 against 1.3 µs for a 1.6 KB risk event), and reading one character flattens it first.
      text.charCodeAt(0);
      // At most 3 bytes per UTF-16 unit, and the newline.
      room(text.length * 3 + 1);
      let n = buf.write(text, at);
      // The same bound as `posts`: a line that would take the post past maxBytes starts the next one.
      if (ids.length > 0 && at + n > max) {
        const line = Buffer.from(buf.subarray(at, at + n));
        close();
        room(n + 1);
        n = line.copy(buf, 0);
      }
      at += n;
      ends.push(at);
      buf[at++] = 0x0a;
      ids.push(batch.ids[i]);
    }
    if (ids.length > 0) posts.push({ body: buf.subarray(0, at - 1), ends, ids });
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

/** The events of `post` but event `bad`, in order. */
export function without(post: Post, bad: number): Post {
  const start = bad === 0 ? 0 : post.ends[bad - 1]! + 1;
  const cut = post.ends[bad]! + 1;
  const len = cut - start;
  const head = post.body.subarray(0, start);
  const tail = post.body.subarray(Math.min(cut, post.body.length));
  let body = Buffer.concat([head, tail]);
  // The last event has no newline after it: drop the one before it instead.
  if (tail.length === 0 && body.length > 0 && body[body.length - 1] === 0x0a) body = body.subarray(0, body.length - 1);
  return {
    body,
    ends: [...post.ends.slice(0, bad), ...post.ends.slice(bad + 1).map((e) => e - len)],
    ids: [...post.ids.slice(0, bad), ...post.ids.slice(bad + 1)],
  };
}

/** A post body, gzipped in the libuv pool (off the main thread). */
export function gzipBody(body: Buffer, level = DEFAULT_GZIP_LEVEL): Promise<Buffer> {
  return gzipAsync(body, { level, memLevel: GZIP_MEM_LEVEL, chunkSize: GZIP_CHUNK });
}
