import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { foldRows, groupFolds, groupRows, MAX_FOLDS, TIME_BLOCKS, type GroupedRow } from "../../sidecar/training/groups.ts";
import { mulberry32 } from "../../sidecar/training/random.ts";

/** Rows from `files` files of uneven sizes, each with its own attack share; seeded. */
function rowsFromFiles(files: number, seed: number): GroupedRow[] {
  const random = mulberry32(seed);
  const rows: GroupedRow[] = [];
  for (let f = 0; f < files; f++) {
    const n = 50 + Math.floor(random() * 400);
    const share = random();
    for (let i = 0; i < n; i++) rows.push({ label: random() < share ? 1 : 0, source: `capture-${f}.log`, time: 1_600_000_000 + f * 1000 + i });
  }
  return rows;
}

describe("groupRows and groupedSplit", () => {
  it("never puts rows of one group on both sides of a fold, for any seed and number of files", () => {
    for (let seed = 1; seed <= 25; seed++) {
      const files = 2 + (seed % 17); // 2..18: one fold per group, and groups spread over MAX_FOLDS folds
      const rows = rowsFromFiles(files, seed);
      const grouping = groupRows(rows, "auto");
      assert.equal(grouping.by, "file");
      assert.equal(grouping.names.length, files);
      const { fold, folds } = groupFolds(grouping, seed);
      assert.equal(folds, Math.min(files, MAX_FOLDS));
      const byFold = foldRows(grouping, fold, folds);
      assert.equal(byFold.reduce((n, f) => n + f.length, 0), rows.length, "every row in exactly one fold");
      for (let f = 0; f < folds; f++) {
        assert.ok(byFold[f]!.length > 0, `seed ${seed}: fold ${f} is empty`);
        const held = new Set([...byFold[f]!].map((i) => rows[i]!.source));
        const inFold = new Set(byFold[f]);
        for (let i = 0; i < rows.length; i++) {
          if (!inFold.has(i)) assert.ok(!held.has(rows[i]!.source), `seed ${seed}: ${rows[i]!.source} is in fold ${f} and outside it`);
        }
      }
    }
  });

  it("spreads many files over the folds by rows, largest first", () => {
    const rows = rowsFromFiles(12, 3);
    const grouping = groupRows(rows, "file");
    const { fold, folds } = groupFolds(grouping, 3);
    const sizes = foldRows(grouping, fold, folds).map((f) => f.length);
    assert.ok(Math.max(...sizes) < 2.5 * Math.min(...sizes), `fold sizes ${sizes.join(", ")}`);
  });

  it("falls back from one file to blocks of time, and says so", () => {
    const rows = Array.from({ length: 200 }, (_, i): GroupedRow => ({ label: (i % 3 === 0 ? 1 : 0), source: "one.log", time: 1000 + ((i * 37) % 200) }));
    const grouping = groupRows(rows, "auto");
    assert.equal(grouping.by, "time");
    assert.equal(grouping.names.length, TIME_BLOCKS);
    assert.match(grouping.note ?? "", /single input.*blocks of time/);
    // Blocks are contiguous in time: every row of block k is earlier than every row of block k + 1.
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < rows.length; j++) {
        if (grouping.group[i]! < grouping.group[j]!) assert.ok(rows[i]!.time! < rows[j]!.time!);
      }
    }
    const { fold, folds } = groupFolds(grouping, 7);
    assert.equal(folds, MAX_FOLDS);
    assert.deepEqual([...fold], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4], "contiguous runs of blocks");
  });

  it("falls back to a random stratified split without files or times, and says so", () => {
    const rows = Array.from({ length: 100 }, (_, i): GroupedRow => ({ label: (i % 2) as 0 | 1, source: "one.csv" }));
    const grouping = groupRows(rows, "auto");
    assert.equal(grouping.by, "none");
    assert.match(grouping.note ?? "", /single input.*not every row has a time.*random stratified split/);
    assert.throws(() => groupFolds(grouping, 3), /at least two groups/);
  });

  it("uses a random split without a note when asked for none", () => {
    const grouping = groupRows(rowsFromFiles(3, 1), "none");
    assert.equal(grouping.by, "none");
    assert.equal(grouping.note, undefined);
  });

  it("is deterministic for a seed", () => {
    const rows = rowsFromFiles(6, 9);
    assert.deepEqual(groupFolds(groupRows(rows, "auto"), 4), groupFolds(groupRows(rows, "auto"), 4));
  });
});
