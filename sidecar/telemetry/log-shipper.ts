/**
 * Ships the sidecar's own log events somewhere (HEC, `soc_assistant:log`) without ever blocking the caller:
 * `push` appends to a bounded buffer and returns; a timer sends batches, one send in flight at a time. When
 * the buffer is full, or a send fails, log events are dropped and counted (`dropped`), never accumulated
 * without bound. Lines still go to stderr as usual; this is a copy.
 */
import type { LogEvent } from "../contract/index.ts";

export interface LogShipperOptions {
  /** Sends one batch; resolves true when it was accepted. Must not throw (a throw counts as a failure). */
  send(batch: LogEvent[]): Promise<boolean>;
  /** Events held while waiting for a send (default 10,000); past it, new events are dropped. */
  maxBuffered?: number;
  /** Events per send (default 500). */
  batchSize?: number;
  /** How often the buffer is sent, ms (default 2,000). */
  intervalMs?: number;
}

export class LogShipper {
  readonly name = "log shipper";
  private buffer: LogEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  /** Events given up on: buffer full, or their batch's send failed. */
  dropped = 0;
  shipped = 0;
  private readonly max: number;
  private readonly batchSize: number;

  constructor(private readonly opts: LogShipperOptions) {
    this.max = opts.maxBuffered ?? 10_000;
    this.batchSize = opts.batchSize ?? 500;
  }

  push(e: LogEvent): void {
    if (this.buffer.length >= this.max) {
      this.dropped++;
      return;
    }
    this.buffer.push(e);
  }

  start(): Promise<void> {
    if (!this.timer) {
      this.timer = setInterval(() => void this.flush(), this.opts.intervalMs ?? 2000);
      this.timer.unref();
    }
    return Promise.resolve();
  }

  /** Sends what is buffered, batch by batch; a send in flight is awaited, not doubled. */
  flush(): Promise<void> {
    if (this.sending) return this.sending;
    this.sending = (async () => {
      while (this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.batchSize);
        let ok = false;
        try {
          ok = await this.opts.send(batch);
        } catch {
          ok = false;
        }
        if (ok) this.shipped += batch.length;
        else {
          this.dropped += batch.length;
          break;
        }
      }
    })().finally(() => {
      this.sending = undefined;
    });
    return this.sending;
  }

  /** Stops the timer and sends what is left once. Idempotent, safe without start. */
  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
