/**
 * The one lifecycle every long-lived part of the sidecar shares: the model holder, the Splunk connection, the
 * sinks, the API and each scheduled job. Lower layers implement it structurally (they need not import this).
 *
 * Contract: `start` brings the component up (it may stay up and not ready, with a reason, when what it
 * depends on is down); `shutdown` is idempotent and safe without `start`; `notReadyReason` says, in one
 * sentence with the fix, why the component cannot do its job now, or null.
 */
import { logEvent } from "../telemetry/log.ts";

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  shutdown(): Promise<void>;
  notReadyReason?(): string | null;
}

/** Components in start order (downstream first); stopped in reverse (upstream first). */
export class Components {
  private readonly started: Component[] = [];
  constructor(private readonly all: readonly Component[]) {}

  /** Starts each in order; when one throws, the ones already started stay started (call `shutdown`). */
  async start(): Promise<void> {
    for (const c of this.all) {
      if (this.started.includes(c)) continue;
      await c.start();
      this.started.push(c);
    }
  }

  /** Stops the started ones, last started first; a failure is logged and the others still stop. */
  async shutdown(): Promise<void> {
    while (this.started.length > 0) {
      const c = this.started.pop()!;
      try {
        await c.shutdown();
      } catch (e) {
        logEvent("component_failed", { component: c.name, error: (e as Error).message });
      }
    }
  }

  /** The first reason a component gives, prefixed by its name; null when every one is ready. */
  notReadyReason(): string | null {
    for (const c of this.all) {
      const r = c.notReadyReason?.() ?? null;
      if (r !== null) return `${c.name}: ${r}`;
    }
    return null;
  }
}
