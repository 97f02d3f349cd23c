/**
 * The file source: log files (Zeek, CSV, JSON lines, NSL-KDD, UNSW-NB15; plain or gzip) as batches of
 * normalized events. Where an event enters the pipeline without Splunk.
 *
 * Contract:
 * - Files are read in the order given, each with its own format (the explicit one, or detected from its
 *   content). An unknown format name fails at `openFileSource`, before any file is opened.
 * - Rows that cannot be read come back as `rejected` with file and line; they never stop a file. A file that
 *   cannot be read (missing, truncated gzip, undetectable format) throws, after the batches before the fault.
 * - Memory is bounded by one batch per file read (a few thousand lines), whatever the file size.
 */
import type { NetEvent, RejectedRow } from "../event.ts";
import { csvFields, readCsv } from "./csv.ts";
import { resolveFormat } from "./detect.ts";
import { jsonlFields, readJsonl } from "./jsonl.ts";
import { parseFormat, type FieldMappingOverride, type Format } from "./mappings.ts";
import type { EventBatch, ReaderOptions } from "./row.ts";
import { readZeek, zeekFields } from "./zeek.ts";

export type { EventBatch, ReaderOptions } from "./row.ts";
export {
  DEFAULT_MAPPINGS,
  FORMATS,
  parseFormat,
  resolveMapping,
  type FieldMapping,
  type FieldMappingOverride,
  type Format,
  type Label,
} from "./mappings.ts";

export interface FileSourceOptions {
  files: string[];
  /** `--format`; detected per file from its content when absent or `auto`. */
  format?: string;
  /** `--label-column`: the column holding the label, instead of the mapping's (`label`). */
  labelColumn?: string;
  /** Applied over each file's default mapping (config's field mapping). */
  mapping?: FieldMappingOverride;
  /** Read size per batch; see `readLines`. */
  chunkBytes?: number;
  /** A plain file's last line without a terminator is left for the next read (live files; see `readLines`). */
  holdPartialLine?: boolean;
}

export interface FileSource {
  /**
   * The normalized field names every non-empty input file provides (from its header, its column list, or
   * for JSON lines the first rows), in the first file's order. Used to refuse a model whose features the
   * input lacks. Time and label columns are not fields.
   */
  fields(): Promise<string[]>;
  /** All files in order, batch by batch. Each call starts over. */
  batches(): AsyncIterable<EventBatch>;
}

/** The reader of one format. */
export function readFile(options: ReaderOptions): AsyncGenerator<EventBatch> {
  switch (options.format) {
    case "zeek":
      return readZeek(options);
    case "jsonl":
      return readJsonl(options);
    case "csv":
    case "nsl-kdd":
    case "unsw-nb15":
      return readCsv(options);
  }
}

/** The fields one file provides; see `FileSource.fields`. */
export function fileFields(options: ReaderOptions): Promise<string[]> {
  switch (options.format) {
    case "zeek":
      return zeekFields(options);
    case "jsonl":
      return jsonlFields(options);
    case "csv":
    case "nsl-kdd":
    case "unsw-nb15":
      return csvFields(options);
  }
}

export function openFileSource(options: FileSourceOptions): FileSource {
  if (options.files.length === 0) throw new Error("no input files given");
  const explicit: Format | undefined =
    options.format === undefined || options.format === "auto" ? undefined : parseFormat(options.format);
  const readerOptions = (file: string, format: Format): ReaderOptions => ({
    file,
    format,
    labelColumn: options.labelColumn,
    mapping: options.mapping,
    chunkBytes: options.chunkBytes,
    holdPartialLine: options.holdPartialLine,
  });
  return {
    async fields() {
      let common: string[] | null = null;
      for (const file of options.files) {
        const format = await resolveFormat(file, explicit);
        if (format === null) continue;
        const fields = await fileFields(readerOptions(file, format));
        if (fields.length === 0) continue;
        common = common === null ? fields : common.filter((f) => fields.includes(f));
      }
      return common ?? [];
    },
    batches() {
      return (async function* () {
        for (const file of options.files) {
          const format = await resolveFormat(file, explicit);
          if (format === null) continue;
          yield* readFile(readerOptions(file, format));
        }
      })();
    },
  };
}

export interface LabeledEvents {
  /** Events labeled 0 (benign) or 1 (attack), in file order. */
  events: NetEvent[];
  counts: {
    benign: number;
    attack: number;
    /** Labeled but not for training (`Background`, `Unknown`). */
    excluded: number;
    /** Rows whose label cell was empty or unset. */
    unlabeled: number;
    rejected: number;
  };
  /** The first `MAX_KEPT_REJECTS` rejected rows, for the training report. */
  rejected: RejectedRow[];
}

export const MAX_KEPT_REJECTS = 100;

/**
 * Everything a training run reads from files: the events labeled 0 or 1, and counts of what was left out.
 * Throws when a file holds events but none carries a label (no label column: name it with `labelColumn`),
 * and on any fault that `batches()` throws (a truncated gzip fails training rather than train on part).
 */
export async function readAllLabeled(options: FileSourceOptions): Promise<LabeledEvents> {
  const out: LabeledEvents = {
    events: [],
    counts: { benign: 0, attack: 0, excluded: 0, unlabeled: 0, rejected: 0 },
    rejected: [],
  };
  const seen = new Map<string, { rows: number; labeled: number }>();
  for await (const batch of openFileSource(options).batches()) {
    // A batch comes from one file.
    const origin = batch.events[0]?.origin;
    const file = origin?.kind === "file" ? origin.file : "";
    let s = seen.get(file);
    if (s === undefined) seen.set(file, (s = { rows: 0, labeled: 0 }));
    s.rows += batch.events.length;
    for (const e of batch.events) {
      if (e.label === 0 || e.label === 1) {
        s.labeled++;
        out.events.push(e);
        if (e.label === 0) out.counts.benign++;
        else out.counts.attack++;
      } else if (e.label === null) {
        s.labeled++;
        out.counts.excluded++;
      } else {
        out.counts.unlabeled++;
      }
    }
    out.counts.rejected += batch.rejected.length;
    for (const r of batch.rejected) {
      if (out.rejected.length >= MAX_KEPT_REJECTS) break;
      out.rejected.push(r);
    }
  }
  for (const [file, s] of seen) {
    if (s.rows > 0 && s.labeled === 0) {
      const column = options.labelColumn ?? options.mapping?.label?.join(", ") ?? "label";
      throw new Error(
        `${file}: no row carries a label (looked for the column ${column}); training needs labels: ` +
          `name the label column with --label-column`,
      );
    }
  }
  return out;
}
