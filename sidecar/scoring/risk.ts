/**
 * Risk score and band: the integer 0–100 analysts sort by, and the RBA band it falls in.
 */
import { RISK_BANDS, type RiskBand } from "../contract/index.ts";

/** `round(100 × p)` clamped to 0..100; `p` is the calibrated probability. A NaN probability scores 0. */
export function riskScore(p: number): number {
  const s = Math.round(100 * p);
  if (!(s > 0)) return 0;
  return s > 100 ? 100 : s;
}

/** Band of an integer risk score (edges: the contract's `RISK_BANDS`); below 0 (or NaN) is informational, above 100 critical. */
export function riskBand(score: number): RiskBand {
  for (const b of RISK_BANDS) if (!(score > b.max)) return b.band;
  return "critical";
}
