/**
 * Bench inputs: Zeek conn logs of any size made by replicating the data rows of the bundled sample
 * (`data/sample/conn.sample.log`), written under the OS temp dir. Nothing here reads ../shared.
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";

export interface SampleRows {
  /** The `#` lines before the first data row (the `#close` trailer is left out). */
  header: string[];
  /** Data rows with their 1-based line numbers in the sample. */
  rows: { line: number; text: string }[];
}

export function readSample(file: string): SampleRows {
  const header: string[] = [];
  const rows: SampleRows["rows"] = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((text, i) => {
      if (text.length === 0) return;
      if (text.startsWith("#")) {
        if (rows.length === 0) header.push(text);
      } else {
        rows.push({ line: i + 1, text });
      }
    });
  if (rows.length === 0) throw new Error(`${file} has no data rows`);
  return { header, rows };
}

/**
 * Writes `events` data rows after the sample's header: row i is `pick(i)`. Lines are written in chunks of a
 * few MB, so memory stays flat whatever the size.
 */
export function writeRows(path: string, header: string[], events: number, pick: (i: number) => string): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, `${header.join("\n")}\n`);
    let chunk: string[] = [];
    for (let i = 0; i < events; i++) {
      chunk.push(pick(i));
      if (chunk.length === 20_000 || i === events - 1) {
        writeSync(fd, `${chunk.join("\n")}\n`);
        chunk = [];
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** The sample's rows repeated in order. */
export function writeReplicated(path: string, sample: SampleRows, events: number): void {
  const rows = sample.rows;
  writeRows(path, sample.header, events, (i) => rows[i % rows.length]!.text);
}

/**
 * One row in `every` from `risky` (rows the model writes at the default threshold), the others from `calm`,
 * each list cycled in order: a file where about 1/`every` of the events are written and explained.
 */
export function writeMix(path: string, sample: SampleRows, risky: ReadonlySet<number>, events: number, every: number): void {
  const hot = sample.rows.filter((r) => risky.has(r.line));
  const cold = sample.rows.filter((r) => !risky.has(r.line));
  if (hot.length === 0 || cold.length === 0) throw new Error("the sample needs rows on both sides of the write threshold");
  let h = 0;
  let c = 0;
  writeRows(path, sample.header, events, (i) => (i % every === every - 1 ? hot[h++ % hot.length]!.text : cold[c++ % cold.length]!.text));
}
