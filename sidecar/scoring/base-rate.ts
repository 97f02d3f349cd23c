/**
 * The base rate a risk score assumes (ADR 0018). A calibrated probability p that assumes an attack share π₀
 * becomes, under a share π, the probability with odds p/(1−p) · (π/(1−π)) / (π₀/(1−π₀)) (Bayes' rule: the
 * likelihood ratio the model learned stays, the prior changes). For Platt's logistic calibration that is an
 * offset of `b`, so a rebased calibration scores at the same cost through every scoring path.
 */
import type { Calibration } from "../registry/metadata.ts";

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/**
 * The calibration shifted to assume `baseRate`. What it assumed before is its `base_rate`, else its `prior`
 * (the share of attacks the Platt fit saw); a calibration that records neither (models trained before
 * ADR 0018) cannot be rebased and is returned unchanged. Move a probability-unit threshold with it by
 * `rebaseProbability`, so decisions stay the same.
 */
export function rebaseCalibration(c: Calibration, baseRate: number): Calibration {
  if (!(baseRate > 0 && baseRate < 1)) throw new RangeError(`base rate must be in (0, 1), got ${baseRate}`);
  const assumed = c.base_rate ?? c.prior;
  if (assumed === undefined) return c;
  return { ...c, b: c.b + logit(baseRate) - logit(assumed), base_rate: baseRate };
}

/** A probability (e.g. the model's threshold) that assumed `from` attacks, moved to assume `to`. */
export function rebaseProbability(p: number, from: number, to: number): number {
  if (p <= 0 || p >= 1) return p;
  return 1 / (1 + Math.exp(-(logit(p) + logit(to) - logit(from))));
}
