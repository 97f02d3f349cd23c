/**
 * Grouped validation: the rows that pick the early-stopping epoch, the calibration and the threshold come
 * from whole groups (input files, or blocks of time) that the weights never trained on, so those choices are
 * made the way the model is used: on a network it did not see. A random split of rows puts rows of every
 * capture on both sides and rewards learning the capture (ADR 0018 has the figures).
 *
 * With groups, the choices come from cross-validation by group: each fold's model trains on the other groups
 * and predicts its own, so every row gets a prediction from a model that never saw its group; the epoch count,
 * the calibration and the threshold are chosen on those predictions, and the model that ships is refitted on
 * every row (as scikit-learn's `CalibratedClassifierCV(ensemble=False)` does). A single held-out group was
 * tried first and lost too much: with five captures, the one held out is a fifth of what the model can learn
 * from (ADR 0018).
 *
 * Contract: deterministic for the same inputs and seed; no group ever has rows on both sides of a fold; when
 * the grouping asked for cannot give two groups, the next one is used (file → time → random) and `note` says so.
 */
import type { TrainingConfig, ValidationGrouping } from "../registry/metadata.ts";
import { mulberry32, shuffle } from "./random.ts";

/** `model.training.group_by`: `auto` is `file` when the rows come from several inputs, else `time`, else `none`. */
export type GroupBy = NonNullable<TrainingConfig["group_by"]>;

/** Contiguous time blocks when grouping by time. */
export const TIME_BLOCKS = 10;

export interface GroupedRow {
  label: 0 | 1;
  /** The input the row came from (file path, Splunk source). */
  source?: string;
  /** Epoch seconds. */
  time?: number;
}

export interface Grouping {
  /** The grouping actually used. */
  by: "file" | "time" | "none";
  /** Group index of each row (all 0 with `none`). */
  group: Uint32Array;
  /** Group names, by index: file paths, `time block 1..10`. */
  names: string[];
  /** Why the grouping differs from the one asked for, when it does. */
  note?: string;
}

/** Groups rows by `by`, falling back as the contract says. */
export function groupRows(rows: readonly GroupedRow[], by: GroupBy): Grouping {
  const notes: string[] = [];
  if (by === "auto" || by === "file") {
    const names: string[] = [];
    const index = new Map<string, number>();
    const group = new Uint32Array(rows.length);
    rows.forEach((r, i) => {
      const key = r.source ?? "";
      let g = index.get(key);
      if (g === undefined) {
        g = names.length;
        names.push(key);
        index.set(key, g);
      }
      group[i] = g;
    });
    if (names.length >= 2) return { by: "file", group, names };
    notes.push("the training data comes from a single input, so validation cannot hold out whole files");
  }
  if (by !== "none") {
    const timed = rows.filter((r) => r.time !== undefined && Number.isFinite(r.time)).length;
    if (rows.length > 0 && timed === rows.length && rows.length >= TIME_BLOCKS * 2) {
      const order = Uint32Array.from(rows.keys()).sort((a, b) => rows[a]!.time! - rows[b]!.time! || a - b);
      const group = new Uint32Array(rows.length);
      order.forEach((row, k) => (group[row] = Math.floor((k * TIME_BLOCKS) / rows.length)));
      const names = Array.from({ length: TIME_BLOCKS }, (_, k) => `time block ${k + 1} of ${TIME_BLOCKS}`);
      const note = notes.length > 0 ? `${notes.join("; ")}: validation holds out blocks of time instead` : undefined;
      return { by: "time", group, names, ...(note ? { note } : {}) };
    }
    notes.push(timed < rows.length ? "not every row has a time" : "too few rows for time blocks");
  }
  const note = by === "none" ? undefined : `${notes.join("; ")}: validation falls back to a random stratified split of rows`;
  return { by: "none", group: new Uint32Array(rows.length), names: ["all rows"], ...(note ? { note } : {}) };
}

/** Most cross-validation folds: each costs one training. */
export const MAX_FOLDS = 5;

/**
 * Assigns whole groups to folds for cross-validation: each group its own fold when there are at most
 * `MAX_FOLDS` groups; otherwise contiguous runs of time blocks, or files spread over `MAX_FOLDS` folds largest
 * first, each to the fold with the fewest rows so far (ties in a seeded order). Returns the fold of each
 * group (`fold[g]`) and the number of folds. Needs at least two groups.
 */
export function groupFolds(grouping: Grouping, seed: number): { fold: Uint32Array; folds: number } {
  const k = grouping.names.length;
  if (grouping.by === "none" || k < 2) throw new RangeError("cross-validation by group needs at least two groups");
  if (k <= MAX_FOLDS) return { fold: Uint32Array.from({ length: k }, (_, g) => g), folds: k };
  const fold = new Uint32Array(k);
  if (grouping.by === "time") {
    for (let g = 0; g < k; g++) fold[g] = Math.floor((g * MAX_FOLDS) / k);
    return { fold, folds: MAX_FOLDS };
  }
  const rows = new Float64Array(k);
  for (let i = 0; i < grouping.group.length; i++) rows[grouping.group[i]!]++;
  const tie = shuffle(Uint32Array.from({ length: k }, (_, i) => i), mulberry32(seed));
  const order = Array.from({ length: k }, (_, g) => g).sort((a, b) => rows[b]! - rows[a]! || tie[a]! - tie[b]!);
  const load = new Float64Array(MAX_FOLDS);
  for (const g of order) {
    let f = 0;
    for (let j = 1; j < MAX_FOLDS; j++) if (load[j]! < load[f]!) f = j;
    fold[g] = f;
    load[f] += rows[g]!;
  }
  return { fold, folds: MAX_FOLDS };
}

/** The rows of each fold (ascending) for a fold assignment of groups. */
export function foldRows(grouping: Grouping, fold: Uint32Array, folds: number): Uint32Array[] {
  const lists: number[][] = Array.from({ length: folds }, () => []);
  for (let i = 0; i < grouping.group.length; i++) lists[fold[grouping.group[i]!]!]!.push(i);
  return lists.map((l) => Uint32Array.from(l));
}

/** What the metadata records about the grouping (`metadata.validation`), without per-group metrics. */
export function describeGrouping(grouping: Grouping, asked: GroupBy, folds: number): Omit<ValidationGrouping, "groups"> {
  return {
    group_by: asked,
    used: grouping.by,
    ...(grouping.note ? { note: grouping.note } : {}),
    folds,
  };
}
