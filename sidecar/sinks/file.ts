/**
 * File sink: appends each record as one JSON line. Same contract as the HEC sink, and the output is always
 * valid JSON lines:
 *
 * - `flush` fsyncs, so a checkpoint committed after a successful flush never points past data on disk.
 * - `start` removes a torn last line (a process killed in the middle of a write leaves one): the file then
 *   ends at its last newline. The records in it were never committed, so the pipeline writes them again.
 * - A write the disk refuses (`ENOSPC`, `EIO`, a read-only remount) fails the batch with the path and the
 *   reason, and the bytes of that batch already written are cut off again, so no torn line stays behind.
 * - `mark`/`rewind` (see `Sink`): the mark is the output's identity (device, inode) and its size after the
 *   last flush; `rewind` truncates the output to the newest committed mark, so events written after the last
 *   commit (and written again by the next run) are not doubled.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { SerializedBatch, Sink, SinkMark, SinkResult } from "./sink.ts";

/** What `writeSync` does; a seam for tests that need a disk that refuses a write. */
export type WriteFn = (fd: number, buffer: Buffer, offset: number, length: number) => number;

export interface FileSinkMark extends SinkMark {
  path: string;
  dev: number;
  ino: number;
  /** Bytes of the output that were flushed when the mark was taken (also `written`). */
  size: number;
}

export class FileSink<T> implements Sink<T> {
  private fd: number | undefined;
  /** Bytes in the file, as this sink wrote them. */
  private size = 0;
  private flushedSize = 0;
  private readonly write: WriteFn;

  constructor(
    readonly path: string,
    options: { write?: WriteFn } = {},
  ) {
    this.write = options.write ?? ((fd, b, o, l) => writeSync(fd, b, o, l));
  }

  start(): Promise<void> {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      const fd = openSync(this.path, "a+");
      try {
        this.size = completeLength(fd);
        if (this.size < fstatSync(fd).size) {
          ftruncateSync(fd, this.size);
          fsyncSync(fd);
        }
      } catch (e) {
        closeSync(fd);
        throw new Error(`cannot open ${this.path}: ${(e as Error).message}`, { cause: e });
      }
      this.fd = fd;
      this.flushedSize = this.size;
    }
    return Promise.resolve();
  }

  send(batch: T[]): Promise<SinkResult> {
    let text = "";
    for (const r of batch) text += `${JSON.stringify(r)}\n`;
    return this.writeText(text);
  }

  /**
   * The same lines `send` writes for the records, from their serialized form: `_time` first (the builder puts
   * it first), then the record's other members as the caller serialized them.
   */
  sendSerialized(batch: SerializedBatch): Promise<SinkResult> {
    let text = "";
    for (let i = 0; i < batch.length; i++) {
      const json = batch.json(i);
      text += `{"_time":${JSON.stringify(batch.time[i])}${json.length > 2 ? "," : ""}${json.slice(1)}\n`;
    }
    return this.writeText(text);
  }

  private writeText(text: string): Promise<SinkResult> {
    const fd = this.fd;
    if (fd === undefined) return Promise.resolve({ kind: "failure", reason: `file sink ${this.path} is not started` });
    if (text === "") return Promise.resolve({ kind: "success" });
    const buf = Buffer.from(text);
    let done = 0;
    try {
      while (done < buf.length) done += this.write(fd, buf, done, buf.length - done);
      this.size += buf.length;
      return Promise.resolve({ kind: "success" });
    } catch (e) {
      if (done > 0) {
        // Part of the batch is on disk: cut it off, so the file still ends at a whole line.
        try {
          ftruncateSync(fd, this.size);
        } catch {
          // The next start removes the torn line, and `rewind` what follows the last commit.
        }
      }
      return Promise.resolve({ kind: "failure", reason: `cannot write ${this.path}: ${(e as Error).message}` });
    }
  }

  flush(): Promise<SinkResult> {
    if (this.fd === undefined) return Promise.resolve({ kind: "success" });
    try {
      fsyncSync(this.fd);
      this.flushedSize = this.size;
      return Promise.resolve({ kind: "success" });
    } catch (e) {
      return Promise.resolve({ kind: "failure", reason: `cannot fsync ${this.path}: ${(e as Error).message}` });
    }
  }

  mark(): FileSinkMark | undefined {
    if (this.fd === undefined) return undefined;
    const s = fstatSync(this.fd);
    return { written: this.flushedSize, path: this.path, dev: s.dev, ino: s.ino, size: this.flushedSize };
  }

  rewind(marks: unknown[]): Promise<number> {
    const fd = this.fd;
    if (fd === undefined) return Promise.resolve(0);
    const s = fstatSync(fd);
    let to = -1;
    for (const m of marks) {
      const k = m as Partial<FileSinkMark> | null;
      if (k && k.dev === s.dev && k.ino === s.ino && typeof k.size === "number" && k.size > to) to = k.size;
    }
    if (to < 0 || to >= this.size) return Promise.resolve(0);
    const dropped = this.size - to;
    ftruncateSync(fd, to);
    fsyncSync(fd);
    this.size = to;
    this.flushedSize = to;
    return Promise.resolve(dropped);
  }

  shutdown(): Promise<void> {
    if (this.fd !== undefined) {
      try {
        fsyncSync(this.fd);
      } finally {
        closeSync(this.fd);
        this.fd = undefined;
      }
    }
    return Promise.resolve();
  }
}

/** The length of the file up to and including its last newline (0 when it has none). */
function completeLength(fd: number): number {
  const size = fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - buf.length);
    const n = readSync(fd, buf, 0, end - start, start);
    const at = buf.subarray(0, n).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}
