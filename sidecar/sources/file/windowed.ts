/**
 * The file source as the scheduler sees it: each run reads what was appended since the last committed
 * position. The position per file is the last line number processed and the file's size then; a file that
 * shrank (rotated or replaced) is read from the start again. Lines are skipped by number, so compressed
 * files work too.
 */
import { stat } from "node:fs/promises";
import type { EventSource, SourceBatch } from "../source.ts";
import { openFileSource, type FileSourceOptions } from "./index.ts";

export interface FilePosition {
  files: Record<string, { line: number; size: number }>;
}

export interface FileWindow {
  files: { path: string; afterLine: number; size: number }[];
  /** Filled while reading: the last line number seen per file. */
  lastLine: Record<string, number>;
  /** The position this window starts from; files outside the window keep their entries. */
  previous: FilePosition["files"];
}

export class WindowedFileSource implements EventSource<FileWindow> {
  readonly name: string;
  constructor(
    private readonly options: FileSourceOptions,
    name = "file",
  ) {
    this.name = name;
  }

  async plan(position: unknown): Promise<FileWindow | null> {
    const prev = (position as FilePosition | undefined)?.files ?? {};
    const files: FileWindow["files"] = [];
    for (const path of this.options.files) {
      const size = (await stat(path)).size;
      const p = prev[path];
      if (p && size === p.size) continue;
      files.push({ path, afterLine: p && size > p.size ? p.line : 0, size });
    }
    if (files.length === 0) return null;
    return { files, lastLine: {}, previous: prev };
  }

  read(window: FileWindow): AsyncIterable<SourceBatch> {
    const options = this.options;
    return (async function* () {
      for (const f of window.files) {
        window.lastLine[f.path] = f.afterLine;
        for await (const batch of openFileSource({ ...options, files: [f.path], holdPartialLine: true }).batches()) {
          const events = f.afterLine > 0 ? batch.events.filter((e) => e.origin.kind === "file" && e.origin.line > f.afterLine) : batch.events;
          const rejected = f.afterLine > 0 ? batch.rejected.filter((r) => r.line > f.afterLine) : batch.rejected;
          let last = window.lastLine[f.path]!;
          for (const e of batch.events) if (e.origin.kind === "file" && e.origin.line > last) last = e.origin.line;
          for (const r of batch.rejected) if (r.line > last) last = r.line;
          window.lastLine[f.path] = last;
          yield { events, rejected };
        }
      }
    })();
  }

  endPosition(window: FileWindow): FilePosition {
    const files = { ...window.previous };
    for (const f of window.files) files[f.path] = { line: window.lastLine[f.path] ?? f.afterLine, size: f.size };
    return { files };
  }
}
