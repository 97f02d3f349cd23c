/**
 * Checkpoints, one JSON file per source key under `<state_dir>/checkpoints/`. `commit` is atomic
 * (`fs/atomic.ts`: temporary file, fsync, rename), so a crash leaves either the old or the new checkpoint,
 * never a torn one.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../fs/atomic.ts";

export class CheckpointStore {
  readonly dir: string;
  constructor(stateDir: string) {
    this.dir = join(stateDir, "checkpoints");
  }

  private path(key: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) throw new Error(`checkpoint key ${JSON.stringify(key)} must match [A-Za-z0-9_.-]+`);
    return join(this.dir, `${key}.json`);
  }

  /** The last committed value, or undefined when the source has never committed. */
  get<T>(key: string): T | undefined {
    try {
      return JSON.parse(readFileSync(this.path(key), "utf8")) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new Error(`checkpoint ${this.path(key)} is unreadable (${(e as Error).message}); delete it to start over`);
    }
  }

  commit(key: string, value: unknown): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.path(key), `${JSON.stringify(value)}\n`);
  }
}
