/**
 * Registries for model-swap tests, made from the shipped model: `v0001` (current), `v0002` (the same network
 * under another version, so a swap shows in `model_version`), and on request broken versions:
 * `nan` (weights all NaN: loads, but scores NaN) and `width` (model.json and metadata disagree: does not load).
 */
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const SHIPPED = resolve("models/zeek-conn/v0001");
export const MODEL = "zeek-conn";

export type VersionKind = "good" | "nan" | "width";

/** A registry under a temp dir with one version per kind, numbered from v0001; v0001 is current. */
export function makeRegistry(kinds: VersionKind[] = ["good", "good"]): string {
  const dir = mkdtempSync(join(tmpdir(), "registry-"));
  kinds.forEach((kind, i) => addVersion(dir, `v${String(i + 1).padStart(4, "0")}`, kind));
  writeFileSync(join(dir, MODEL, "CURRENT"), "v0001\n");
  writeFileSync(join(dir, MODEL, "history.jsonl"), `${JSON.stringify({ time: new Date().toISOString(), action: "promote", from: null, to: "v0001" })}\n`);
  return dir;
}

export function addVersion(dir: string, version: string, kind: VersionKind): void {
  const to = join(dir, MODEL, version);
  cpSync(SHIPPED, to, { recursive: true });
  const meta = JSON.parse(readFileSync(join(to, "metadata.json"), "utf8")) as Record<string, unknown>;
  meta.version = version;
  writeFileSync(join(to, "metadata.json"), JSON.stringify(meta));
  if (kind === "nan") {
    const bytes = statSync(join(to, "weights.bin")).size;
    writeFileSync(join(to, "weights.bin"), Buffer.from(new Float32Array(bytes / 4).fill(Number.NaN).buffer));
  }
  if (kind === "width") {
    const spec = meta.feature_spec as { columns: unknown[] };
    spec.columns = spec.columns.slice(1);
    writeFileSync(join(to, "metadata.json"), JSON.stringify(meta));
  }
}

/** Moves the pointer by hand, as an admin editing the registry would. */
export function setCurrentByHand(dir: string, version: string): void {
  writeFileSync(join(dir, MODEL, "CURRENT"), `${version}\n`);
}

export function currentOf(dir: string): string {
  return readFileSync(join(dir, MODEL, "CURRENT"), "utf8").trim();
}
