/**
 * Evaluation maths on probabilities (`Float32Array`) and labels (`Uint8Array`, 1 = attack): Platt
 * calibration, the decision threshold, and the metrics table. Pure functions, O(n log n) at most.
 */
import type { Calibration, GroupMetrics, Metrics } from "../registry/metadata.ts";
import { riskBand, riskScore } from "../scoring/risk.ts";
import { calibrate, CALIBRATION_EPS } from "../scoring/scorer.ts";

/** Σ log-loss of sigmoid(a·z + b) against the targets, computed without overflow. */
function plattLoss(z: Float64Array, t: Float64Array, a: number, b: number): number {
  let loss = 0;
  for (let i = 0; i < z.length; i++) {
    const s = a * z[i]! + b;
    // log(1 + e^s) − t·s, the negative log-likelihood of a Bernoulli with log-odds s.
    loss += (s >= 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - t[i]! * s;
  }
  return loss;
}

/**
 * Platt scaling: calibrated = sigmoid(a · logit(raw) + b), fitted by Newton's method with a backtracking line
 * search (Lin, Lin and Weng, 2007) on Platt's smoothed targets ((N+ + 1)/(N+ + 2) for attacks, 1/(N- + 2) for
 * benign), so a perfectly separated validation set does not give an infinite slope. `raw` is clamped to
 * [CALIBRATION_EPS, 1 − CALIBRATION_EPS] first, exactly as `calibrate` does, so raw 0 and 1 are safe.
 * With no rows, or if the fit fails to give finite numbers, returns the identity (a = 1, b = 0).
 */
export function fitPlatt(raw: Float32Array, y: Uint8Array): Calibration {
  const n = raw.length;
  if (n === 0) return { method: "platt", a: 1, b: 0 };
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i] ? 1 : 0;
  const tPos = (pos + 1) / (pos + 2);
  const tNeg = 1 / (n - pos + 2);
  const z = new Float64Array(n);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = Math.min(1 - CALIBRATION_EPS, Math.max(CALIBRATION_EPS, raw[i]!));
    z[i] = Math.log(p / (1 - p));
    t[i] = y[i] ? tPos : tNeg;
  }
  // A tiny ridge keeps the Hessian invertible when every z is equal.
  const ridge = 1e-12 * n;
  let a = 1;
  let b = 0;
  let loss = plattLoss(z, t, a, b);
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = ridge;
    let hab = 0;
    let hbb = ridge;
    for (let i = 0; i < n; i++) {
      const s = a * z[i]! + b;
      const p = s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
      const d = p - t[i]!;
      const w = p * (1 - p);
      ga += d * z[i]!;
      gb += d;
      haa += w * z[i]! * z[i]!;
      hab += w * z[i]!;
      hbb += w;
    }
    if (Math.abs(ga) < 1e-9 * n && Math.abs(gb) < 1e-9 * n) break;
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    // Newton direction −H⁻¹g, then halve the step until the loss decreases enough (Armijo).
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    const slope = ga * da + gb * db;
    let step = 1;
    let next = Infinity;
    while (step >= 1e-10) {
      next = plattLoss(z, t, a + step * da, b + step * db);
      if (next <= loss + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (step < 1e-10) break;
    a += step * da;
    b += step * db;
    const improvement = loss - next;
    loss = next;
    if (improvement <= 1e-12 * Math.max(1, Math.abs(loss))) break;
  }
  if (!Number.isFinite(a) || !Number.isFinite(b)) return { method: "platt", a: 1, b: 0 };
  return { method: "platt", a, b };
}

/** `calibrate` applied to every raw probability, into a new array. */
export function calibrateAll(c: Calibration, raw: Float32Array): Float32Array {
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = calibrate(c, raw[i]!);
  return out;
}

function descendingOrder(prob: Float32Array): Uint32Array {
  const idx = new Uint32Array(prob.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((i, j) => prob[j]! - prob[i]!);
}

/** What the decision threshold is chosen for (`model.training.threshold_goal`). */
export type ThresholdGoal = "balanced_accuracy" | "f1" | "false_positive_rate";

export interface ThresholdChoice {
  goal: ThresholdGoal;
  /** With `false_positive_rate`: the largest share of benign rows allowed at or above the threshold. */
  max_false_positive_rate?: number;
}

/**
 * The decision threshold (predict attack when p >= threshold) that best meets `goal` on these rows (the
 * validation split):
 * - `f1`: maximizes F1 (depends on the rows' attack share, so it carries badly to a site with another one);
 * - `balanced_accuracy` (the default): maximizes (recall + specificity) / 2, which does not depend on the
 *   attack share;
 * - `false_positive_rate`: the lowest threshold whose share of benign rows at or above it is at most
 *   `max_false_positive_rate` (the most recall within an admin's false-alarm budget).
 * Candidate cuts are the distinct probabilities, so tied scores are always on the same side. Ties go to the
 * highest threshold (fewest alerts). The value is placed halfway between the lowest included probability and
 * the next lower one, so unseen scores near the cut fall on the side the data supports; it is always strictly
 * inside (0, 1). Without attack rows (or, for the first two goals, without benign rows) the answer is 0.5.
 * O(n log n). Probabilities must not be NaN.
 */
export function chooseThreshold(prob: Float32Array, y: Uint8Array, choice: ThresholdChoice | ThresholdGoal = "f1"): number {
  const { goal, max_false_positive_rate: budget = 0.01 } = typeof choice === "string" ? { goal: choice } : choice;
  const n = prob.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i] ? 1 : 0;
  const neg = n - pos;
  if (n === 0 || pos === 0) return 0.5;
  if (neg === 0 && goal !== "f1") return 0.5;
  const order = descendingOrder(prob);
  let tp = 0;
  let fp = 0;
  let bestValue = -Infinity;
  let best = 0.5;
  // With a false-positive budget, the highest threshold (no alerts) is always within it.
  if (goal === "false_positive_rate") best = Math.min(1 - 1e-7, (prob[order[0]!]! + 1) / 2);
  for (let k = 0; k < n; ) {
    const v = prob[order[k]!]!;
    while (k < n && prob[order[k]!]! === v) {
      if (y[order[k]!]) tp++;
      else fp++;
      k++;
    }
    let value: number;
    if (goal === "f1") value = (2 * tp) / (2 * tp + fp + (pos - tp));
    else if (goal === "balanced_accuracy") value = (tp / pos + (neg - fp) / neg) / 2;
    else value = fp / Math.max(1, neg) <= budget ? tp : -Infinity;
    if (value > bestValue) {
      bestValue = value;
      const next = k < n ? prob[order[k]!]! : Math.min(0, v);
      best = (v + next) / 2;
    }
  }
  // Only a cut at or below a probability of 0 (or above 1) lands outside; keep the contract (0, 1).
  return Math.min(1 - 1e-7, Math.max(1e-7, best));
}

/**
 * ROC-AUC: the probability that a random attack row scores above a random benign row, ties counted half
 * (Mann-Whitney U with average ranks). O(n log n). NaN when either class is absent.
 */
export function rocAuc(prob: Float32Array, y: Uint8Array): number {
  const n = prob.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((i, j) => prob[i]! - prob[j]!);
  let pos = 0;
  let rankSum = 0;
  for (let k = 0; k < n; ) {
    let e = k;
    while (e < n && prob[idx[e]!]! === prob[idx[k]!]!) e++;
    const avgRank = (k + 1 + e) / 2;
    for (let t = k; t < e; t++) {
      if (y[idx[t]!]) {
        pos++;
        rankSum += avgRank;
      }
    }
    k = e;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * PR-AUC as average precision: Σ (recall_k − recall_{k−1}) · precision_k over the distinct scores, highest
 * first (tied scores enter together, as scikit-learn's `average_precision_score` does). NaN without attacks.
 */
export function averagePrecision(prob: Float32Array, y: Uint8Array): number {
  const n = prob.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i] ? 1 : 0;
  if (pos === 0) return NaN;
  const order = descendingOrder(prob);
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < n; ) {
    const v = prob[order[k]!]!;
    while (k < n && prob[order[k]!]! === v) {
      if (y[order[k]!]) tp++;
      else fp++;
      k++;
    }
    const recall = tp / pos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/**
 * Metrics at `threshold` (attack when p >= threshold), plus the threshold-free ROC-AUC and PR-AUC. Values are
 * exact fractions, not rounded (the table rounds). `roc_auc` and `pr_auc` are NaN when the rows lack a class
 * (JSON writes NaN as null); precision, recall and F1 are 0 when their denominator is.
 */
export function computeMetrics(prob: Float32Array, y: Uint8Array, threshold: number): Metrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < prob.length; i++) {
    const p = prob[i]! >= threshold;
    if (y[i]) {
      if (p) tp++;
      else fn++;
    } else if (p) fp++;
    else tn++;
  }
  const rows = prob.length;
  return {
    rows,
    positives: tp + fn,
    accuracy: rows > 0 ? (tp + tn) / rows : 0,
    precision: tp + fp > 0 ? tp / (tp + fp) : 0,
    recall: tp + fn > 0 ? tp / (tp + fn) : 0,
    f1: tp > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0,
    roc_auc: rocAuc(prob, y),
    pr_auc: averagePrecision(prob, y),
    threshold,
    confusion: { tp, fp, tn, fn },
  };
}

/**
 * Share of benign rows whose risk score (`riskScore` of the calibrated probability, as the product writes it)
 * lands in the high or critical band: the analyst's false-alarm load. NaN without benign rows.
 */
export function benignHighOrCritical(prob: Float32Array, y: Uint8Array): number {
  let benign = 0;
  let alarmed = 0;
  for (let i = 0; i < prob.length; i++) {
    if (y[i]) continue;
    benign++;
    const band = riskBand(riskScore(prob[i]!));
    if (band === "high" || band === "critical") alarmed++;
  }
  return benign === 0 ? NaN : alarmed / benign;
}

/**
 * A small aligned text table for the CLI: counts, the rates to 4 decimals (`n/a` when undefined), and the
 * confusion matrix with actual classes as rows.
 */
export function formatMetricsTable(m: Metrics): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : "n/a");
  const c = m.confusion;
  const cells: [string, string][] = [
    ["accuracy", f(m.accuracy)],
    ["precision", f(m.precision)],
    ["recall", f(m.recall)],
    ["f1", f(m.f1)],
    ["roc_auc", f(m.roc_auc)],
    ["pr_auc", f(m.pr_auc)],
  ];
  const pair = ([k, v]: [string, string]) => `${k.padEnd(10)} ${v.padStart(6)}`;
  const w = Math.max(String(c.tp + c.fn).length, String(c.fp + c.tn).length, "predicted attack".length);
  return [
    `  ${"rows".padEnd(10)} ${m.rows} (${m.positives} attack, ${m.rows - m.positives} benign)`,
    `  ${pair(cells[0]!)}    ${pair(cells[1]!)}    ${pair(cells[2]!)}`,
    `  ${pair(cells[3]!)}    ${pair(cells[4]!)}    ${pair(cells[5]!)}`,
    `  ${"threshold".padEnd(10)} ${m.threshold.toFixed(4).padStart(6)}`,
    `  ${"".padEnd(13)} ${"predicted attack".padStart(w)}  ${"predicted benign".padStart(w)}`,
    `  ${"actual attack".padEnd(13)} ${String(c.tp).padStart(w)}  ${String(c.fn).padStart(w)}`,
    `  ${"actual benign".padEnd(13)} ${String(c.fp).padStart(w)}  ${String(c.tn).padStart(w)}`,
  ].join("\n");
}

/** One group's figures (an input file, a capture, a block of time) at `threshold`; a one-class group is flagged. */
export function groupFigures(name: string, prob: Float32Array, y: Uint8Array, threshold: number): GroupMetrics {
  const m = computeMetrics(prob, y, threshold);
  return {
    name,
    rows: m.rows,
    positives: m.positives,
    accuracy: m.accuracy,
    roc_auc: m.roc_auc,
    pr_auc: m.pr_auc,
    benign_high_or_critical: benignHighOrCritical(prob, y),
    one_class: m.positives === 0 || m.positives === m.rows,
  };
}
