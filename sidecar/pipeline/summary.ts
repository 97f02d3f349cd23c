/** The short risk-ranked summary a run prints on stdout: counts, bands, and the top events with reasons. */
import type { RunReport } from "./run-once.ts";

export function formatSummary(r: RunReport, output: string, minRiskScore: number): string {
  const b = r.by_band;
  const lines = [
    "",
    `Scored ${r.events_scored} events with ${r.model_name}@${r.model_version} in ${r.duration_seconds.toFixed(2)} s` +
      (r.events_rejected ? ` (${r.events_rejected} rows could not be read)` : "") +
      ".",
    `Wrote ${r.events_written} risk events (risk_score >= ${minRiskScore}) to ${output}.`,
    `By band: critical ${b.critical}, high ${b.high}, medium ${b.medium}, low ${b.low}, informational ${b.informational}.`,
  ];
  if (r.top.length > 0) {
    lines.push("", `Top ${r.top.length} risk events:`, `${"score".padStart(5)}  ${"band".padEnd(13)} ${"source -> destination".padEnd(40)} why`);
    for (const e of r.top) {
      const flow = `${e.src_ip ?? "?"} -> ${e.dest_ip ?? "?"}${e.dest_port !== undefined ? `:${e.dest_port}` : ""}${e.transport ? `/${e.transport}` : ""}`;
      lines.push(`${String(e.risk_score).padStart(5)}  ${e.risk_band.padEnd(13)} ${flow.padEnd(40)} ${e.explanation}`);
    }
  }
  return `${lines.join("\n")}\n\n`;
}
