#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test under tsx. Node 20's --test does not glob .ts files itself.
// Usage: node scripts/run-tests.mjs [--unit | --e2e] [path-substring ...]  (filters the files by substring)
//   --e2e   the end-to-end tests: real child processes, the emulator over HTTP, headless Chromium
//           (test/e2e/, test/service/, test/splunk-app/browser)
//   --unit  everything else
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".test.ts") ? [p] : [];
  });
}
const E2E = ["test/e2e/", "test/service/", "test/splunk-app/browser"];
const args = process.argv.slice(2);
const kind = args.find((a) => a === "--unit" || a === "--e2e");
const filters = args.filter((a) => a !== kind);
const isE2e = (f) => E2E.some((d) => f.replaceAll("\\", "/").startsWith(d));
const files = walk("test")
  .filter((f) => kind === undefined || (kind === "--e2e") === isE2e(f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
