// Loaded with `node --import` into the sidecar by scripts/bench/e2e.ts: on exit, writes the process's own
// resource usage (peak RSS of the whole process, worker threads included; user and system CPU of every
// thread) to the file named by SOC_BENCH_RUSAGE_FILE. Nothing else is changed in the process.
import { writeFileSync } from "node:fs";

const file = process.env.SOC_BENCH_RUSAGE_FILE;
if (file) {
  process.on("exit", () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRSSKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime, uptimeS: process.uptime() }));
  });
}
