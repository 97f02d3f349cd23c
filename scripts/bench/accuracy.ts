/**
 * Accuracy benchmark: the product's model (`soc-assistant train`'s path: the training job `runTrainingJob`
 * with the default config, here with `register: false`) against the scikit-learn peers of `../shared/peers`,
 * on the same public datasets and the same split protocols.
 *
 * Usage: npm run bench:accuracy [nslkdd|unsw|zeek ...] [--base-rate <p>|none] [--group-by auto|file|time|none]
 *          [--goal balanced_accuracy|f1|false_positive_rate]
 * (all three splits by default; the flags override the config defaults, for measuring a variant).
 *
 * Reads `../shared/datasets` relative to the project root, or `$SOC_DATASETS`; without it, says so in one
 * line and exits 0. Prints one JSON line per split (and one per Zeek fold, with `fold` set):
 *
 * - nsl-kdd: train on KDDTrain+, test on KDDTest+ (the official split).
 * - unsw-nb15: one stratified 80/20 split with seed 42 by our own `stratifiedSplit` (same proportions and
 *   seed as the peers, but not scikit-learn's row assignment).
 * - zeek: leave one capture out over the six captures; each held-out capture is scored with its fold's own
 *   calibrated probabilities and threshold; the metrics are computed over the pool of held-out predictions.
 *
 * Every choice (features, calibration, threshold, early stopping) is made by the training code on the
 * training rows (its validation split comes out of them); the test rows are featurized with the fitted spec
 * and scored once, by the production `Scorer`.
 */
import { existsSync, readdirSync } from "node:fs";
import { loadavg } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseConfig } from "../../sidecar/config/load.ts";
import type { Metrics } from "../../sidecar/registry/metadata.ts";
import type { NetEvent } from "../../sidecar/sources/event.ts";
import { startBackend } from "../../sidecar/tf/start.ts";
import { benignHighOrCritical, computeMetrics } from "../../sidecar/training/evaluate.ts";
import { evaluateModel } from "../../sidecar/training/evaluate-model.ts";
import { eventsTrainingData, fileTrainingData, runTrainingJob } from "../../sidecar/training/job.ts";
import { stratifiedSplit } from "../../sidecar/training/split.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const datasets = process.env.SOC_DATASETS ? resolve(process.env.SOC_DATASETS) : resolve(root, "../shared/datasets");
const MODEL = "soc-assistant mlp";

/** scikit-learn 1.x on 2 cores, from `../shared/README.md` (`peers/sklearn_baselines.py`). */
const PEERS = {
  nslkdd: { random_forest: { accuracy: 0.768, roc_auc: 0.96 }, mlp: { accuracy: 0.79, roc_auc: 0.9 } },
  unsw: { random_forest: { accuracy: 0.976, roc_auc: 0.997 }, mlp: { accuracy: 0.958, roc_auc: 0.993 } },
  zeek: { random_forest: { accuracy: 0.909, roc_auc: 0.946 }, mlp: { accuracy: 0.592, roc_auc: 0.808 } },
} as const;
type Split = keyof typeof PEERS;
const SPLITS = Object.keys(PEERS) as Split[];

const { values: flags, positionals } = parseArgs({
  options: { "base-rate": { type: "string" }, "group-by": { type: "string" }, goal: { type: "string" } },
  allowPositionals: true,
});
const config = parseConfig({
  source: { type: "file", file: { paths: ["unused"] } },
  model: {
    ...(flags["base-rate"] !== undefined && flags["base-rate"] !== "none" ? { base_rate: Number(flags["base-rate"]) } : {}),
    training: {
      ...(flags["group-by"] !== undefined ? { group_by: flags["group-by"] } : {}),
      ...(flags.goal !== undefined ? { threshold_goal: flags.goal } : {}),
    },
  },
});
/** `--base-rate none`: no prior-shift correction (the model's probabilities assume the training mix). */
const baseRate = flags["base-rate"] === "none" ? undefined : config.model.base_rate;

interface Trained {
  /** The attack share the probabilities assume: the model's base rate, or its calibration's prior without one. */
  assumed: number;
  prob: Float32Array;
  y: Uint8Array;
  threshold: number;
  trainRows: number;
  seconds: number;
  /** CPU time of the process while training (user + system): what the wall time would be on an idle core,
   * since the wasm backend trains on one thread. */
  cpuSeconds: number;
  features: number;
  bestEpoch: number;
}

/** Trains on `train` exactly as `soc-assistant train` does (the training job, saving nothing), then scores
 * `test` with the production scorer. */
async function trainAndScore(fields: string[], train: NetEvent[], test: NetEvent[], files: string[]): Promise<Trained> {
  const result = await runTrainingJob({
    data: eventsTrainingData(train, { fields, files }),
    architecture: config.model.architecture,
    training: config.model.training,
    baseRate,
    register: false,
  });
  const { model, metadata, timings } = result;
  let evaluation;
  try {
    evaluation = evaluateModel(model, metadata, test);
  } finally {
    model.dispose();
  }
  return {
    prob: evaluation.prob,
    y: evaluation.y,
    threshold: metadata.threshold,
    assumed: metadata.calibration.base_rate ?? metadata.calibration.prior ?? 0.5,
    trainRows: train.length,
    seconds: timings.train_seconds,
    cpuSeconds: timings.train_cpu_seconds,
    features: metadata.feature_spec.columns.length,
    bestEpoch: metadata.training.best_epoch,
  };
}

function line(dataset: string, split: string, peers: Split, rowsTrain: number, m: Metrics, seconds: number, extra: Record<string, unknown> = {}): void {
  const peer = PEERS[peers];
  const beats =
    m.accuracy > Math.max(peer.random_forest.accuracy, peer.mlp.accuracy) && m.roc_auc > Math.max(peer.random_forest.roc_auc, peer.mlp.roc_auc);
  const { fold, benign_high_or_critical: _bhc, ...rest } = extra;
  const out = {
    dataset,
    split,
    ...(fold !== undefined ? { fold } : {}),
    model: MODEL,
    rows_train: rowsTrain,
    rows_test: m.rows,
    accuracy: r4(m.accuracy),
    precision: r4(m.precision),
    recall: r4(m.recall),
    f1: r4(m.f1),
    roc_auc: r4(m.roc_auc),
    pr_auc: r4(m.pr_auc),
    ...(extra.benign_high_or_critical !== undefined ? { benign_high_or_critical: r4(extra.benign_high_or_critical as number) } : {}),
    threshold: Number(m.threshold.toFixed(4)),
    train_seconds: Number(seconds.toFixed(1)),
    settings: { base_rate: baseRate ?? null, group_by: config.model.training.group_by, threshold_goal: config.model.training.threshold_goal },
    // The peers publish pooled figures only: a fold line carries no comparison.
    ...(fold !== undefined ? {} : { peer, beats_peers: beats }),
    ...rest,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Four decimals, as the peers print; NaN (a one-class fold's AUC) stays NaN and prints as null. */
function r4(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x;
}

/** What a training run cost and produced, for the output line. */
function trainFacts(r: Trained): Record<string, unknown> {
  return {
    benign_high_or_critical_by_base_rate: byBaseRate([r.prob], [r.y], [r.assumed]),
    train_cpu_seconds: Number(r.cpuSeconds.toFixed(1)),
    load_average: Number(loadavg()[0]!.toFixed(2)),
    features: r.features,
    best_epoch: r.bestEpoch,
  };
}

async function read(files: string[]): Promise<{ fields: string[]; events: NetEvent[] }> {
  const { fields, events } = await fileTrainingData({ files }).read();
  return { fields: fields ?? [], events };
}

/** False, after saying so on stdout, when a split's files are not there. */
function present(split: Split, files: string[]): boolean {
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) process.stdout.write(`bench:accuracy: ${split}: missing ${missing.join(", ")}; skipped\n`);
  return missing.length === 0;
}

async function nslkdd(): Promise<void> {
  const dir = join(datasets, "nsl-kdd");
  const trainFile = join(dir, "KDDTrain+.txt.gz");
  const testFile = join(dir, "KDDTest+.txt.gz");
  if (!present("nslkdd", [trainFile, testFile])) return;
  const train = await read([trainFile]);
  const test = await read([testFile]);
  const r = await trainAndScore(train.fields, train.events, test.events, [trainFile]);
  const m = computeMetrics(r.prob, r.y, r.threshold);
  line("nsl-kdd", "KDDTrain+ -> KDDTest+", "nslkdd", r.trainRows, m, r.seconds, { benign_high_or_critical: benignHighOrCritical(r.prob, r.y), ...trainFacts(r) });
}

async function unsw(): Promise<void> {
  const file = join(datasets, "unsw-nb15", "UNSW_NB15_training-set.csv.gz");
  if (!present("unsw", [file])) return;
  const all = await read([file]);
  const labels = Uint8Array.from(all.events, (e) => e.label as number);
  // Our own seeded stratified split: the same 80/20 and seed as the peers, not scikit-learn's row assignment.
  const split = stratifiedSplit(labels, 0.2, 42);
  const train = Array.from(split.train, (i) => all.events[i]!);
  const test = Array.from(split.validation, (i) => all.events[i]!);
  const r = await trainAndScore(all.fields, train, test, [file]);
  const m = computeMetrics(r.prob, r.y, r.threshold);
  line("unsw-nb15", "stratified 80/20, seed 42", "unsw", r.trainRows, m, r.seconds, {
    benign_high_or_critical: benignHighOrCritical(r.prob, r.y),
    ...trainFacts(r),
    note: "own seeded stratified split (stratifiedSplit): same proportions and seed as the peers, different row assignment than scikit-learn's train_test_split",
  });
}

async function zeek(): Promise<void> {
  const dir = join(datasets, "zeek");
  if (!present("zeek", [dir])) return;
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".gz"))
    .sort()
    .map((f) => join(dir, f));
  const byFile = new Map<string, { fields: string[]; events: NetEvent[] }>();
  for (const f of files) byFile.set(f, await read([f]));
  const probs: Float32Array[] = [];
  const ys: Uint8Array[] = [];
  const thresholds: number[] = [];
  const assumed: number[] = [];
  let seconds = 0;
  let cpuSeconds = 0;
  let trainRowsSum = 0;
  const perFold: { fold: string; accuracy: number; roc_auc: number; benign_high_or_critical: number }[] = [];
  for (const held of files) {
    const trainFiles = files.filter((f) => f !== held);
    const fields = trainFiles.map((f) => byFile.get(f)!.fields).reduce((a, b) => a.filter((x) => b.includes(x)));
    const train = trainFiles.flatMap((f) => byFile.get(f)!.events);
    const test = byFile.get(held)!.events;
    const r = await trainAndScore(fields, train, test, trainFiles);
    probs.push(r.prob);
    ys.push(r.y);
    thresholds.push(r.threshold);
    assumed.push(r.assumed);
    seconds += r.seconds;
    cpuSeconds += r.cpuSeconds;
    trainRowsSum += r.trainRows;
    const m = computeMetrics(r.prob, r.y, r.threshold);
    const bhc = benignHighOrCritical(r.prob, r.y);
    perFold.push({ fold: basename(held), accuracy: r4(m.accuracy), roc_auc: r4(m.roc_auc), benign_high_or_critical: r4(bhc) });
    line("zeek", "leave-one-capture-out", "zeek", r.trainRows, m, r.seconds, { fold: basename(held), benign_high_or_critical: bhc, ...trainFacts(r) });
  }
  const m = pooledMetrics(probs, ys, thresholds);
  const pooledBhc = benignHighOrCritical(concat(probs, Float32Array), concat(ys, Uint8Array));
  line("zeek", "leave-one-capture-out, pooled", "zeek", Math.round(trainRowsSum / files.length), m, seconds, {
    benign_high_or_critical: pooledBhc,
    benign_high_or_critical_by_base_rate: byBaseRate(probs, ys, assumed),
    folds: files.length,
    spread: spread(perFold),
    train_cpu_seconds: Number(cpuSeconds.toFixed(1)),
    load_average: Number(loadavg()[0]!.toFixed(2)),
    note: "rows_train is the mean over folds; train_seconds and train_cpu_seconds the sums; threshold is the mean of the folds' thresholds, each fold decided at its own",
  });
}

/**
 * Metrics over the pooled held-out predictions. Decisions use each fold's own threshold; ROC-AUC and PR-AUC
 * rank the pooled calibrated probabilities (what the product would write as risk for each flow).
 */
function pooledMetrics(probs: Float32Array[], ys: Uint8Array[], thresholds: number[]): Metrics {
  const n = probs.reduce((s, p) => s + p.length, 0);
  const prob = new Float32Array(n);
  const y = new Uint8Array(n);
  const decided = new Float32Array(n);
  let o = 0;
  probs.forEach((p, k) => {
    prob.set(p, o);
    y.set(ys[k]!, o);
    for (let i = 0; i < p.length; i++) decided[o + i] = p[i]! >= thresholds[k]! ? 1 : 0;
    o += p.length;
  });
  const ranking = computeMetrics(prob, y, 0.5);
  const decisions = computeMetrics(decided, y, 0.5);
  const meanThreshold = thresholds.reduce((s, t) => s + t, 0) / thresholds.length;
  return { ...decisions, roc_auc: ranking.roc_auc, pr_auc: ranking.pr_auc, threshold: meanThreshold };
}

/** Base rates `benign_high_or_critical_by_base_rate` reports, beside the run's own. */
const REPORTED_BASE_RATES = [0.1, 0.01, 0.001];

/**
 * The false-alarm share the same scores would give under other base rates: the prior shift is an offset of
 * the log-odds, logit(rate) − logit(assumed), so it is computed from the probabilities without retraining
 * (up to float32 rounding of the probabilities). The bands and threshold of the product move with it.
 */
function byBaseRate(probs: Float32Array[], ys: Uint8Array[], assumed: number[]): Record<string, number> {
  const logit = (p: number) => Math.log(p / (1 - p));
  const out: Record<string, number> = {};
  for (const rate of REPORTED_BASE_RATES) {
    const shifted = probs.map((p, k) => {
      const d = logit(rate) - logit(assumed[k]!);
      return Float32Array.from(p, (v) => {
        const q = Math.min(1 - 1e-7, Math.max(1e-7, v));
        return 1 / (1 + Math.exp(-(logit(q) + d)));
      });
    });
    out[String(rate)] = r4(benignHighOrCritical(concat(shifted, Float32Array), concat(ys, Uint8Array)));
  }
  return out;
}

function concat<T extends Float32Array | Uint8Array>(parts: T[], Ctor: { new (n: number): T }): T {
  const out = new Ctor(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p as never, o);
    o += p.length;
  }
  return out;
}

/** Min and max over the folds of each per-fold figure (NaN folds, e.g. one-class AUC, left out). */
function spread(folds: { accuracy: number; roc_auc: number; benign_high_or_critical: number }[]): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const k of ["accuracy", "roc_auc", "benign_high_or_critical"] as const) {
    const v = folds.map((f) => f[k]).filter((x) => Number.isFinite(x));
    out[k] = v.length > 0 ? [Math.min(...v), Math.max(...v)] : [NaN, NaN];
  }
  return out;
}

const RUNNERS: Record<Split, () => Promise<void>> = { nslkdd, unsw, zeek };

const args = positionals;
for (const a of args) {
  if (!(SPLITS as string[]).includes(a)) {
    console.error(`bench:accuracy: unknown split ${JSON.stringify(a)}; use ${SPLITS.join("|")}`);
    process.exit(2);
  }
}
if (!existsSync(datasets)) {
  console.log(`bench:accuracy: no datasets at ${datasets} (set SOC_DATASETS to the datasets folder); nothing measured`);
  process.exit(0);
}
await startBackend(config.model.backend);
for (const s of args.length > 0 ? (args as Split[]) : SPLITS) await RUNNERS[s]();
