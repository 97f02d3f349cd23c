/**
 * The file source as the scheduler sees it: each run reads what was appended since the last committed
 * position, file by file. ADR 0002 and ADR 0016 have the rules; in short:
 *
 * - `paths` entries are files or patterns (`glob.ts`), expanded at each plan. Positions are kept per path:
 *   the last line number processed (line numbers, not byte offsets, so gzip works the same), the size seen at
 *   planning, and the file's identity: device + inode (plain files), and a SHA-256 of its first bytes of
 *   content (decompressed for gzip), with how many bytes that hash covers.
 * - A file with the same identity that grew is read after its line; one that shrank or has another identity
 *   (replaced, truncated in place, a new live log after rotation) is read from its first line. A position
 *   whose file left its path is kept (`moved`) until a file with the same first bytes turns up under another
 *   path (the rotated or compressed archive the pattern also matches), which is then read after that line:
 *   a file rotated before it was read to the end is finished from its archive, and nothing is read twice.
 * - A plain file's last line without a newline is not read yet (a writer is still adding to it).
 * - A file that cannot be read (missing, truncated gzip, no permission) does not stop the others: it is
 *   reported by name in `failures()`, the lines before the fault count as read, and it is tried again when it
 *   changes. A missing literal path is a failure; a pattern that matches nothing is not.
 * - Every `checkpointEveryEvents` events, a batch carries a commit point, so a crash inside a large file
 *   redoes at most that many events.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import type { EventSource, SourceBatch } from "../source.ts";
import { expandPaths } from "./glob.ts";
import { openFileSource, type FileSourceOptions } from "./index.ts";

/** The committed state of one file. Entries written before identities existed have only `line` and `size`. */
export interface FileEntry {
  /** Last physical line processed (1-based; 0 = none). */
  line: number;
  /** Size in bytes when the run that read it was planned. */
  size: number;
  /** Device and inode when read (plain files; a gzip archive is matched by `head`). */
  dev?: number;
  ino?: number;
  /** Hex SHA-256 of the first `head_len` bytes of content (decompressed). */
  head?: string;
  head_len?: number;
  /** False when the position is a commit point inside the file (the rest is still to read). Absent = true. */
  done?: boolean;
  /** Why the file could not be read past `line`, while it has not changed since. */
  error?: string;
  /** Where the file was when this entry was made (in `moved`). */
  path?: string;
}

export interface FilePosition {
  files: Record<string, FileEntry>;
  /** Positions of files that left their path, waiting for their content to turn up under another one. */
  moved?: FileEntry[];
}

interface PlannedFile {
  path: string;
  afterLine: number;
  size: number;
  dev: number;
  ino: number;
  head: string;
  head_len: number;
  /** Set while reading. */
  lastLine: number;
  error?: string;
  /** Where `afterLine` came from, for the run event. */
  resumedFrom?: string;
  /** The committed entry this file continues (at its path, or moved here), restored when a commit point comes before the file is reached. */
  before?: FileEntry;
}

/** One run's plan. What the run event shows of it is `toJSON()`: the files and line ranges read. */
export class FileWindow {
  constructor(
    readonly files: PlannedFile[],
    /** Entries of files not read in this window (unchanged, or still failing), and the moved ones. */
    readonly kept: Record<string, FileEntry>,
    readonly moved: FileEntry[],
  ) {}

  toJSON(): unknown {
    return {
      files: this.files.map((f) => ({
        path: f.path,
        after_line: f.afterLine,
        last_line: f.lastLine,
        ...(f.resumedFrom ? { resumed_from: f.resumedFrom } : {}),
        ...(f.error ? { error: f.error } : {}),
      })),
    };
  }
}

export interface WindowedFileOptions extends FileSourceOptions {
  /** Events between commit points inside a window (default 50,000). */
  checkpointEveryEvents?: number;
}

const HEAD_BYTES = 1024;
const MAX_MOVED = 100;
const DEFAULT_CHECKPOINT_EVERY = 50_000;

export class WindowedFileSource implements EventSource<FileWindow> {
  readonly name: string;
  private problems: string[] = [];

  constructor(
    private readonly options: WindowedFileOptions,
    name = "file",
  ) {
    this.name = name;
  }

  failures(): string[] {
    return this.problems;
  }

  async plan(position: unknown): Promise<FileWindow | null> {
    const prevPos = (position as FilePosition | undefined) ?? { files: {} };
    const prev = prevPos.files ?? {};
    const moved: FileEntry[] = [...(prevPos.moved ?? [])];
    const problems: string[] = [];
    const { files: found, missing } = await expandPaths(this.options.files);
    for (const m of missing) problems.push(`${m.path}: ${m.reason} (source.file.paths)`);

    // Identify every file first: a position whose file left its path must be free to match another path.
    const seen: { path: string; id: Identity }[] = [];
    for (const path of found) {
      try {
        seen.push({ path, id: await identify(path) });
      } catch (e) {
        problems.push(`${path}: ${(e as Error).message}`);
      }
    }
    const here = new Map(seen.map((s) => [s.path, s.id]));
    for (const [path, e] of Object.entries(prev)) {
      const id = here.get(path);
      if (id === undefined || !sameFile(e, id)) {
        moved.unshift({ ...e, path });
      }
    }

    const kept: Record<string, FileEntry> = {};
    const planned: PlannedFile[] = [];
    for (const { path, id } of seen) {
      const e = prev[path];
      const base = { path, size: id.size, dev: id.dev, ino: id.ino, head: id.head, head_len: id.headLen, lastLine: 0 };
      if (e !== undefined && sameFile(e, id)) {
        const unchanged = e.size === id.size && e.done !== false;
        if (unchanged && e.error !== undefined) {
          problems.push(e.error);
          kept[path] = e;
        } else if (unchanged) {
          kept[path] = e;
        } else {
          planned.push({ ...base, afterLine: e.line, lastLine: e.line, before: e });
        }
        continue;
      }
      // New at this path, or replaced: was its content read under another path before it moved here?
      const k = moved.findIndex((m) => m.head !== undefined && m.head_len !== undefined && m.head_len > 0 && m.head_len <= id.headLen && m.head === id.hashOf(m.head_len));
      if (k >= 0) {
        const m = moved.splice(k, 1)[0]!;
        planned.push({ ...base, afterLine: m.line, lastLine: m.line, resumedFrom: m.path, before: m });
      } else {
        planned.push({ ...base, afterLine: 0 });
      }
    }
    this.problems = problems;
    moved.length = Math.min(moved.length, MAX_MOVED);
    if (planned.length === 0) return null;
    return new FileWindow(planned, kept, moved);
  }

  read(window: FileWindow): AsyncIterable<SourceBatch> {
    const options = this.options;
    const every = options.checkpointEveryEvents ?? DEFAULT_CHECKPOINT_EVERY;
    const snapshot = (current: PlannedFile) => this.snapshot(window, current);
    const failed = (problem: string) => {
      this.problems = [...this.problems, problem];
    };
    return (async function* () {
      let sinceCommit = 0;
      for (const f of window.files) {
        try {
          for await (const batch of openFileSource({ ...options, files: [f.path], holdPartialLine: true }).batches()) {
            const after = f.afterLine;
            const events = after > 0 ? batch.events.filter((e) => e.origin.kind === "file" && e.origin.line > after) : batch.events;
            const rejected = after > 0 ? batch.rejected.filter((r) => r.line > after) : batch.rejected;
            let last = f.lastLine;
            for (const e of batch.events) if (e.origin.kind === "file" && e.origin.line > last) last = e.origin.line;
            for (const r of batch.rejected) if (r.line > last) last = r.line;
            f.lastLine = last;
            sinceCommit += events.length + rejected.length;
            if (sinceCommit >= every) {
              sinceCommit = 0;
              yield { events, rejected, position: snapshot(f) };
            } else if (events.length > 0 || rejected.length > 0) {
              yield { events, rejected };
            }
          }
        } catch (e) {
          f.error = `${f.path}: ${(e as Error).message.replace(`${f.path}: `, "")}`;
          failed(f.error);
        }
      }
    })();
  }

  endPosition(window: FileWindow): FilePosition {
    return this.snapshot(window, null);
  }

  /** The position with every file before `current` read (to its end or its fault) and `current` up to its last line. */
  private snapshot(window: FileWindow, current: PlannedFile | null): FilePosition {
    const files: Record<string, FileEntry> = { ...window.kept };
    const moved = [...window.moved];
    let reached = false;
    for (const f of window.files) {
      if (reached && f !== current) {
        // Not read yet: what was committed for it before this window still stands.
        if (f.resumedFrom !== undefined && f.before) moved.unshift(f.before);
        else if (f.before) files[f.path] = f.before;
        continue;
      }
      const entry: FileEntry = { line: f.lastLine, size: f.size, dev: f.dev, ino: f.ino, head: f.head, head_len: f.head_len };
      if (f === current) {
        files[f.path] = { ...entry, done: false };
        reached = true;
        continue;
      }
      if (f.error !== undefined) entry.error = f.error;
      files[f.path] = entry;
    }
    return moved.length > 0 ? { files, moved } : { files };
  }
}

interface Identity {
  size: number;
  dev: number;
  ino: number;
  /** Hash of the first `headLen` bytes; `hashOf(n)` for a shorter prefix. */
  head: string;
  headLen: number;
  hashOf(n: number): string;
}

/** Whether a committed entry describes the file now at its path (see the module contract). */
function sameFile(e: FileEntry, id: Identity): boolean {
  if (id.size < e.size) return false;
  if (e.ino !== undefined && e.dev !== undefined && (e.ino !== id.ino || e.dev !== id.dev)) return false;
  if (e.head !== undefined && e.head_len !== undefined && e.head_len > 0) {
    if (e.head_len > id.headLen || id.hashOf(e.head_len) !== e.head) return false;
  }
  return true;
}

async function identify(path: string): Promise<Identity> {
  const handle = await open(path, "r");
  let raw: Buffer;
  let s;
  try {
    s = await handle.stat();
    const buf = Buffer.alloc(Math.min(64 * 1024, s.size));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    raw = buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  let content = raw;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      // Sync flush: a prefix of a gzip stream decompresses as far as it goes.
      content = gunzipSync(raw, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      content = Buffer.alloc(0);
    }
  }
  const head = content.subarray(0, HEAD_BYTES);
  const hashOf = (n: number) => createHash("sha256").update(head.subarray(0, n)).digest("hex");
  return { size: s.size, dev: s.dev, ino: s.ino, head: hashOf(head.length), headLen: head.length, hashOf };
}
