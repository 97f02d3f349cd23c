/**
 * Default feature choices. For network flows (CIM names, Zeek conn fields): the numeric volumes and
 * durations, the categorical protocol/service/state, and every derived feature. Never identifiers: IPs,
 * timestamps, uids and source ports say which capture or host an event came from, not how it behaves (labels
 * in the public captures follow IPs), so a model that saw them would not generalize to a new network.
 */
import { toNumber, type Fields } from "../sources/event.ts";
import { DERIVED } from "./derived.ts";
import type { FeatureConfig } from "./spec.ts";

export const DEFAULT_FEATURE_CONFIG: FeatureConfig = {
  numeric: ["duration", "bytes_in", "bytes_out", "packets_in", "packets_out", "missed_bytes", "orig_ip_bytes", "resp_ip_bytes"],
  categorical: ["transport", "app", "conn_state"],
  derived: DERIVED.map((d) => d.name),
  min_category_count: 5,
  max_categories: 50,
  histogram_bins: 20,
  unfamiliar_as_missing: true,
};

/** Never features: identifiers, times, labels, site-specific flags, and `dest_port`/`history`, which enter
 * only through their derived features (`dest_port_class`, `history_flags`). */
const EXCLUDED = new Set([
  "ts", "time", "_time", "uid", "src_ip", "dest_ip", "src_port", "id", "event_id", "label", "detailed_label",
  "attack_cat", "difficulty", "tunnel_parents", "local_orig", "local_resp", "srcip", "dstip", "sport", "dsport",
  "stime", "ltime", "dest_port", "history",
]);
/** Address, identifier and timestamp columns in other spellings (`client_ip`, `orig_h`, `timestamp`). A
 * duration such as `response_time` is a behaviour, so plain `time` suffixes are kept. */
const EXCLUDED_NAME = /(^|[_.])(ip|ipv4|ipv6|addr|address|mac|orig_h|resp_h|timestamp|datetime|date|uid|guid|uuid)$|^id\./i;
/** An IPv4 address, or something IPv6-like (hex groups with colons). */
const IP = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}$/i;
/** A text column with more distinct values than this share of its sampled values is an identifier. */
const IDENTIFIER_DISTINCT_SHARE = 0.5;
/** ... once it has at least this many distinct values (small samples say little). */
const IDENTIFIER_MIN_DISTINCT = 50;

/**
 * Quantile bins per numeric value for inferred tabular inputs (NSL-KDD, UNSW-NB15, CSV exports with many
 * numeric columns). They let the network cut a count or a rate at several places, as a tree does; on
 * validation data inside UNSW-NB15 and NSL-KDD they helped, on Zeek flows across captures they did not
 * (ADR 0008), so the flow defaults leave them out and keep the scoring row narrow.
 */
export const TABULAR_NUMERIC_BINS = 8;

/**
 * Features for an arbitrary tabular input (NSL-KDD, UNSW-NB15, a CSV): a field whose sampled non-missing
 * values are all numbers is numeric, otherwise categorical. Skipped: identifiers, addresses and times (by
 * name, or by value for IP addresses), text columns that look like identifiers (most sampled values
 * distinct), and fields never set in the sample. Derived features are added when all their source fields
 * are among `fieldNames`. `dest_port` only ever enters through its port class, and `history` only through its
 * flags. The order of `fieldNames` is kept. Vocabulary and histogram settings are the network-flow defaults;
 * numeric values also get `TABULAR_NUMERIC_BINS` quantile bins.
 */
export function inferFeatureConfig(fieldNames: readonly string[], sample: readonly Fields[]): FeatureConfig {
  const numeric: string[] = [];
  const categorical: string[] = [];
  for (const f of fieldNames) {
    if (EXCLUDED.has(f) || EXCLUDED_NAME.test(f)) continue;
    let seen = 0;
    let numbers = 0;
    let ips = 0;
    const distinct = new Set<string>();
    for (const r of sample) {
      const v = r[f];
      if (v === undefined || (typeof v === "string" && v.trim() === "")) continue;
      seen++;
      if (toNumber(v) !== undefined) numbers++;
      else if (IP.test(String(v).trim())) ips++;
      distinct.add(String(v).trim().toLowerCase());
    }
    if (seen === 0 || ips > 0) continue;
    if (numbers === seen) {
      numeric.push(f);
    } else if (!(distinct.size >= IDENTIFIER_MIN_DISTINCT && distinct.size > IDENTIFIER_DISTINCT_SHARE * seen)) {
      categorical.push(f);
    }
  }
  const have = new Set(fieldNames);
  return {
    ...DEFAULT_FEATURE_CONFIG,
    numeric_bins: TABULAR_NUMERIC_BINS,
    numeric,
    categorical,
    derived: DERIVED.filter((d) => d.fields.every((f) => have.has(f))).map((d) => d.name),
  };
}
