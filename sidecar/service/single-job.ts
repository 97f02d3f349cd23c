/**
 * A job that runs one at a time in the background (retraining, backfill): `start` returns at once with the
 * job's id, or says that one is running; `status` shows the one in flight and the last result. `shutdown`
 * aborts the one in flight (through its signal) and waits for it.
 */
import { randomUUID } from "node:crypto";
import type { JobStart } from "../api/server.ts";
import type { JobStatus } from "../api/status.ts";

export class SingleJob<Req extends Record<string, unknown>> {
  private current: { id: string; started_at: string; request: Req; abort: AbortController; done: Promise<void> } | undefined;
  private last: JobStatus["last"] = null;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly run: (req: Req, signal: AbortSignal) => Promise<unknown>,
    private readonly hooks: { started?(id: string, req: Req): void; finished?(id: string, result: unknown, seconds: number): void; failed?(id: string, error: string): void } = {},
  ) {}

  start(req: Req): JobStart {
    if (this.stopped) return { started: false, reason: "the sidecar is shutting down" };
    if (this.current) return { started: false, reason: `job ${this.current.id} started at ${this.current.started_at}` };
    const id = randomUUID();
    const started_at = new Date().toISOString();
    const abort = new AbortController();
    const t0 = performance.now();
    this.hooks.started?.(id, req);
    const done = (async () => {
      try {
        const result = await this.run(req, abort.signal);
        this.last = { id, started_at, finished_at: new Date().toISOString(), ok: true, result };
        this.hooks.finished?.(id, result, (performance.now() - t0) / 1000);
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        this.last = { id, started_at, finished_at: new Date().toISOString(), ok: false, error };
        this.hooks.failed?.(id, error);
      } finally {
        this.current = undefined;
      }
    })();
    this.current = { id, started_at, request: req, abort, done };
    return { started: true, id, started_at };
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  /** Resolves when the job in flight (if any) has settled. */
  async idle(): Promise<void> {
    await this.current?.done;
  }

  status(): JobStatus {
    const c = this.current;
    return { running: c !== undefined, current: c ? { id: c.id, started_at: c.started_at, request: c.request } : null, last: this.last };
  }

  /** Aborts the job in flight and waits for it. Idempotent, safe without start. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    this.current?.abort.abort(new Error("the sidecar is shutting down"));
    await this.current?.done;
  }
}
