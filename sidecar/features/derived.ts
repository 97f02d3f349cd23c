/**
 * Derived features, by name. Each reads some source fields and writes a fixed list of raw values: `numeric`
 * outputs are then transformed and standardized like numeric fields (stats fitted on the training split),
 * `flag` outputs (0/1) are used as they are. Every output column records the source fields it reads, so
 * explanations sum its contribution back to them.
 */
import type { Fields } from "../sources/event.ts";

export interface DerivedOutput {
  name: string;
  kind: "numeric" | "flag";
  /** For numeric outputs: the transform before standardization. */
  transform?: "log1p" | "none";
}

export interface DerivedDef {
  name: string;
  /** Source fields read; the feature is used only when the input has all of them. */
  fields: string[];
  outputs: DerivedOutput[];
  /** Writes `outputs.length` raw values at `out[offset..]`; NaN means missing (imputed to the mean). */
  compute(f: Fields, out: Float64Array, offset: number): void;
}

/** A field as a finite number, or NaN when absent, empty or not a number. */
export function num(v: string | number | undefined): number {
  if (typeof v === "number") return Number.isFinite(v) ? v : NaN;
  if (v === undefined || v === "") return NaN;
  const n = +v;
  return Number.isFinite(n) ? n : NaN;
}

const HISTORY_LETTERS = "ShADadFfRrTtCcIiQqWw^";

const NOTABLE_PORTS: [string, number[]][] = [
  ["telnet", [23, 2323]],
  ["ssh", [22]],
  ["http", [80, 8080, 8000, 8081]],
  ["https", [443, 8443]],
  ["dns", [53]],
  ["smb", [139, 445]],
];

function ratio(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return b > 0 ? a / b : 0;
}

export const DERIVED: readonly DerivedDef[] = [
  {
    name: "bytes_per_packet_out",
    fields: ["bytes_out", "packets_out"],
    outputs: [{ name: "bytes_per_packet_out", kind: "numeric", transform: "log1p" }],
    compute: (f, o, i) => {
      o[i] = ratio(num(f.bytes_out), num(f.packets_out));
    },
  },
  {
    name: "bytes_per_packet_in",
    fields: ["bytes_in", "packets_in"],
    outputs: [{ name: "bytes_per_packet_in", kind: "numeric", transform: "log1p" }],
    compute: (f, o, i) => {
      o[i] = ratio(num(f.bytes_in), num(f.packets_in));
    },
  },
  {
    name: "bytes_ratio",
    fields: ["bytes_in", "bytes_out"],
    outputs: [{ name: "bytes_ratio", kind: "numeric", transform: "none" }],
    compute: (f, o, i) => {
      const a = num(f.bytes_in);
      const b = num(f.bytes_out);
      o[i] = Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.log((Math.abs(a) + 1) / (Math.abs(b) + 1));
    },
  },
  {
    name: "packets_ratio",
    fields: ["packets_in", "packets_out"],
    outputs: [{ name: "packets_ratio", kind: "numeric", transform: "none" }],
    compute: (f, o, i) => {
      const a = num(f.packets_in);
      const b = num(f.packets_out);
      o[i] = Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.log((Math.abs(a) + 1) / (Math.abs(b) + 1));
    },
  },
  {
    name: "dest_port_class",
    fields: ["dest_port"],
    outputs: [
      { name: "dest_port:well_known", kind: "flag" },
      { name: "dest_port:registered", kind: "flag" },
      { name: "dest_port:dynamic", kind: "flag" },
      { name: "dest_port:missing", kind: "flag" },
      ...NOTABLE_PORTS.map(([n]) => ({ name: `dest_port:${n}`, kind: "flag" as const })),
    ],
    compute: (f, o, i) => {
      const p = num(f.dest_port);
      const missing = Number.isNaN(p);
      o[i] = !missing && p < 1024 ? 1 : 0;
      o[i + 1] = !missing && p >= 1024 && p < 49152 ? 1 : 0;
      o[i + 2] = !missing && p >= 49152 ? 1 : 0;
      o[i + 3] = missing ? 1 : 0;
      for (let k = 0; k < NOTABLE_PORTS.length; k++) o[i + 4 + k] = !missing && NOTABLE_PORTS[k]![1].includes(p) ? 1 : 0;
    },
  },
  {
    name: "history_flags",
    fields: ["history"],
    outputs: [
      ...[...HISTORY_LETTERS].map((c) => ({ name: `history:${c}`, kind: "flag" as const })),
      { name: "history:length", kind: "numeric", transform: "log1p" },
    ],
    compute: (f, o, i) => {
      const h = f.history === undefined ? "" : String(f.history);
      for (let k = 0; k < HISTORY_LETTERS.length; k++) o[i + k] = h.includes(HISTORY_LETTERS[k]!) ? 1 : 0;
      o[i + HISTORY_LETTERS.length] = h.length;
    },
  },
  {
    name: "zero_payload",
    fields: ["bytes_in", "bytes_out"],
    outputs: [{ name: "zero_payload", kind: "flag" }],
    compute: (f, o, i) => {
      const a = num(f.bytes_in);
      const b = num(f.bytes_out);
      o[i] = (Number.isNaN(a) || a === 0) && (Number.isNaN(b) || b === 0) ? 1 : 0;
    },
  },
  {
    name: "duration_zero",
    fields: ["duration"],
    outputs: [{ name: "duration_zero", kind: "flag" }],
    compute: (f, o, i) => {
      const d = num(f.duration);
      o[i] = Number.isNaN(d) || d === 0 ? 1 : 0;
    },
  },
];

export function derivedByName(name: string): DerivedDef {
  const d = DERIVED.find((x) => x.name === name);
  if (!d) throw new Error(`unknown derived feature ${JSON.stringify(name)}; known: ${DERIVED.map((x) => x.name).join(", ")}`);
  return d;
}
