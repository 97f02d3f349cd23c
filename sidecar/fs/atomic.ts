/**
 * The one atomic file write: a temporary file in the target's directory, fsync, rename over the target, then
 * fsync of the directory. A crash leaves the old file or the new one, never a torn one; once this returns,
 * the new content survives a power loss (the directory fsync makes the rename itself durable; where the
 * platform cannot open a directory, e.g. Windows, that last step is skipped).
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Writes `data` to `path` atomically. The directory must exist. Throws with Node's error (its path named). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    const fd = openSync(tmp, "w");
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDirectory(dir);
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // not supported here (Windows, some network file systems): the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
