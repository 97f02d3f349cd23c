/**
 * Default feature choices. For network flows (CIM names, Zeek conn fields): the numeric volumes and
 * durations, the categorical protocol/service/state, and every derived feature. Never identifiers: IPs,
 * timestamps, uids and source ports say which capture or host an event came from, not how it behaves (labels
 * in the public captures follow IPs), so a model that saw them would not generalize to a new network.
 */
import type { Fields } from "../sources/event.ts";
import { DERIVED, num } from "./derived.ts";
import type { FeatureConfig } from "./spec.ts";

export const DEFAULT_FEATURE_CONFIG: FeatureConfig = {
  numeric: ["duration", "bytes_in", "bytes_out", "packets_in", "packets_out", "missed_bytes", "orig_ip_bytes", "resp_ip_bytes"],
  categorical: ["transport", "app", "conn_state"],
  derived: DERIVED.map((d) => d.name),
  min_category_count: 5,
  max_categories: 50,
  histogram_bins: 20,
};

/** Never features: identifiers, times, labels. */
const EXCLUDED = new Set([
  "ts", "time", "_time", "uid", "src_ip", "dest_ip", "src_port", "id", "event_id", "label", "detailed_label",
  "attack_cat", "difficulty", "tunnel_parents", "local_orig", "local_resp", "srcip", "dstip", "sport", "dsport",
  "stime", "ltime", "dest_port", "history",
]);
const IP = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]+:[0-9a-f:]*$/i;

/**
 * Features for an arbitrary tabular input (NSL-KDD, UNSW-NB15, a CSV): a field whose sampled non-missing
 * values are all numbers is numeric, otherwise categorical (unless it looks like an IP or an identifier);
 * derived features are added when their source fields are present. `dest_port` only ever enters through its
 * port class, and `history` only through its flags.
 */
export function inferFeatureConfig(fieldNames: string[], sample: readonly Fields[]): FeatureConfig {
  const numeric: string[] = [];
  const categorical: string[] = [];
  for (const f of fieldNames) {
    if (EXCLUDED.has(f)) continue;
    let seen = 0;
    let numbers = 0;
    let ips = 0;
    for (const r of sample) {
      const v = r[f];
      if (v === undefined || v === "") continue;
      seen++;
      if (!Number.isNaN(num(v))) numbers++;
      else if (IP.test(String(v))) ips++;
    }
    if (seen === 0 || ips > 0) continue;
    (numbers === seen ? numeric : categorical).push(f);
  }
  const have = new Set(fieldNames);
  return {
    ...DEFAULT_FEATURE_CONFIG,
    numeric,
    categorical,
    derived: DERIVED.filter((d) => d.fields.every((f) => have.has(f))).map((d) => d.name),
  };
}
