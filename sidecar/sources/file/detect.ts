/**
 * Input format detection from content (after gunzip), never from the file name.
 *
 * Rules, on the first non-empty line:
 * - `#separator` or `#fields` → `zeek`;
 * - `{` → `jsonl`;
 * - commas, and none of the first cells is a number → a CSV header: `unsw-nb15` when it has UNSW-NB15's
 *   byte and TTL columns, otherwise `csv`;
 * - 42 or 43 comma fields, the second `tcp`/`udp`/`icmp` → header-less `nsl-kdd`;
 * - anything else is an error that quotes what was seen and lists `--format` values.
 * An empty file (no non-empty line) detects as `null`: it holds no events in any format.
 */
import { open } from "node:fs/promises";
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import { readLines } from "./lines.ts";
import { parseCsvRecord } from "./csv.ts";
import { FORMATS, parseFormat, type Format } from "./mappings.ts";

const NSL_KDD_TRANSPORTS = new Set(["tcp", "udp", "icmp"]);
/** Columns that only UNSW-NB15's header has, together. */
const UNSW_COLUMNS = ["sbytes", "dbytes", "sttl", "dttl"];

/** The first non-empty line of a file, without its terminator, or null when there is none. */
export async function firstLine(file: string): Promise<string | null> {
  for await (const batch of readLines(file, { chunkBytes: 64 * 1024 })) {
    for (const line of batch.lines) if (line.trim().length > 0) return line;
  }
  return null;
}

function isNumber(cell: string): boolean {
  const t = cell.trim();
  return t.length > 0 && !Number.isNaN(Number(t));
}

/** The format a line says its file has, or null when no rule matches. */
export function formatOfLine(line: string): Format | null {
  const text = line.trimStart();
  if (text.startsWith("#separator") || text.startsWith("#fields")) return "zeek";
  if (text.startsWith("{")) return "jsonl";
  if (!text.includes(",")) return null;
  const cells = parseCsvRecord(line);
  if (cells === null) return null;
  const head = cells.slice(0, 3);
  if (!head.some(isNumber)) {
    const names = new Set(cells.map((c) => c.trim().toLowerCase()));
    return UNSW_COLUMNS.every((c) => names.has(c)) ? "unsw-nb15" : "csv";
  }
  if ((cells.length === 42 || cells.length === 43) && NSL_KDD_TRANSPORTS.has(cells[1].trim().toLowerCase())) {
    return "nsl-kdd";
  }
  return null;
}

/** The file's format from its content; null for an empty file. Throws, naming what it saw, when unknown. */
export async function detectFormat(file: string): Promise<Format | null> {
  const line = await firstLine(file);
  if (line === null) return null;
  const format = formatOfLine(line);
  if (format !== null) return format;
  throw new Error(
    `${file}: cannot tell the input format from its first line ${describe(line)}; expected a Zeek log ` +
      `(#separator), JSON lines ({...}), a CSV file with a header row, or header-less NSL-KDD rows: ` +
      `pass --format ${FORMATS.join("|")}`,
  );
}

/** The explicit format when given (checked), else the detected one. */
export async function resolveFormat(file: string, format?: string): Promise<Format | null> {
  if (format !== undefined) return parseFormat(format);
  return detectFormat(file);
}

function describe(line: string): string {
  if (hasControlChars(line.slice(0, 200))) {
    if (line.startsWith("BZh")) return "(bzip2 data; only gzip is read)";
    if (line.startsWith("PK\x03\x04")) return "(a zip archive; unzip it first)";
    if (line.startsWith("\ufffd7zXZ")) return "(xz data; only gzip is read)";
    return "(binary data, not text)";
  }
  const shown = line.length > 80 ? `${line.slice(0, 80)}…` : line;
  return JSON.stringify(shown);
}

function hasControlChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 9 || (c > 13 && c < 32)) return true;
  }
  return false;
}

/**
 * Why `file` holds nothing to score, in the words a user needs: `empty file` (0 bytes, or a gzip of nothing),
 * `binary data, not text` (NUL bytes or mostly non-text in its first 8 KiB, after decompression), or null
 * when it looks like text. Throws what opening it throws (missing, a directory, no permission).
 */
export async function inputProblem(file: string): Promise<string | null> {
  const handle = await open(file, "r");
  let head: Buffer;
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    try {
      head = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      return "binary data, not text (a gzip header, then data that does not decompress)";
    }
  }
  if (head.length === 0) return "empty file";
  const sample = head.subarray(0, 8192);
  let odd = 0;
  for (const b of sample) {
    if (b === 0) return "binary data, not text";
    if (b < 9 || (b > 13 && b < 32)) odd++;
  }
  return odd > sample.length / 10 ? "binary data, not text" : null;
}
