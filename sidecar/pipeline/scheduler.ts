/**
 * A scheduled job (node-cron): a name, a cron expression and the job. A run that overruns makes the next tick
 * skip (counted), never stack. `shutdown` stops ticking and waits for the run in flight. The scheduler owns
 * time; the job owns the work. Scoring is one scheduled job; retraining is another.
 */
import cron, { type ScheduledTask } from "node-cron";
import { logEvent } from "../telemetry/log.ts";

export interface ScheduleOptions {
  /** The job's name, e.g. `scoring`; also the config key's subject in errors. */
  name: string;
  /** node-cron expression (a seconds field is optional). */
  cron: string;
  /** Where the expression came from, for the error: e.g. `schedule.scoring_cron`. */
  key: string;
  job: () => Promise<void>;
  /** Run once as soon as the schedule starts. */
  runOnStart?: boolean;
}

export class Scheduler {
  readonly name: string;
  private task: ScheduledTask | undefined;
  private inFlight: Promise<void> | undefined;
  private stopping = false;
  skipped = 0;
  runs = 0;

  constructor(private readonly opts: ScheduleOptions) {
    this.name = `${opts.name} schedule`;
    if (!cron.validate(opts.cron)) throw new Error(`${opts.key}: ${JSON.stringify(opts.cron)} is not a valid cron expression`);
  }

  /** Starts ticking; with `runOnStart`, one run starts immediately (not awaited past its start). */
  async start(): Promise<void> {
    if (this.task || this.stopping) return;
    this.task = cron.schedule(this.opts.cron, () => this.tick(), { noOverlap: false, name: this.opts.name });
    logEvent("schedule_started", { job: this.opts.name, cron: this.opts.cron, next_run: this.task.getNextRun()?.toISOString() });
    if (this.opts.runOnStart) await this.tick();
  }

  /** One tick: runs unless a run is in flight, in which case the tick is skipped and counted. */
  tick(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.inFlight) {
      this.skipped++;
      logEvent("tick_skipped", { job: this.opts.name, skipped_total: this.skipped });
      return Promise.resolve();
    }
    this.runs++;
    this.inFlight = this.opts
      .job()
      .catch((e: unknown) => logEvent("run_failed", { job: this.opts.name, error: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  status(): { cron: string; runs: number; skipped: number; running: boolean; next_run: string | null } {
    return { cron: this.opts.cron, runs: this.runs, skipped: this.skipped, running: this.inFlight !== undefined, next_run: this.task?.getNextRun()?.toISOString() ?? null };
  }

  /** Stops ticking and waits for the run in flight. Idempotent, safe without start. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.task) {
      await this.task.stop();
      await this.task.destroy();
      this.task = undefined;
    }
    await this.inFlight?.catch(() => undefined);
  }
}
