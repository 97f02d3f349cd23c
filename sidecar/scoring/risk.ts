/**
 * Risk score and band: the integer 0–100 analysts sort by, and the RBA band it falls in.
 */
import type { RiskBand } from "../contract/risk-event.ts";

/** `round(100 × p)` clamped to 0..100; `p` is the calibrated probability. A NaN probability scores 0. */
export function riskScore(p: number): number {
  const s = Math.round(100 * p);
  if (!(s > 0)) return 0;
  return s > 100 ? 100 : s;
}

/**
 * Upper edges (inclusive) of the bands, from Splunk's risk-based alerting: 0–20 informational, 21–40 low,
 * 41–60 medium, 61–80 high, 81–100 critical.
 */
export const RISK_BANDS: readonly { band: RiskBand; max: number }[] = [
  { band: "informational", max: 20 },
  { band: "low", max: 40 },
  { band: "medium", max: 60 },
  { band: "high", max: 80 },
  { band: "critical", max: 100 },
];

/** Band of an integer risk score; below 0 (or NaN) is informational, above 100 critical. */
export function riskBand(score: number): RiskBand {
  for (const b of RISK_BANDS) if (!(score > b.max)) return b.band;
  return "critical";
}
