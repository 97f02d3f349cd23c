/**
 * The one `tf` namespace every module imports (`import * as tf from "../tf/index.ts"`): tfjs-core plus
 * tfjs-layers, so layers, kernels and backends all register on the same engine. Backends are chosen by
 * `initBackend` in `backend.ts`; importing this module does no work.
 */
export * from "@tensorflow/tfjs-core";
export * from "@tensorflow/tfjs-layers";
