/**
 * The default feature choice for a training input, from the fields it provides and a sample of its rows.
 */
import { DEFAULT_FEATURE_CONFIG, inferFeatureConfig } from "./defaults.ts";
import { derivedByName } from "./derived.ts";
import type { FeatureConfig } from "./spec.ts";
import type { Fields } from "../sources/event.ts";

/**
 * The features to train on: the network-flow defaults when the input carries CIM flow fields (Zeek,
 * Splunk exports), restricted to the fields present; otherwise inferred from the columns (NSL-KDD, UNSW, CSV).
 * Pure: the same fields and sample give the same config.
 */
export function chooseFeatures(fields: string[], sample: Fields[]): FeatureConfig {
  const have = new Set(fields);
  const core = ["duration", "bytes_in", "bytes_out", "packets_in", "packets_out"].filter((f) => have.has(f));
  const flowLike = have.has("conn_state") || have.has("history");
  if (core.length >= 3 && flowLike) {
    const d = DEFAULT_FEATURE_CONFIG;
    return {
      ...d,
      numeric: d.numeric.filter((f) => have.has(f)),
      categorical: d.categorical.filter((f) => have.has(f)),
      derived: d.derived.filter((name) => derivedByName(name).fields.every((f) => have.has(f))),
    };
  }
  return inferFeatureConfig(fields, sample);
}
