/**
 * Cuts the bundled sample `data/sample/conn.sample.log` from the public labeled Zeek captures in
 * `../shared/datasets/zeek` (see data/sample/README.md for citations and licences). Deterministic: a seeded
 * choice of rows per capture, kept in capture order. IoT-23 rows are rewritten from its three-space quirk to
 * plain tab-separated columns so the sample is one standard conn.log.
 *
 * Usage: node --import tsx scripts/data/make-sample.ts [datasetsDir] [outFile]
 */
import { createReadStream, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { mulberry32 } from "../../sidecar/training/random.ts";

const datasets = process.argv[2] ?? "../shared/datasets";
const out = process.argv[3] ?? "data/sample/conn.sample.log";

/** Rows wanted per capture; `labels` keeps only rows with these (lowercased) labels. */
const PLAN: { file: string; rows: number }[] = [
  { file: "zeek/stratosphere/011-zeek-mixed.conn.log.labeled.gz", rows: 1000 },
  { file: "zeek/stratosphere/008-zeek-mixed.conn.log.labeled.gz", rows: 900 },
  { file: "zeek/iot-23/CTU-IoT-Malware-Capture-34-1.conn.log.labeled.gz", rows: 900 },
  { file: "zeek/iot-23/CTU-IoT-Malware-Capture-42-1.conn.log.labeled.gz", rows: 300 },
  { file: "zeek/iot-23/CTU-Honeypot-Capture-4-1.conn.log.labeled.gz", rows: 150 },
  { file: "zeek/stratosphere/001-CTU-Malware-Capture-Botnet-230-1-first1000.conn.log.labeled.gz", rows: 150 },
];

async function rowsOf(path: string): Promise<string[]> {
  const rows: string[] = [];
  const rl = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const cols = line.split("\t");
    const last = cols.pop()!;
    rows.push([...cols, ...last.split("   ")].join("\t"));
  }
  return rows;
}

const header = [
  "#separator \\x09",
  "#set_separator\t,",
  "#empty_field\t(empty)",
  "#unset_field\t-",
  "#path\tconn",
  "#open\t2026-11-25-00-00-00",
  "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tlabel\tdetailedlabel",
  "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tstring\tstring",
];

const rand = mulberry32(20261125);
const lines = [...header];
for (const p of PLAN) {
  const rows = await rowsOf(join(datasets, p.file));
  const chosen = rows
    .map((r, i) => ({ r, i, k: rand() }))
    .sort((a, b) => a.k - b.k)
    .slice(0, p.rows)
    .sort((a, b) => a.i - b.i);
  for (const c of chosen) lines.push(c.r);
  console.error(`${p.file}: ${chosen.length} of ${rows.length} rows`);
}
lines.push("#close\t2026-11-25-00-00-00");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${lines.join("\n")}\n`);
console.error(`wrote ${out}: ${lines.length - header.length - 1} events`);
