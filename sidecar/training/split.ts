/**
 * The seeded, stratified train/validation split. tfjs's `validationSplit` takes the last rows unshuffled,
 * which on time-ordered security data means validating on a different week; this shuffles within each
 * class instead.
 */
import { mulberry32, shuffle } from "./random.ts";

export interface Split {
  /** Row indices, ascending. */
  train: Uint32Array;
  /** Row indices, ascending. */
  validation: Uint32Array;
}

/**
 * Splits row indices so that each label value keeps its share on both sides.
 *
 * Contract: deterministic for a given `(labels, fraction, seed)`; `train` and `validation` are disjoint and
 * together hold every index once; a class with n rows puts round(n · fraction) of them in validation, but
 * at least one and at most n − 1 when n ≥ 2 (a class with one row goes to training).
 */
export function stratifiedSplit(labels: Uint8Array, fraction: number, seed: number): Split {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`validation fraction must be in (0, 1), got ${fraction}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]);
    if (list) list.push(i);
    else byClass.set(labels[i], [i]);
  }
  const random = mulberry32(seed);
  const train: number[] = [];
  const validation: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = shuffle(Uint32Array.from(byClass.get(label)!), random);
    const n = rows.length;
    const nVal = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
    for (let i = 0; i < n; i++) (i < nVal ? validation : train).push(rows[i]);
  }
  return { train: Uint32Array.from(train).sort(), validation: Uint32Array.from(validation).sort() };
}
