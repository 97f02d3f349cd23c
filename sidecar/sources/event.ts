/**
 * The normalized event every source produces and every later stage consumes.
 *
 * Contract:
 * - `fields` holds CIM Network_Traffic names where one exists (`src_ip`, `dest_ip`, `dest_port`, `transport`,
 *   `app`, `bytes_in`, `bytes_out`, `packets_in`, `packets_out`, `duration`, ...) plus source-specific names
 *   (`conn_state`, `history`, ...). A field that is unset in the source (Zeek `-`, an empty CSV cell, a missing
 *   JSON key) is absent, never `""` or `"-"`. Values are left as the source gave them (strings from text
 *   formats, numbers from JSON); every later stage reads a number from a value with `toNumber`, the one rule
 *   for what counts as a number.
 * - `label` is 1 (attack), 0 (benign), null (labeled but excluded from training: `Background`, `Unknown`),
 *   or undefined when the source carries no label at all.
 * - `origin` says where the event came from, for `event_id` and for the pivot fields of the risk event.
 */
export type FieldValue = string | number;
export type Fields = Record<string, FieldValue | undefined>;

export interface FileOrigin {
  kind: "file";
  /** The file's path as given by the user. */
  file: string;
  /** 1-based physical line number in the (decompressed) file. */
  line: number;
  /** The line as read, without its line terminator. */
  raw: string;
}

export interface SplunkOrigin {
  kind: "splunk";
  index: string;
  sourcetype: string;
  host: string;
  source: string;
  cd: string;
  /** `_time` as epoch seconds. */
  time: number;
  raw: string;
}

export type Origin = FileOrigin | SplunkOrigin;

export interface NetEvent {
  fields: Fields;
  label?: 0 | 1 | null;
  /** Event time, epoch seconds, when the source has one (Zeek `ts`, Splunk `_time`). */
  time?: number;
  origin: Origin;
}

/** A row a reader could not turn into an event: counted and reported, never fatal for the file. */
export interface RejectedRow {
  file: string;
  line: number;
  reason: string;
}

const HAS_DIGIT = /[0-9]/;
/** Exact powers of ten (10^22 is the largest a double holds exactly). */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * A field value as a finite number, or undefined when it is absent, blank or not a number: the one rule that
 * features (training and scoring), explanations and the risk event's numeric fields share. Numbers pass when
 * finite. Strings must parse completely as a JavaScript number after trimming (`"12"`, `" 12 "`, `"1e3"`,
 * `"-0.5"`, `".5"`; also `"0x1f"`, which flow data never contains): `""`, `"  "`, `"-"`, `"12abc"`, `"NaN"`,
 * `"Infinity"` and `"1e999"` are undefined, never 0. Anything else (a boolean or null from a loose JSON
 * source) is undefined. A number and its string give the same value, bit for bit.
 *
 * Hot (called per numeric field per event): allocates nothing, and plain decimals skip the runtime's parser.
 */
export function toNumber(v: FieldValue | undefined): number | undefined {
  if (typeof v === "number") return v - v === 0 ? v : undefined;
  if (typeof v !== "string") return undefined;
  const d = parseDecimal(v);
  if (d === d) return d;
  const n = +v;
  if (n - n !== 0) return undefined;
  // `+""` and `+"  "` are 0: a blank string is missing, not zero.
  if (n === 0 && !HAS_DIGIT.test(v)) return undefined;
  return n;
}

/**
 * The fast path of `toNumber` for the plain decimals text formats are made of (`-?digits[.digits]`, at most 15
 * significant digits): NaN for anything else, which `toNumber` then hands to the full parser. Exact: the
 * digits form an integer m < 2^53 and 10^k is exact, so m / 10^k is one correctly rounded division, the same
 * double as `+s` gives (Clinger's fast path). Avoids a runtime call per field on fresh strings.
 */
function parseDecimal(s: string): number {
  const n = s.length;
  if (n === 0 || n > 17) return NaN;
  let i = 0;
  const neg = s.charCodeAt(0) === 45;
  if (neg) i = 1;
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) {
      frac = 0;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) return NaN;
  const x = frac > 0 ? m / POW10[frac]! : m;
  return neg ? -x : x;
}
