/**
 * The sidecar's HTTP API (Express), bound to 127.0.0.1 by default. This first cut serves the probes and the
 * status; the mutating routes of the design come with their issue. Nothing a client sends can crash it:
 * unknown routes get a JSON 404.
 */
import express from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { logEvent } from "../telemetry/log.ts";

export interface StatusProvider {
  /** Why the sidecar cannot do its job right now, or null when it can. */
  notReadyReason(): string | null;
  status(): unknown;
}

export class ApiServer {
  readonly name = "api";
  private server: Server | undefined;
  /** The bound address once started. */
  address: AddressInfo | undefined;
  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly provider: StatusProvider,
  ) {}

  /** Resolves once listening (the bound address is in `address`, and in the `api_listening` log event). */
  start(): Promise<void> {
    const app = express();
    app.disable("x-powered-by");
    app.get("/healthz", (_req, res) => {
      res.json({ status: "ok" });
    });
    app.get("/readyz", (_req, res) => {
      const reason = this.provider.notReadyReason();
      res.status(reason ? 503 : 200).json(reason ? { status: "not ready", reason } : { status: "ready" });
    });
    app.get("/api/v1/status", (_req, res) => {
      res.json(this.provider.status());
    });
    app.use((req, res) => {
      res.status(404).json({ error: `no route ${req.method} ${req.path}` });
    });
    return new Promise((resolve, reject) => {
      const s = app.listen(this.port, this.host);
      s.once("listening", () => {
        this.server = s;
        this.address = s.address() as AddressInfo;
        logEvent("api_listening", { url: `http://${this.address.address}:${this.address.port}` });
        resolve();
      });
      s.once("error", (e: NodeJS.ErrnoException) => {
        reject(new Error(`api: cannot listen on ${this.host}:${this.port} (${e.code ?? e.message}); set api.port to a free port or api.enabled: false`));
      });
    });
  }

  /** Idempotent, safe without start. */
  shutdown(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => s.close(() => resolve()));
  }
}
