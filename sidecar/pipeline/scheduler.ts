/**
 * The scoring schedule (node-cron). A run that overruns makes the next tick skip (counted), never stack.
 * `shutdown` stops ticking and waits for the run in flight. The run itself is `runOnce`; this file owns time.
 */
import cron, { type ScheduledTask } from "node-cron";
import { logEvent } from "../telemetry/log.ts";

export class Scheduler {
  private task: ScheduledTask | undefined;
  private inFlight: Promise<void> | undefined;
  private stopping = false;
  skipped = 0;
  runs = 0;

  constructor(
    private readonly expression: string,
    private readonly run: () => Promise<void>,
  ) {
    if (!cron.validate(expression)) throw new Error(`schedule.scoring_cron: ${JSON.stringify(expression)} is not a valid cron expression`);
  }

  /** Starts ticking; with `runNow`, one run starts immediately. */
  async start(runNow: boolean): Promise<void> {
    if (this.task) return;
    this.task = cron.schedule(this.expression, () => this.tick(), { noOverlap: false, name: "scoring" });
    logEvent("schedule_started", { cron: this.expression, next_run: this.task.getNextRun()?.toISOString() });
    if (runNow) await this.tick();
  }

  /** One tick: runs unless a run is in flight, in which case the tick is skipped and counted. */
  tick(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.inFlight) {
      this.skipped++;
      logEvent("tick_skipped", { skipped_total: this.skipped });
      return Promise.resolve();
    }
    this.runs++;
    this.inFlight = this.run()
      .catch((e: unknown) => logEvent("run_failed", { error: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
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
