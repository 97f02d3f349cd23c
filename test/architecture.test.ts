/**
 * The import structure, as rules the tree must keep (README, "Architecture"): the pipeline's layers import
 * only downward, the contract is schema only, and one module makes HTTP requests. A new import that runs back
 * up a layer fails here, naming the file and the import.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const SIDECAR = join(ROOT, "sidecar");

interface Import {
  /** The importing file, relative to sidecar/. */
  file: string;
  /** The specifier as written. */
  spec: string;
  /** The imported file relative to sidecar/ (relative specifiers), else the specifier. */
  target: string;
  typeOnly: boolean;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function importsOf(path: string): Import[] {
  const text = readFileSync(path, "utf8");
  const file = relative(SIDECAR, path);
  const out: Import[] = [];
  const add = (spec: string, typeOnly: boolean) =>
    out.push({ file, spec, typeOnly, target: spec.startsWith(".") ? relative(SIDECAR, resolve(dirname(path), spec)) : spec });
  for (const m of text.matchAll(/^\s*(import|export)(\s+type)?\b[^;]*?\bfrom\s+["']([^"']+)["']/gms)) add(m[3]!, m[2] !== undefined);
  for (const m of text.matchAll(/^\s*import\s+["']([^"']+)["']/gm)) add(m[1]!, false);
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) add(m[1]!, false);
  return out;
}

const IMPORTS = walk(SIDECAR).flatMap(importsOf);
const layer = (p: string) => p.split("/")[0]!;
const show = (bad: Import[]) => bad.map((i) => `${i.file} imports ${i.spec}`).join("\n");

describe("architecture", () => {
  it("sources, features and scoring import nothing from the pipeline, training, the API, the composition root or the CLI", () => {
    const above = new Set(["pipeline", "training", "api", "service", "cli"]);
    const bad = IMPORTS.filter((i) => ["sources", "features", "scoring"].includes(layer(i.file)) && above.has(layer(i.target)));
    assert.deepEqual(bad, [], show(bad));
  });

  it("no sink and no Splunk client imports config (the composition root turns config into their options)", () => {
    const bad = IMPORTS.filter((i) => ["sinks", "splunk", "http"].includes(layer(i.file)) && layer(i.target) === "config");
    assert.deepEqual(bad, [], show(bad));
  });

  it("only the CLI imports the CLI, and only the CLI imports the composition root", () => {
    const bad = IMPORTS.filter(
      (i) => (layer(i.target) === "cli" && layer(i.file) !== "cli") || (layer(i.target) === "service" && !["cli", "service"].includes(layer(i.file))),
    );
    assert.deepEqual(bad, [], show(bad));
  });

  it("the registry imports neither training nor scoring (both use it)", () => {
    const bad = IMPORTS.filter((i) => layer(i.file) === "registry" && ["training", "scoring", "pipeline", "service", "api", "cli"].includes(layer(i.target)));
    assert.deepEqual(bad, [], show(bad));
  });

  it("the pipeline and training import neither the API, the composition root nor the CLI", () => {
    const bad = IMPORTS.filter((i) => ["pipeline", "training"].includes(layer(i.file)) && ["api", "service", "cli"].includes(layer(i.target)));
    assert.deepEqual(bad, [], show(bad));
  });

  it("the contract is schema only: it imports nothing but its own files", () => {
    const bad = IMPORTS.filter((i) => layer(i.file) === "contract" && layer(i.target) !== "contract");
    assert.deepEqual(bad, [], show(bad));
  });

  it("one module makes HTTP requests", () => {
    // The API server imports node:http/node:https to listen (createServer), never to make a request.
    const LISTENER = "api/server.ts";
    const listener = readFileSync(join(SIDECAR, LISTENER), "utf8");
    const runtimeNames = [...listener.matchAll(/import \{([^}]*)\} from "node:https?"/g)].flatMap((m) =>
      m[1]!.split(",").map((n) => n.trim()).filter((n) => n && !n.startsWith("type ")).map((n) => n.split(/\s+as\s+/)[0]),
    );
    assert.deepEqual(runtimeNames, ["createServer", "createServer"], `${LISTENER} may import only createServer from node:http/node:https`);
    const requesters = [...new Set(IMPORTS.filter((i) => !i.typeOnly && /^node:https?$/.test(i.spec) && i.file !== LISTENER).map((i) => i.file))];
    assert.equal(requesters.length, 1, `modules importing node:http or node:https at run time:\n${requesters.join("\n")}`);
  });
});
