/**
 * One process per state directory: two sidecars on the same checkpoints would each score and write every
 * event. The lock is a file, `<state_dir>/lock`, created exclusively (`O_EXCL`) and holding the owner's pid,
 * host, boot id and start time.
 *
 * Stale-lock rule: a lock is taken over when its owner ran on this host and is gone, that is, its boot id is
 * not this boot's (the machine restarted) or no process has its pid; or when the lock file is unreadable and
 * older than a few seconds (a crash while writing it). A lock of another host is never taken over (a state
 * directory on a shared disk): the message says which file to delete once that host's sidecar is stopped.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync, fsyncSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

interface Owner {
  pid: number;
  host: string;
  boot_id: string | null;
  started_at: string;
}

export class StateLockError extends Error {
  override name = "StateLockError";
}

export class StateLock {
  readonly path: string;
  private held = false;

  constructor(readonly stateDir: string) {
    this.path = join(stateDir, "lock");
  }

  /** Takes the lock, or throws `StateLockError` naming the owner and the fix. Returns the stale owner it replaced, if any. */
  acquire(): { replaced: Owner | null } {
    if (this.held) return { replaced: null };
    mkdirSync(this.stateDir, { recursive: true });
    let replaced: Owner | null = null;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.path, "wx");
        try {
          const me: Owner = { pid: process.pid, host: hostname(), boot_id: bootId(), started_at: new Date().toISOString() };
          writeSync(fd, `${JSON.stringify(me)}\n`);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        this.held = true;
        return { replaced };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const owner = readOwner(this.path);
      if (owner === "fresh") break;
      if (owner !== "stale" && !isStale(owner)) {
        const where = owner.host === hostname() ? `pid ${owner.pid}` : `pid ${owner.pid} on host ${owner.host}`;
        throw new StateLockError(
          `state directory ${this.stateDir} is in use by another soc-assistant (${where}, since ${owner.started_at}): ` +
            `stop that one first, or give this one its own state_dir. If no such process runs, delete ${this.path}`,
        );
      }
      replaced = owner === "stale" ? { pid: 0, host: "", boot_id: null, started_at: "unknown" } : owner;
      try {
        unlinkSync(this.path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
    throw new StateLockError(`state directory ${this.stateDir} is being locked by another soc-assistant starting right now; try again, or delete ${this.path} if none runs`);
  }

  /** Idempotent; removes the lock only when this process holds it. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      const owner = readOwner(this.path);
      if (typeof owner === "object" && owner.pid === process.pid) unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }
}

/** The lock's owner; "stale" when the file is unreadable and old, "fresh" when unreadable but just written. */
function readOwner(path: string): Owner | "stale" | "fresh" {
  try {
    const o = JSON.parse(readFileSync(path, "utf8")) as Owner;
    if (typeof o.pid === "number" && typeof o.host === "string") return o;
  } catch {
    // fall through
  }
  try {
    return Date.now() - statSync(path).mtimeMs > 5_000 ? "stale" : "fresh";
  } catch {
    return "stale";
  }
}

function isStale(o: Owner): boolean {
  if (o.host !== hostname()) return false;
  const boot = bootId();
  if (boot !== null && o.boot_id !== null && o.boot_id !== boot) return true;
  if (o.pid === process.pid) return false;
  try {
    process.kill(o.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Linux's id of this boot (a pid of an earlier boot means nothing now); null elsewhere. */
function bootId(): string | null {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return null;
  }
}
