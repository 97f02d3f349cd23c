/**
 * Field mappings as data: for each input format, how source columns become normalized event fields
 * (`NetEvent.fields`), which column is the event time, which is the label and what its values mean.
 *
 * Direction follows CIM Network_Traffic: the originator of a connection is the source, so Zeek's
 * `orig_bytes` (bytes the originator sent) is `bytes_out` and `resp_bytes` is `bytes_in` (ADR 0003).
 * Config can extend or replace any part through `resolveMapping(format, overrides)`; nothing about field
 * names is hard-coded in the readers.
 */
/** 1 attack, 0 benign, null labeled but excluded (`Background`, `Unknown`): `NetEvent.label`. */
export type Label = 0 | 1 | null;

export const FORMATS = ["zeek", "csv", "jsonl", "nsl-kdd", "unsw-nb15"] as const;
export type Format = (typeof FORMATS)[number];

export interface FieldMapping {
  /** Source column → normalized field name. A column not listed keeps its name. */
  rename: Record<string, string>;
  /** Source columns left out of `fields` (after the time and label columns are taken out). */
  drop: string[];
  /** Source columns whose name starts with one of these are dropped (Splunk's internal `_…` fields). */
  dropPrefixes: string[];
  /** Candidate columns holding the event time (epoch seconds, or an ISO 8601 string); first present wins.
   * The time column never appears in `fields`. */
  time: string[];
  /** Candidate label columns; first present wins. The label column never appears in `fields`. */
  label: string[];
  /** Label value, lower-cased and trimmed → label. `null` means labeled but excluded (not for training). */
  labels: Record<string, Label>;
  /** Label of any other non-empty, non-unset value. */
  otherLabel: Label;
  /** Cell values that mean "unset": the field is absent. Zeek files declare their own in the header. */
  unset: string[];
  /** Header-less formats: the column names in order. */
  columns?: string[];
  /** Header-less formats: the fewest columns a row may have (the columns after it are optional). */
  minColumns?: number;
}

/** What config may give: `rename` and `labels` are merged over the defaults, the other keys replace them. */
export type FieldMappingOverride = Partial<FieldMapping>;

/** Shared label vocabulary: `benign`/`normal`/`0` → 0, `background`/`unknown` → excluded, others → 1. */
export const DEFAULT_LABELS: Readonly<Record<string, Label>> = {
  benign: 0,
  normal: 0,
  "0": 0,
  background: null,
  unknown: null,
};

/** Zeek conn.log names → CIM Network_Traffic names. Unlisted Zeek fields (`conn_state`, `history`,
 * `missed_bytes`, `orig_ip_bytes`, `resp_ip_bytes`, `local_orig`, `uid`, ...) keep their names. */
export const ZEEK_RENAME: Readonly<Record<string, string>> = {
  "id.orig_h": "src_ip",
  "id.orig_p": "src_port",
  "id.resp_h": "dest_ip",
  "id.resp_p": "dest_port",
  proto: "transport",
  service: "app",
  orig_bytes: "bytes_out",
  resp_bytes: "bytes_in",
  orig_pkts: "packets_out",
  resp_pkts: "packets_in",
  duration: "duration",
  // Stratosphere spells it `detailedlabel`, IoT-23 `detailed-label`: one name for both.
  "detailed-label": "detailed_label",
  detailedlabel: "detailed_label",
};

/** NSL-KDD's 43 columns, in file order (the files have no header). */
export const NSL_KDD_COLUMNS: readonly string[] = [
  "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land", "wrong_fragment", "urgent",
  "hot", "num_failed_logins", "logged_in", "num_compromised", "root_shell", "su_attempted", "num_root",
  "num_file_creations", "num_shells", "num_access_files", "num_outbound_cmds", "is_host_login",
  "is_guest_login", "count", "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate",
  "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count", "dst_host_srv_count",
  "dst_host_same_srv_rate", "dst_host_diff_srv_rate", "dst_host_same_src_port_rate",
  "dst_host_srv_diff_host_rate", "dst_host_serror_rate", "dst_host_srv_serror_rate", "dst_host_rerror_rate",
  "dst_host_srv_rerror_rate", "label", "difficulty",
];

const zeek: FieldMapping = {
  rename: { ...ZEEK_RENAME },
  drop: [],
  dropPrefixes: [],
  time: ["ts"],
  label: ["label"],
  labels: { ...DEFAULT_LABELS },
  otherLabel: 1,
  unset: ["-", "(empty)", ""],
};

const nslKdd: FieldMapping = {
  rename: {
    protocol_type: "transport",
    service: "app",
    src_bytes: "bytes_out",
    dst_bytes: "bytes_in",
    duration: "duration",
  },
  drop: ["difficulty"],
  dropPrefixes: [],
  time: [],
  label: ["label"],
  // KDD Cup 99 files end labels with a dot (`normal.`).
  labels: { ...DEFAULT_LABELS, "normal.": 0 },
  otherLabel: 1,
  unset: [""],
  columns: [...NSL_KDD_COLUMNS],
  minColumns: NSL_KDD_COLUMNS.length - 1,
};

const unswNb15: FieldMapping = {
  rename: {
    proto: "transport",
    service: "app",
    sbytes: "bytes_out",
    dbytes: "bytes_in",
    spkts: "packets_out",
    dpkts: "packets_in",
    dur: "duration",
    srcip: "src_ip",
    dstip: "dest_ip",
    sport: "src_port",
    dsport: "dest_port",
  },
  drop: ["id", "attack_cat"],
  dropPrefixes: [],
  // Only the full UNSW-NB15 CSVs carry `stime`; the train/test partitions have no time.
  time: ["stime"],
  label: ["label"],
  labels: { ...DEFAULT_LABELS },
  otherLabel: 1,
  // UNSW writes `-` for "no service", as Zeek does.
  unset: ["", "-"],
};

/** Generic CSV (the tutorial's `network_traffic.csv`, Splunk CSV exports): CIM names and other names are
 * kept; Zeek-named columns are renamed as in Zeek. */
const csv: FieldMapping = {
  rename: { ...ZEEK_RENAME },
  drop: [],
  dropPrefixes: ["_"],
  time: ["_time", "ts"],
  label: ["label"],
  labels: { ...DEFAULT_LABELS },
  otherLabel: 1,
  // "-" is Zeek's unset marker, and what a CSV export of a Zeek log carries: missing, as in Zeek, so both
  // exports of the same data score the same.
  unset: ["", "-"],
};

/** JSON lines (Splunk export rows, Zeek JSON logs): Zeek-named keys are renamed, CIM names kept. */
const jsonl: FieldMapping = {
  rename: { ...ZEEK_RENAME },
  drop: [],
  // `_raw`, `_cd`, `_bkt`, `_si`, `_indextime`, ...: Splunk's internal fields are not event fields.
  dropPrefixes: ["_"],
  time: ["_time", "ts"],
  label: ["label"],
  labels: { ...DEFAULT_LABELS },
  otherLabel: 1,
  unset: ["", "-"],
};

/** The defaults, one per format. Read-only: `resolveMapping` returns copies. */
export const DEFAULT_MAPPINGS: Readonly<Record<Format, Readonly<FieldMapping>>> = {
  zeek,
  csv,
  jsonl,
  "nsl-kdd": nslKdd,
  "unsw-nb15": unswNb15,
};

export function isFormat(name: string): name is Format {
  return (FORMATS as readonly string[]).includes(name);
}

/** Checks a user-given format name; the error lists the valid ones. */
export function parseFormat(name: string): Format {
  if (isFormat(name)) return name;
  throw new Error(`unknown format "${name}": use --format ${FORMATS.join("|")}`);
}

/**
 * The mapping for `format`, with `overrides` applied: `rename` and `labels` are merged over the defaults
 * (an override key wins), every other given key replaces the default. Label keys are lower-cased.
 * `labelColumn` (the `--label-column` flag) replaces the label candidates with that one column.
 */
export function resolveMapping(format: Format, overrides: FieldMappingOverride = {}, labelColumn?: string): FieldMapping {
  const base = DEFAULT_MAPPINGS[format];
  const labels: Record<string, Label> = { ...base.labels };
  for (const [k, v] of Object.entries(overrides.labels ?? {})) labels[k.trim().toLowerCase()] = v;
  const resolved: FieldMapping = {
    rename: { ...base.rename, ...overrides.rename },
    drop: [...(overrides.drop ?? base.drop)],
    dropPrefixes: [...(overrides.dropPrefixes ?? base.dropPrefixes)],
    time: [...(overrides.time ?? base.time)],
    label: labelColumn !== undefined ? [labelColumn] : [...(overrides.label ?? base.label)],
    labels,
    otherLabel: overrides.otherLabel !== undefined ? overrides.otherLabel : base.otherLabel,
    unset: [...(overrides.unset ?? base.unset)],
  };
  const columns = overrides.columns ?? base.columns;
  if (columns !== undefined) {
    resolved.columns = [...columns];
    const min = overrides.minColumns ?? (overrides.columns !== undefined ? columns.length : base.minColumns);
    resolved.minColumns = min ?? columns.length;
  }
  return resolved;
}
