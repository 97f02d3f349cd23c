/**
 * Evaluation maths on probabilities (`Float32Array`) and labels (`Uint8Array`, 1 = attack): Platt
 * calibration, the decision threshold, and the metrics table. Pure functions, O(n log n) at most.
 */
import type { Calibration, Metrics } from "../registry/metadata.ts";
import { calibrate, CALIBRATION_EPS } from "../scoring/scorer.ts";

export { calibrate } from "../scoring/scorer.ts";

/**
 * Platt scaling fitted by Newton's method on logit(raw) with Platt's smoothed targets
 * ((N+ + 1)/(N+ + 2) and 1/(N- + 2)), so a perfectly separated validation set does not give infinite slopes.
 */
export function fitPlatt(raw: Float32Array, y: Uint8Array): Calibration {
  const n = raw.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i]!;
  const tPos = (pos + 1) / (pos + 2);
  const tNeg = 1 / (n - pos + 2);
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = Math.min(1 - CALIBRATION_EPS, Math.max(CALIBRATION_EPS, raw[i]!));
    z[i] = Math.log(p / (1 - p));
  }
  let a = 1;
  let b = 0;
  const lambda = 1e-6;
  for (let iter = 0; iter < 100; iter++) {
    let ga = lambda * a;
    let gb = 0;
    let haa = lambda;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const s = a * z[i]! + b;
      const p = 1 / (1 + Math.exp(-s));
      const t = y[i] ? tPos : tNeg;
      const d = p - t;
      const w = Math.max(p * (1 - p), 1e-12);
      ga += d * z[i]!;
      gb += d;
      haa += w * z[i]! * z[i]!;
      hab += w * z[i]!;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-18)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-9 && Math.abs(db) < 1e-9) break;
  }
  if (!Number.isFinite(a) || !Number.isFinite(b)) return { method: "platt", a: 1, b: 0 };
  return { method: "platt", a, b };
}

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

/**
 * The threshold (predict attack when p >= threshold) that maximizes F1 on these rows. Among equal F1, the
 * highest threshold (fewest alerts). The value is placed halfway between the last included probability and
 * the next lower one, so unseen scores near the cut fall on the side the data supports; it is kept in (0, 1).
 */
export function chooseThreshold(prob: Float32Array, y: Uint8Array): number {
  const n = prob.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i]!;
  if (n === 0 || pos === 0) return 0.5;
  const order = descendingOrder(prob);
  let tp = 0;
  let fp = 0;
  let bestF1 = -1;
  let best = 0.5;
  for (let k = 0; k < n; ) {
    const v = prob[order[k]!]!;
    while (k < n && prob[order[k]!]! === v) {
      if (y[order[k]!]) tp++;
      else fp++;
      k++;
    }
    const f1 = (2 * tp) / (2 * tp + fp + (pos - tp));
    if (f1 > bestF1) {
      bestF1 = f1;
      const next = k < n ? prob[order[k]!]! : 0;
      best = (v + next) / 2;
    }
  }
  return Math.min(1 - 1e-6, Math.max(1e-6, best));
}

/** ROC-AUC with ties counted half (Mann-Whitney U with average ranks). */
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

/** PR-AUC as average precision: Σ (recall_k − recall_{k−1}) · precision_k over distinct thresholds. */
export function averagePrecision(prob: Float32Array, y: Uint8Array): number {
  const n = prob.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i]!;
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
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const r4 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x);
  return {
    rows,
    positives: tp + fn,
    accuracy: r4(rows > 0 ? (tp + tn) / rows : 0),
    precision: r4(precision),
    recall: r4(recall),
    f1: r4(precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0),
    roc_auc: r4(rocAuc(prob, y)),
    pr_auc: r4(averagePrecision(prob, y)),
    threshold,
    confusion: { tp, fp, tn, fn },
  };
}

/** A small aligned table for the CLI. */
export function formatMetricsTable(m: Metrics): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : "n/a");
  const c = m.confusion;
  return [
    `  rows       ${m.rows} (${m.positives} attack)`,
    `  accuracy   ${f(m.accuracy)}    precision ${f(m.precision)}    recall ${f(m.recall)}    f1 ${f(m.f1)}`,
    `  roc_auc    ${f(m.roc_auc)}    pr_auc    ${f(m.pr_auc)}    threshold ${m.threshold.toFixed(4)}`,
    `  confusion  tp ${c.tp}  fp ${c.fp}  tn ${c.tn}  fn ${c.fn}`,
  ].join("\n");
}
