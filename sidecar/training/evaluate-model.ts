/**
 * A trained model's metrics on labeled events it did not train on: featurized with the model's own fitted
 * spec and scored by the production `Scorer` (calibrated probabilities, bit for bit what scoring writes).
 * Shared by `soc-assistant evaluate`, the accuracy bench, and (later) the champion/challenger comparison.
 */
import type * as tf from "../tf/index.ts";
import { featurizeRows } from "../features/featurize.ts";
import type { Metrics, ModelMetadata } from "../registry/metadata.ts";
import { Scorer } from "../scoring/scorer.ts";
import type { Fields } from "../sources/event.ts";
import { computeMetrics } from "./evaluate.ts";

export interface ModelEvaluation {
  /** Calibrated probability of attack per event, in input order. */
  prob: Float32Array;
  /** The events' labels, in input order. */
  y: Uint8Array;
  /** At the model's threshold. */
  metrics: Metrics;
}

/**
 * Scores `events` (labels 0 or 1) with `model` and computes the metrics at `metadata.threshold`. The model
 * stays the caller's to dispose.
 */
export function evaluateModel(
  model: tf.LayersModel,
  metadata: Pick<ModelMetadata, "feature_spec" | "calibration" | "threshold">,
  events: readonly { fields: Fields; label?: 0 | 1 | null }[],
): ModelEvaluation {
  const y = Uint8Array.from(events, (e, i) => {
    if (e.label !== 0 && e.label !== 1) throw new Error(`event ${i} has label ${String(e.label)}; only 0 and 1 can be evaluated`);
    return e.label;
  });
  const x = featurizeRows(metadata.feature_spec, events.map((e) => e.fields));
  const scorer = Scorer.fromModel(model, metadata);
  try {
    const prob = scorer.score(x, events.length);
    return { prob, y, metrics: computeMetrics(prob, y, metadata.threshold) };
  } finally {
    scorer.dispose();
  }
}
