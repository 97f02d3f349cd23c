/**
 * The normalized event every source produces and every later stage consumes.
 *
 * Contract:
 * - `fields` holds CIM Network_Traffic names where one exists (`src_ip`, `dest_ip`, `dest_port`, `transport`,
 *   `app`, `bytes_in`, `bytes_out`, `packets_in`, `packets_out`, `duration`, ...) plus source-specific names
 *   (`conn_state`, `history`, ...). A field that is unset in the source (Zeek `-`, an empty CSV cell, a missing
 *   JSON key) is absent, never `""` or `"-"`. Values are left as the source gave them (strings from text
 *   formats, numbers from JSON); featurize coerces them, so a garbage number is a featurize concern.
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
