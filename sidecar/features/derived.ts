/**
 * Derived features, by name. Each reads some source fields and writes a fixed list of raw values: `numeric`
 * outputs are then transformed and standardized like numeric fields (stats fitted on the training split),
 * `flag` outputs (0/1) are used as they are. Every output column records the source fields it reads, so
 * explanations sum its contribution back to them.
 *
 * The column names and meanings are part of every saved model's feature contract: changing what an existing
 * output computes silently changes the scores of models already trained. Add a new feature instead.
 */
import { toNumber, type Fields } from "../sources/event.ts";

export interface DerivedOutput {
  name: string;
  kind: "numeric" | "flag";
  /** For numeric outputs: the transform before standardization. */
  transform?: "log1p" | "none";
}

/** How a derived feature reads a source field: parsed as a number by `toNumber` (NaN when missing), or as the raw value. */
export type DerivedInput = "number" | "text";

export interface DerivedDef {
  name: string;
  /** Source fields read, in the order `kernel` receives them. The feature is offered (by `inferFeatureConfig`)
   * only when the input has all of them. */
  fields: readonly string[];
  /** Per field: `number` fields arrive parsed in `x` (NaN when missing or garbage); `text` fields arrive as NaN
   * in `x` and the kernel reads the raw value from the event itself. */
  inputs: readonly DerivedInput[];
  outputs: readonly DerivedOutput[];
  /** The output column names, in order (`outputs[i].name`). */
  columns: readonly string[];
  /**
   * The hot path: writes `outputs.length` raw values at `out[offset..]`, every one of them on every call. NaN
   * in a numeric output means missing (imputed to the training mean). `x` is owned by the caller and reused.
   */
  kernel(x: Float64Array, f: Fields, out: Float64Array, offset: number): void;
  /** `kernel` with the number inputs parsed from `f` (fitting and tests; allocates nothing per call). */
  compute(f: Fields, out: Float64Array, offset: number): void;
}

const HISTORY_LETTERS = "ShADadFfRrTtCcIiQqWw^";
/** Char code → index of the letter in `HISTORY_LETTERS`, -1 for other characters. */
const HISTORY_INDEX = new Int8Array(128).fill(-1);
for (let k = 0; k < HISTORY_LETTERS.length; k++) HISTORY_INDEX[HISTORY_LETTERS.charCodeAt(k)] = k;

const NOTABLE_PORTS: [string, number[]][] = [
  ["telnet", [23, 2323]],
  ["ssh", [22]],
  ["http", [80, 8080, 8000, 8081]],
  ["https", [443, 8443]],
  ["dns", [53]],
  ["smb", [139, 445]],
];
/** Port → index in `NOTABLE_PORTS`. */
const NOTABLE_INDEX = new Map<number, number>(NOTABLE_PORTS.flatMap(([, ports], k) => ports.map((p) => [p, k] as [number, number])));

/** a / b for counts: NaN when either is missing, 0 when b is not positive (no packets, no bytes per packet). */
function ratio(a: number, b: number): number {
  if (a !== a || b !== b) return NaN;
  return b > 0 ? a / b : 0;
}

/** log((|a| + 1) / (|b| + 1)): 0 when balanced, sign says which side is bigger; NaN when either is missing. */
function logRatio(a: number, b: number): number {
  if (a !== a || b !== b) return NaN;
  return Math.log((Math.abs(a) + 1) / (Math.abs(b) + 1));
}

function define(d: Omit<DerivedDef, "columns" | "compute">): DerivedDef {
  if (d.inputs.length !== d.fields.length) throw new Error(`derived feature ${d.name}: inputs and fields differ in length`);
  const x = new Float64Array(d.fields.length);
  const number = d.inputs.map((k) => k === "number");
  return {
    ...d,
    columns: d.outputs.map((o) => o.name),
    compute(f, out, offset) {
      for (let k = 0; k < x.length; k++) x[k] = number[k] ? (toNumber(f[d.fields[k]!]) ?? NaN) : NaN;
      d.kernel(x, f, out, offset);
    },
  };
}

export const DERIVED: readonly DerivedDef[] = [
  define({
    name: "bytes_per_packet_out",
    fields: ["bytes_out", "packets_out"],
    inputs: ["number", "number"],
    outputs: [{ name: "bytes_per_packet_out", kind: "numeric", transform: "log1p" }],
    kernel: (x, _f, o, i) => {
      o[i] = ratio(x[0]!, x[1]!);
    },
  }),
  define({
    name: "bytes_per_packet_in",
    fields: ["bytes_in", "packets_in"],
    inputs: ["number", "number"],
    outputs: [{ name: "bytes_per_packet_in", kind: "numeric", transform: "log1p" }],
    kernel: (x, _f, o, i) => {
      o[i] = ratio(x[0]!, x[1]!);
    },
  }),
  define({
    name: "bytes_ratio",
    fields: ["bytes_in", "bytes_out"],
    inputs: ["number", "number"],
    outputs: [{ name: "bytes_ratio", kind: "numeric", transform: "none" }],
    kernel: (x, _f, o, i) => {
      o[i] = logRatio(x[0]!, x[1]!);
    },
  }),
  define({
    name: "packets_ratio",
    fields: ["packets_in", "packets_out"],
    inputs: ["number", "number"],
    outputs: [{ name: "packets_ratio", kind: "numeric", transform: "none" }],
    kernel: (x, _f, o, i) => {
      o[i] = logRatio(x[0]!, x[1]!);
    },
  }),
  define({
    name: "dest_port_class",
    fields: ["dest_port"],
    inputs: ["number"],
    outputs: [
      { name: "dest_port:well_known", kind: "flag" },
      { name: "dest_port:registered", kind: "flag" },
      { name: "dest_port:dynamic", kind: "flag" },
      { name: "dest_port:missing", kind: "flag" },
      ...NOTABLE_PORTS.map(([n]) => ({ name: `dest_port:${n}`, kind: "flag" as const })),
    ],
    kernel: (x, _f, o, i) => {
      const p = x[0]!;
      for (let k = 0; k < 4 + NOTABLE_PORTS.length; k++) o[i + k] = 0;
      if (p !== p) {
        o[i + 3] = 1;
        return;
      }
      o[i + (p < 1024 ? 0 : p < 49152 ? 1 : 2)] = 1;
      const k = NOTABLE_INDEX.get(p);
      if (k !== undefined) o[i + 4 + k] = 1;
    },
  }),
  define({
    name: "history_flags",
    fields: ["history"],
    inputs: ["text"],
    outputs: [
      ...[...HISTORY_LETTERS].map((c) => ({ name: `history:${c}`, kind: "flag" as const })),
      // Absent history counts as the empty string: no flags, length 0.
      { name: "history:length", kind: "numeric", transform: "log1p" },
    ],
    kernel: (_x, f, o, i) => {
      for (let k = 0; k < HISTORY_LETTERS.length; k++) o[i + k] = 0;
      const v = f.history;
      const h = v === undefined ? "" : typeof v === "string" ? v : String(v);
      for (let j = 0; j < h.length; j++) {
        const c = h.charCodeAt(j);
        const k = c < 128 ? HISTORY_INDEX[c]! : -1;
        if (k >= 0) o[i + k] = 1;
      }
      o[i + HISTORY_LETTERS.length] = h.length;
    },
  }),
  define({
    name: "zero_payload",
    fields: ["bytes_in", "bytes_out"],
    inputs: ["number", "number"],
    // Missing counts as zero here: Zeek leaves byte counts unset when it saw no payload to count.
    outputs: [{ name: "zero_payload", kind: "flag" }],
    kernel: (x, _f, o, i) => {
      const a = x[0]!;
      const b = x[1]!;
      o[i] = (a !== a || a === 0) && (b !== b || b === 0) ? 1 : 0;
    },
  }),
  define({
    name: "duration_zero",
    fields: ["duration"],
    inputs: ["number"],
    // Missing counts as zero: Zeek leaves the duration unset for single-packet connections.
    outputs: [{ name: "duration_zero", kind: "flag" }],
    kernel: (x, _f, o, i) => {
      const d = x[0]!;
      o[i] = d !== d || d === 0 ? 1 : 0;
    },
  }),
];

export function derivedByName(name: string): DerivedDef {
  const d = DERIVED.find((x) => x.name === name);
  if (!d) throw new Error(`unknown derived feature ${JSON.stringify(name)}; known: ${DERIVED.map((x) => x.name).join(", ")}`);
  return d;
}
