/**
 * File sink: appends each record as one JSON line. `flush` fsyncs, so a checkpoint committed after a
 * successful flush never points past data that is not on disk. Same contract as the HEC sink.
 */
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync } from "node:fs";
import { dirname } from "node:path";
import type { Sink, SinkResult } from "./sink.ts";

export class FileSink<T> implements Sink<T> {
  private fd: number | undefined;
  constructor(readonly path: string) {}

  start(): Promise<void> {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, "a");
    }
    return Promise.resolve();
  }

  send(batch: T[]): Promise<SinkResult> {
    if (this.fd === undefined) return Promise.resolve({ kind: "failure", reason: `file sink ${this.path} is not started` });
    if (batch.length === 0) return Promise.resolve({ kind: "success" });
    try {
      let text = "";
      for (const r of batch) text += `${JSON.stringify(r)}\n`;
      writeSync(this.fd, text);
      return Promise.resolve({ kind: "success" });
    } catch (e) {
      return Promise.resolve({ kind: "failure", reason: `cannot write ${this.path}: ${(e as Error).message}` });
    }
  }

  flush(): Promise<SinkResult> {
    if (this.fd === undefined) return Promise.resolve({ kind: "success" });
    try {
      fsyncSync(this.fd);
      return Promise.resolve({ kind: "success" });
    } catch (e) {
      return Promise.resolve({ kind: "failure", reason: `cannot fsync ${this.path}: ${(e as Error).message}` });
    }
  }

  shutdown(): Promise<void> {
    if (this.fd !== undefined) {
      try {
        fsyncSync(this.fd);
      } finally {
        closeSync(this.fd);
        this.fd = undefined;
      }
    }
    return Promise.resolve();
  }
}
