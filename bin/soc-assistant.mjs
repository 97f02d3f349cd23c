#!/usr/bin/env node
// The `soc-assistant` command: registers tsx so the TypeScript sources run as they are, then hands over to the CLI.
import { setFlagsFromString } from "node:v8";
import { register } from "tsx/esm/api";

// The commands that stream events through the scoring pipeline run with V8's old generation allowed to grow
// to at most twice its live size after a mark-compact (V8 otherwise picks up to 4x). Under CPU contention a
// few batches get promoted, and the old generation then filled with dead events up to ~190 MB before its
// first mark-compact: 390-420 MB peak RSS and twice the CPU, against 250-300 MB with this cap, which costs
// nothing measurable when nothing is promoted (ADR 0009). The flag is read at every collection, so setting it
// here, before any work, takes effect; flags that size the heap (semi-spaces) would not, and were not needed.
const SCORING_COMMANDS = new Set(["run", "score", "backfill"]);
if (SCORING_COMMANDS.has(process.argv[2])) setFlagsFromString("--heap-growing-percent=100");

register();
const { main } = await import("../sidecar/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
