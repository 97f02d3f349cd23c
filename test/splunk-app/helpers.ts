import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stageApp } from "../../splunk-app/tools/package.ts";

/** A staged copy of the app in a temp folder; `cleanup` removes it. */
export function stagedApp(): { dir: string; root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), "soc-app-test-"));
  const dir = stageApp({ outDir: root });
  return { dir, root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function edit(dir: string, rel: string, fn: (text: string) => string): void {
  const p = join(dir, rel);
  writeFileSync(p, fn(readFileSync(p, "utf8")));
}

export function append(dir: string, rel: string, text: string): void {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  appendFileSync(p, text);
  chmodSync(p, 0o644);
}
