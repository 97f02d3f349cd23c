/**
 * A tfjs `io.IOHandler` that saves and loads a model as `model.json` + `weights.bin` in a directory, with
 * node:fs (pure tfjs has no `file://` handler; tfjs-node's exists only where tfjs-node installs).
 *
 * Format: byte-for-byte what tfjs-node's `file://` handler writes (`weightsManifest: [{paths: ["weights.bin"],
 * weights}]`, the weights concatenated in manifest order), so either can load what the other saved.
 *
 * Writes are atomic per file (`fs/atomic.ts`: temporary file in the same directory, fsync, rename), weights first and
 * `model.json` last: a reader never sees a `model.json` whose weights are not fully on disk.
 */
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../fs/atomic.ts";
import * as tf from "./index.ts";

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Handler for `tf.loadLayersModel(handler)` and `model.save(handler)`. `dir` is created on save. */
export function fileHandler(dir: string): tf.io.IOHandler {
  const root = resolve(dir);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error("saving a binary (GraphDef) topology is not supported");
      mkdirSync(root, { recursive: true });
      const weightData = artifacts.weightData == null ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJSON: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
      };
      if (artifacts.trainingConfig != null) modelJSON.trainingConfig = artifacts.trainingConfig;
      if (artifacts.signature != null) modelJSON.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata != null) modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
      writeFileAtomic(join(root, WEIGHTS_BIN), new Uint8Array(weightData));
      writeFileAtomic(join(root, MODEL_JSON), JSON.stringify(modelJSON));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      return loadArtifacts(root);
    },
  };
}

/** Reads `model.json` and its weight files from `dir`; errors name the file and what to do. */
export async function loadArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = join(dir, MODEL_JSON);
  const modelJSON = readModelJSON(jsonPath);
  return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: Uint8Array[] = [];
    for (const group of manifest) {
      for (const p of group.paths) {
        const file = join(dir, p);
        try {
          buffers.push(readFileSync(file));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") {
            throw new Error(`weights file ${file} named by ${jsonPath} is missing; restore it or save the model again`);
          }
          throw e;
        }
      }
      specs.push(...group.weights);
    }
    const data = concat(buffers);
    const expected = expectedBytes(specs);
    if (expected !== undefined && expected !== data.byteLength) {
      throw new Error(
        `weights in ${dir} hold ${data.byteLength} bytes but ${jsonPath} describes ${expected}; the files come from different saves: save the model again`,
      );
    }
    return [specs, data.buffer as ArrayBuffer];
  });
}

/** Parses `model.json`; a missing or malformed file is an error naming the file. */
export function readModelJSON(path: string): tf.io.ModelJSON {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`${path} does not exist`);
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message}); save the model again`);
  }
  if (typeof json !== "object" || json === null || !("modelTopology" in json)) {
    throw new Error(`${path} has no modelTopology: it is not a TensorFlow.js layers model`);
  }
  return json as tf.io.ModelJSON;
}

/** Total bytes the specs describe, or undefined when a spec is quantized or of a type not sized here. */
function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const s of specs) {
    const bytes = BYTES_PER_ELEMENT[s.dtype];
    if (s.quantization != null || bytes === undefined) return undefined;
    total += s.shape.reduce((a, b) => a * b, 1) * bytes;
  }
  return total;
}

function concat(buffers: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    out.set(b, offset);
    offset += b.byteLength;
  }
  return out;
}

/** True when `dir` holds a `model.json`. */
export function hasModel(dir: string): boolean {
  try {
    return statSync(join(dir, MODEL_JSON)).isFile();
  } catch {
    return false;
  }
}
