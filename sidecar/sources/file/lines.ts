/**
 * Streaming line reader over one file: the bottom of every file reader.
 *
 * Contract:
 * - Gzip is detected by its magic bytes (1f 8b), not by the file name, and decompressed on the fly
 *   (concatenated gzip members included). The file is never held in memory as a whole: it is read in chunks
 *   of `chunkBytes` and split on `\n` here (node's `readline` costs several times more per line).
 * - Lines come in batches (`LineBatch`), each with the 1-based number of its first line, so readers pay the
 *   async overhead once per batch, not once per line. Numbers count physical lines of the decompressed text.
 * - A line is yielded without its terminator: `\n` and a `\r` before it (CRLF) are removed. A UTF-8 byte
 *   order mark at the start of the file is removed. Empty lines are yielded (they keep the numbering).
 * - A last line without a terminator is yielded, except in a truncated gzip stream, where it is incomplete:
 *   every complete line is yielded first, then the reader throws `<file>: gzip stream is truncated after
 *   line N` (N is the last complete line), so a caller keeps what it already has. With `holdUnterminated`, a
 *   plain file's last line without a terminator is not yielded at all: a writer may still be adding to it (a
 *   live Zeek log), so it is not yet a line; the next read, once the writer ends it, yields it whole.
 * - Breaking out of the iteration closes the file.
 */
import { open, type FileHandle } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";

export interface LineBatch {
  /** 1-based number of `lines[0]`. */
  first: number;
  lines: string[];
}

export interface ReadLinesOptions {
  /** Bytes read (or decompressed) per split; a batch holds about this many characters. Default 128 KiB
   * (about 900 Zeek conn lines): measured faster than larger batches, which keep more young objects alive. */
  chunkBytes?: number;
  /** Leave out a plain file's last line when it has no terminator yet (see the contract). Gzip is unaffected. */
  holdUnterminated?: boolean;
}

const DEFAULT_CHUNK_BYTES = 128 * 1024;
const CR = 13;

/** True when the file starts with the gzip magic bytes. */
export async function isGzipFile(file: string): Promise<boolean> {
  const handle = await openForRead(file);
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** A line longer than this is not a log line: the file is probably not text. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
const NL = 0x0a;

export async function* readLines(file: string, options: ReadLinesOptions = {}): AsyncGenerator<LineBatch> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const gzip = await isGzipFile(file);
  const chunks = gzip ? gunzipChunks(file, chunkBytes) : plainChunks(file, chunkBytes);
  // Bytes after the last newline seen so far: the start of a line that continues in a later chunk. Kept as
  // bytes, not text, so a multi-byte character split across chunks decodes whole; kept as a list so that a
  // long line costs one copy, not one per chunk.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let next = 1;
  let atStart = true;
  try {
    for (;;) {
      let chunk: Buffer;
      try {
        const r = await chunks.next();
        if (r.done) break;
        chunk = r.value;
      } catch (err) {
        throw gzip ? gzipError(file, err, next - 1) : err;
      }
      if (atStart && chunk.length > 0) {
        if (pendingBytes + chunk.length < 3) {
          pending.push(Buffer.from(chunk));
          pendingBytes += chunk.length;
          continue;
        }
        atStart = false;
        chunk = skipBom(pendingBytes > 0 ? Buffer.concat([...pending, chunk]) : chunk);
        pending = [];
        pendingBytes = 0;
      }
      const firstNL = chunk.indexOf(NL);
      if (firstNL < 0) {
        // Copied: the chunk's memory is reused by the next read.
        pending.push(Buffer.from(chunk));
        pendingBytes += chunk.length;
        if (pendingBytes > MAX_LINE_BYTES) {
          throw new Error(`${file}: line ${next} is longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB; is this a text file?`);
        }
        continue;
      }
      const lastNL = chunk.lastIndexOf(NL);
      const head =
        pendingBytes > 0
          ? Buffer.concat([...pending, chunk.subarray(0, firstNL)]).toString("utf8")
          : chunk.toString("utf8", 0, firstNL);
      let lines: string[];
      if (lastNL > firstNL) {
        lines = chunk.toString("utf8", firstNL + 1, lastNL).split("\n");
        lines.unshift(head);
      } else {
        lines = [head];
      }
      const tail = chunk.length - lastNL - 1;
      pending = tail > 0 ? [Buffer.from(chunk.subarray(lastNL + 1))] : [];
      pendingBytes = tail;
      stripCR(lines);
      yield { first: next, lines };
      next += lines.length;
    }
    let rest: Buffer = Buffer.concat(pending);
    if (atStart) rest = skipBom(rest);
    if (rest.length > 0 && !(options.holdUnterminated && !gzip)) {
      const lines = [rest.toString("utf8")];
      stripCR(lines);
      yield { first: next, lines };
    }
  } finally {
    await chunks.return(undefined);
  }
}

function skipBom(b: Buffer): Buffer {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
}

function gzipError(file: string, err: unknown, lastLine: number): unknown {
  if (isTruncation(err)) {
    return new Error(`${file}: gzip stream is truncated after line ${lastLine}`, { cause: err });
  }
  if (isZlibError(err)) {
    return new Error(`${file}: gzip data is corrupt after line ${lastLine}: ${(err as Error).message}`, { cause: err });
  }
  return err;
}

function stripCR(lines: string[]): void {
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length > 0 && l.charCodeAt(l.length - 1) === CR) lines[i] = l.slice(0, -1);
  }
}

async function openForRead(file: string): Promise<FileHandle> {
  try {
    return await open(file, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`${file}: no such file`, { cause: err });
    if (code === "EISDIR") throw new Error(`${file}: is a directory, not a file`, { cause: err });
    if (code === "EACCES") throw new Error(`${file}: permission denied`, { cause: err });
    throw err;
  }
}

/**
 * Chunks of a plain file. The next read is started before the current chunk is handed out, so the disk read
 * overlaps the caller's parsing. Two buffers alternate: a chunk stays valid until the caller asks for the
 * chunk after the next one (the caller decodes each chunk before asking for the next).
 */
async function* plainChunks(file: string, chunkBytes: number): AsyncGenerator<Buffer> {
  const handle = await openForRead(file);
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  let which = 0;
  let inFlight: Promise<{ bytesRead: number; buffer: Buffer }> | null = null;
  try {
    inFlight = handle.read(buffers[which], 0, chunkBytes, null);
    for (;;) {
      const { bytesRead, buffer } = await inFlight;
      inFlight = null;
      if (bytesRead === 0) return;
      which ^= 1;
      inFlight = handle.read(buffers[which], 0, chunkBytes, null);
      yield bytesRead === chunkBytes ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    if (inFlight !== null) await inFlight.catch(() => undefined);
    await handle.close();
  }
}

/**
 * Decompressed chunks of a gzip file. Hand-rolled over stream events instead of `for await` on the stream:
 * the stream's async iterator drops chunks still buffered when the stream errors, and a truncated file
 * errors at its end, so every decompressed chunk must be handed out before the error is.
 */
async function* gunzipChunks(file: string, chunkBytes: number): AsyncGenerator<Buffer> {
  // Open first so a missing file gets the same message as a plain one.
  await (await openForRead(file)).close();
  const src = createReadStream(file, { highWaterMark: chunkBytes });
  const gunzip = createGunzip({ chunkSize: Math.min(chunkBytes, 1024 * 1024) });
  const queue: Buffer[] = [];
  const maxQueued = 4;
  let failure: unknown = null;
  let ended = false;
  let wake: (() => void) | null = null;
  const signal = (): void => {
    const w = wake;
    wake = null;
    if (w) w();
  };
  gunzip.on("data", (b: Buffer) => {
    queue.push(b);
    if (queue.length >= maxQueued) gunzip.pause();
    signal();
  });
  gunzip.on("end", () => {
    ended = true;
    signal();
  });
  gunzip.on("error", (err) => {
    failure ??= err;
    signal();
  });
  src.on("error", (err) => {
    failure ??= err;
    signal();
  });
  src.pipe(gunzip);
  try {
    for (;;) {
      if (queue.length > 0) {
        const b = queue.shift() as Buffer;
        if (gunzip.isPaused() && queue.length < maxQueued) gunzip.resume();
        yield b;
        continue;
      }
      if (failure !== null) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    src.unpipe(gunzip);
    src.destroy();
    gunzip.destroy();
  }
}

function isZlibError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === "string" && code.startsWith("Z_");
}

function isTruncation(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException | null;
  return e?.code === "Z_BUF_ERROR" || /unexpected end of file/i.test(e?.message ?? "");
}
