/**
 * Loads a registry version into a `ScoringModel`: the featurizer compiled from the version's feature spec,
 * the scorer (a worker pool, or the main thread when `workers` is 0) and the explainer. The version's spec is
 * checked against the fields the input provides before anything is scored.
 */
import { CIM_NUMERIC_FIELDS } from "../contract/index.ts";
import { compileFeaturizer, missingFields } from "../features/featurize.ts";
import type { ModelMetadata } from "../registry/metadata.ts";
import { ModelRegistry } from "../registry/registry.ts";
import type { BackendPreference } from "../tf/backend.ts";
import { extractDense } from "./dense.ts";
import type { ScoringModel } from "./model.ts";
import { Explainer } from "./explain.ts";
import { ScoringPool } from "./pool.ts";
import { Scorer } from "./scorer.ts";
import { rebaseCalibration, rebaseProbability } from "./base-rate.ts";

export interface LoadedScoringModel extends ScoringModel {
  metadata: ModelMetadata;
  /** Where scoring runs: `wasm x2 workers`, `cpu (main thread)`, ... */
  runtime: string;
  close(): Promise<void>;
}

export interface LoadOptions {
  registryDir: string;
  /** `name` (its current version) or `name@version`. */
  ref: string;
  backend: BackendPreference;
  /** Worker threads for scoring; 0 scores on the main thread. Default: one per core but one (`defaultPoolSize`). */
  workers?: number;
  topK?: number;
  /**
   * `model.base_rate`: rescore a version as if trained with this base rate (its calibration and threshold are
   * shifted, decisions and rankings unchanged; ADR 0018). Absent, or a version that records no prior: the
   * version's own.
   */
  baseRate?: number;
}

/** Thrown when the input cannot give the model the fields its feature spec reads. */
export class MissingFieldsError extends Error {
  override name = "MissingFieldsError";
}

export async function loadScoringModel(opts: LoadOptions): Promise<LoadedScoringModel> {
  const loaded = await new ModelRegistry(opts.registryDir).load(opts.ref);
  const { model } = loaded;
  const metadata = opts.baseRate === undefined ? loaded.metadata : atBaseRate(loaded.metadata, opts.baseRate);
  const net = extractDense(model);
  model.dispose();
  const spec = metadata.feature_spec;
  const featurize = compileFeaturizer(spec);
  const explainer = new Explainer(spec, { topK: opts.topK });
  let score: (x: Float32Array, rows: number) => Promise<Float32Array>;
  // Explanations compare calibrated log-odds: probabilities saturate at 1 for confident events, log-odds do not.
  // They are computed where the scorer is (the workers build and rank the variants, ADR 0009).
  let explain: ScoringModel["explain"];
  let assess: ScoringModel["assess"];
  let close: () => Promise<void>;
  let runtime: string;
  if (opts.workers === 0) {
    const scorer = new Scorer({ net, metadata });
    score = (x, rows) => Promise.resolve(scorer.score(x, rows));
    const logit = (v: Float32Array, n: number): Float32Array => scorer.scoreLogit(v, n);
    explain = (x, rows, events) => Promise.resolve(explainer.fromTop(explainer.top(x, rows, logit), events));
    assess = (x, rows, minRiskScore, events) => {
      const a = explainer.assess(x, rows, minRiskScore, (v, n) => scorer.score(v, n), logit);
      return Promise.resolve({ probs: a.probs, keep: a.keep, tops: explainer.fromTop(a.top, keptEvents(a.keep, events)) });
    };
    close = () => {
      scorer.dispose();
      return Promise.resolve();
    };
    runtime = "main thread";
  } else {
    const pool = await ScoringPool.create({
      net,
      calibration: metadata.calibration,
      size: opts.workers,
      backend: opts.backend,
      explain: { spec, topK: opts.topK },
    });
    score = (x, rows) => pool.score(x, rows);
    explain = async (x, rows, events) => explainer.fromTop(await pool.explain(x, rows), events);
    assess = async (x, rows, minRiskScore, events) => {
      const a = await pool.assess(x, rows, minRiskScore);
      return { probs: a.probs, keep: a.keep, tops: explainer.fromTop(a.top, keptEvents(a.keep, events)) };
    };
    close = () => pool.close();
    runtime = `${pool.backend} x${pool.size} workers`;
  }
  return {
    name: metadata.name,
    kind: "supervised",
    version: metadata.version,
    featureSchema: metadata.feature_schema,
    threshold: metadata.threshold,
    width: spec.columns.length,
    numericFields: [...new Set([...spec.numeric.map((n) => n.field), ...CIM_NUMERIC_FIELDS])],
    metadata,
    runtime,
    featurize,
    score,
    explain,
    assess,
    close,
  };
}

/** The metadata with its calibration and threshold moved to `baseRate` (unchanged when it records no prior). */
function atBaseRate(metadata: ModelMetadata, baseRate: number): ModelMetadata {
  const c = metadata.calibration;
  const assumed = c.base_rate ?? c.prior;
  if (assumed === undefined) return metadata;
  return { ...metadata, calibration: rebaseCalibration(c, baseRate), threshold: rebaseProbability(metadata.threshold, assumed, baseRate) };
}

function keptEvents<E>(keep: Int32Array, events: readonly E[]): E[] {
  const out = new Array<E>(keep.length);
  for (let j = 0; j < keep.length; j++) out[j] = events[keep[j]!]!;
  return out;
}

/** Refuses an input that lacks, entirely, a field the model's feature spec reads; names them and the fix. */
export function checkInputFields(metadata: ModelMetadata, available: string[], input: string): void {
  const missing = missingFields(metadata.feature_spec, available);
  if (missing.length > 0) {
    throw new MissingFieldsError(
      `${input} lacks fields that model ${metadata.name}@${metadata.version} reads: ${missing.join(", ")}. ` +
        `Score it with a model trained on this kind of data (soc-assistant train --data ...), or map its columns to these names.`,
    );
  }
}
