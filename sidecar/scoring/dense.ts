/**
 * A trained tfjs network as plain data: the Dense layers of a sequential stack, with their weights copied
 * out of the tfjs model. Workers score from this description without deserializing a tfjs model, and the
 * scorer runs its own forward pass over it (see `scorer.ts` and ADR 0006).
 *
 * Contract: `extractDense` accepts a straight chain of `InputLayer`, `Dense` and `Dropout` layers (Dropout is
 * the identity at inference) and refuses anything else by name, so a model the scorer cannot reproduce
 * exactly is rejected at load time rather than scored wrongly. The description is structured-cloneable; its
 * `Float32Array`s may be transferred.
 */
import type * as tf from "../tf/index.ts";

/** Activations the forward pass implements; they are the names tfjs-layers serializes. */
export type DenseActivation = "linear" | "relu" | "sigmoid" | "tanh" | "elu";
const ACTIVATIONS: readonly DenseActivation[] = ["linear", "relu", "sigmoid", "tanh", "elu"];

export interface DenseLayerSpec {
  inputs: number;
  units: number;
  activation: DenseActivation;
  /** Row-major `[inputs, units]`, as tfjs stores a Dense kernel: weight of input k to unit j at `k * units + j`. */
  kernel: Float32Array;
  /** `units` values; zeros when the layer was built without a bias. */
  bias: Float32Array;
}

export interface DenseNet {
  layers: DenseLayerSpec[];
}

/** Layers that are the identity at inference. */
const IDENTITY_LAYERS = new Set(["Dropout", "InputLayer", "GaussianNoise", "GaussianDropout", "AlphaDropout"]);

export function extractDense(model: tf.LayersModel): DenseNet {
  const layers: DenseLayerSpec[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (IDENTITY_LAYERS.has(cls)) continue;
    if (cls !== "Dense") throw new Error(`layer ${layer.name} is a ${cls}; the scorer supports Dense and Dropout layers only`);
    const config = layer.getConfig();
    const activation = String(config.activation ?? "linear") as DenseActivation;
    if (!ACTIVATIONS.includes(activation)) {
      throw new Error(`layer ${layer.name} uses activation ${activation}; supported: ${ACTIVATIONS.join(", ")}`);
    }
    const weights = layer.getWeights();
    const kernelT = weights[0];
    if (kernelT === undefined || kernelT.shape.length !== 2) throw new Error(`layer ${layer.name} has no 2-D kernel`);
    const [inputs, units] = kernelT.shape as [number, number];
    const kernel = Float32Array.from(kernelT.dataSync());
    const bias = weights[1] !== undefined ? Float32Array.from(weights[1].dataSync()) : new Float32Array(units);
    if (bias.length !== units) throw new Error(`layer ${layer.name} has ${bias.length} biases for ${units} units`);
    layers.push({ inputs, units, activation, kernel, bias });
  }
  validateDense({ layers });
  return { layers };
}

/** Throws unless `net` is a consistent chain ending in one output unit. Also guards data from a worker message. */
export function validateDense(net: DenseNet): void {
  const { layers } = net;
  if (layers.length === 0) throw new Error("the model has no Dense layer");
  layers.forEach((l, i) => {
    if (!ACTIVATIONS.includes(l.activation)) throw new Error(`dense layer ${i} has unsupported activation ${l.activation}`);
    if (l.kernel.length !== l.inputs * l.units) throw new Error(`dense layer ${i}: kernel has ${l.kernel.length} values, expected ${l.inputs}×${l.units}`);
    if (l.bias.length !== l.units) throw new Error(`dense layer ${i}: bias has ${l.bias.length} values, expected ${l.units}`);
    const prev = layers[i - 1];
    if (prev !== undefined && prev.units !== l.inputs) throw new Error(`dense layer ${i} takes ${l.inputs} inputs but layer ${i - 1} gives ${prev.units}`);
  });
  const last = layers[layers.length - 1]!;
  if (last.units !== 1) throw new Error(`the model's last Dense layer has ${last.units} units; a risk model has exactly 1`);
}

/** Input row width of the network. */
export function inputWidth(net: DenseNet): number {
  return net.layers[0]!.inputs;
}
