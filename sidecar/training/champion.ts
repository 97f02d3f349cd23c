/**
 * Champion/challenger: the held-out slice both versions are compared on, their metrics on it, and the rule
 * that decides. Pure functions but `holdoutMetrics` (which scores a model).
 *
 * The slice is the newest rows by event time (rows without times: the last rows in data order), so neither
 * version trained on it: the challenger trains on the rest, and the champion was trained before these rows
 * existed (when it was trained on the same source). The challenger becomes current only when it is not worse
 * than the champion by more than `tolerance` on `metric`, **and** does not raise the share of benign held-out
 * rows scored high or critical (risk score above 60) by more than `benignHighTolerance`.
 */
import type * as tf from "../tf/index.ts";
import type { ModelMetadata } from "../registry/metadata.ts";
import { riskScore } from "../scoring/risk.ts";
import type { NetEvent } from "../sources/event.ts";
import { evaluateModel } from "./evaluate-model.ts";

/** Risk scores above this are high or critical (the RBA band edges: ≤60 medium). */
export const HIGH_SCORE = 60;

export type DecisionMetric = "pr_auc" | "roc_auc" | "f1";

/** Metrics of one version on the held-out slice (the model event's `champion_metrics`/`challenger_metrics`). */
export interface HoldoutMetrics {
  rows: number;
  positives: number;
  pr_auc: number;
  roc_auc: number;
  f1: number;
  precision: number;
  recall: number;
  /** Share of benign held-out rows scored above 60 (high or critical): the analysts' false-alarm load. */
  benign_high_share: number;
}

/** Splits events into the training part and the newest `fraction` (at least one row each way). */
export function newestSlice<T extends Pick<NetEvent, "time">>(events: readonly T[], fraction: number): { train: T[]; holdout: T[] } {
  const order = events.map((e, i) => i);
  if (events.every((e) => typeof e.time === "number")) order.sort((a, b) => events[a]!.time! - events[b]!.time! || a - b);
  const n = Math.min(events.length - 1, Math.max(1, Math.round(events.length * fraction)));
  const cut = events.length - n;
  return { train: order.slice(0, cut).map((i) => events[i]!), holdout: order.slice(cut).map((i) => events[i]!) };
}

/** Scores `events` (labels 0/1) with a model and reads the comparison's metrics off the calibrated scores. */
export function holdoutMetrics(
  model: tf.LayersModel,
  metadata: Pick<ModelMetadata, "feature_spec" | "calibration" | "threshold">,
  events: readonly NetEvent[],
): HoldoutMetrics {
  const e = evaluateModel(model, metadata, events);
  let benign = 0;
  let benignHigh = 0;
  for (let i = 0; i < e.y.length; i++) {
    if (e.y[i] !== 0) continue;
    benign++;
    if (riskScore(e.prob[i]!) > HIGH_SCORE) benignHigh++;
  }
  const m = e.metrics;
  return {
    rows: m.rows,
    positives: m.positives,
    pr_auc: m.pr_auc,
    roc_auc: m.roc_auc,
    f1: m.f1,
    precision: m.precision,
    recall: m.recall,
    benign_high_share: benign === 0 ? 0 : benignHigh / benign,
  };
}

export interface DecisionRule {
  metric: DecisionMetric;
  /** How much worse on `metric` the challenger may be (default 0.005). */
  tolerance: number;
  /** How much the benign high/critical share may rise (default 0.01). */
  benignHighTolerance: number;
}

export interface Decision {
  decision: "promoted" | "kept_champion";
  /** One sentence with the numbers. */
  reason: string;
}

const f4 = (x: number) => x.toFixed(4);

/** The rule of the module comment. Without a champion the challenger is promoted. */
export function decide(champion: HoldoutMetrics | null, challenger: HoldoutMetrics, rule: DecisionRule): Decision {
  const { metric } = rule;
  if (champion === null) return { decision: "promoted", reason: `no current version: the challenger (${metric} ${f4(challenger[metric])} on the held-out slice) becomes current` };
  const delta = challenger[metric] - champion[metric];
  if (!(delta >= -rule.tolerance)) {
    return {
      decision: "kept_champion",
      reason: `the challenger's ${metric} ${f4(challenger[metric])} is below the champion's ${f4(champion[metric])} by ${f4(-delta)}, more than the tolerance ${rule.tolerance}`,
    };
  }
  const rise = challenger.benign_high_share - champion.benign_high_share;
  if (rise > rule.benignHighTolerance) {
    return {
      decision: "kept_champion",
      reason:
        `the challenger scores ${f4(challenger.benign_high_share)} of benign held-out rows high or critical against the champion's ` +
        `${f4(champion.benign_high_share)}, a rise of ${f4(rise)}, more than the tolerance ${rule.benignHighTolerance}`,
    };
  }
  return {
    decision: "promoted",
    reason: `the challenger's ${metric} ${f4(challenger[metric])} against the champion's ${f4(champion[metric])} (tolerance ${rule.tolerance}) and benign high/critical share ${f4(challenger.benign_high_share)} against ${f4(champion.benign_high_share)}`,
  };
}
