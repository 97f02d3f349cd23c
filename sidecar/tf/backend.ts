/**
 * Chooses the TensorFlow.js backend once per process.
 *
 * Order for `auto`: `tensorflow` (the optional `@tensorflow/tfjs-node`, native TensorFlow, present only when
 * its install could download the library), then `wasm` (`@tensorflow/tfjs-backend-wasm`, loaded from the
 * package's own `.wasm` files on disk, so it works offline), then `cpu` (plain JavaScript, always works).
 * An explicit preference tries only that backend and throws when it cannot run: a config that names a
 * backend means it. The model format is the same on every backend.
 *
 * Contract: idempotent (a second call with the same preference returns the first result without
 * re-initializing); no logging (the result says what ran and why the others did not, for the caller's
 * startup line). Sets tfjs's `PROD` flag, which silences tfjs's own console warnings.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "./index.ts";

export type BackendPreference = "auto" | "tensorflow" | "wasm" | "cpu";
export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendChoice {
  /** The backend that runs, as `tf.getBackend()` names it. */
  backend: BackendName;
  /** Every backend attempted, in order; `error` says why one was not chosen. The chosen one is last. */
  tried: { name: BackendName; error?: string }[];
}

const ORDER: BackendName[] = ["tensorflow", "wasm", "cpu"];
/** A variable specifier, so neither TypeScript nor a bundler resolves the optional package statically. */
const TFJS_NODE = "@tensorflow/tfjs-node";
const WASM_BINARIES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];

let current: { preference: BackendPreference; result: Promise<BackendChoice> } | undefined;
let wasmPathsSet = false;

export function initBackend(preference: BackendPreference = "auto"): Promise<BackendChoice> {
  if (current?.preference === preference) return current.result;
  const result = choose(preference);
  current = { preference, result };
  // A failed choice must not be cached: the caller may fix the cause and call again.
  result.catch(() => {
    if (current?.result === result) current = undefined;
  });
  return result;
}

async function choose(preference: BackendPreference): Promise<BackendChoice> {
  tf.env().set("PROD", true);
  const candidates = preference === "auto" ? ORDER : [preference];
  const tried: BackendChoice["tried"] = [];
  for (const name of candidates) {
    try {
      await activate(name);
      tried.push({ name });
      return { backend: name, tried };
    } catch (e) {
      tried.push({ name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  const reasons = tried.map((t) => `${t.name}: ${t.error}`).join("; ");
  throw new Error(`no TensorFlow.js backend could start (${reasons})`);
}

async function activate(name: BackendName): Promise<void> {
  if (name === "tensorflow") {
    try {
      await import(TFJS_NODE);
    } catch (e) {
      throw new Error(`${TFJS_NODE} is not installed or cannot load its native library (${firstLine(e)})`);
    }
  } else if (name === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    if (!wasmPathsSet) {
      const dir = wasmDir();
      // Node's fs reads a plain file path prefix; the trailing separator is required by setWasmPaths.
      wasm.setWasmPaths(`${dir}/`);
      wasmPathsSet = true;
    }
  } else {
    await import("@tensorflow/tfjs-backend-cpu");
  }
  if (tf.findBackendFactory(name) == null) throw new Error(`backend ${name} did not register with tfjs-core`);
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`backend ${name} failed to initialize`);
  // A smoke test: a backend that initializes but cannot compute must not be chosen.
  const two = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync()[0]);
  if (two !== 2) throw new Error(`backend ${name} computed 1 + 1 = ${two}`);
}

/** The folder holding the `.wasm` binaries shipped in `@tensorflow/tfjs-backend-wasm/dist`. */
function wasmDir(): string {
  const dir = dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"));
  const missing = WASM_BINARIES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) throw new Error(`${missing.join(", ")} missing from ${dir}; reinstall @tensorflow/tfjs-backend-wasm`);
  return dir;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}
