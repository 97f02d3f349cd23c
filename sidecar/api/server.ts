/**
 * The sidecar's HTTP API (Express). Routes are thin adapters over the composition root's components (passed in
 * as `ApiBackend`): the model holder (list, promote, rollback, the score route's leases), the scoring job
 * (status, backfill), the training job (retrain) and the metrics registry.
 *
 * Contract for clients: JSON in and out; the auth rule of `auth.ts`; bodies validated (400 with every problem
 * by path), at most `maxBodyBytes` (413); unknown routes 404; a job already running 409; nothing a client sends
 * crashes the process or shows a stack trace. Request logs (debug) show the path and the query keys only.
 */
import express, { type Request, type Response } from "express";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import type { HistoryRecord, VersionEntry } from "../registry/registry.ts";
import type { Actor } from "../scoring/holder.ts";
import { logEvent } from "../telemetry/log.ts";
import { assertBindAllowed, authenticate } from "./auth.ts";
import { ApiError, errorHandler, parseBody, redactedUrl } from "./errors.ts";
import { BatchScorer, scoreBody, toNetEvent, type LeaseSupplier } from "./score.ts";
import type { SidecarStatus } from "./status.ts";

export type { SidecarStatus } from "./status.ts";

/** What a one-at-a-time job route answers: started (202), or refused because one is running (409). */
export type JobStart = { started: true; id: string; started_at: string; [k: string]: unknown } | { started: false; reason: string };

/** Splunk's webhook alert action payload (all optional: a script may call the route too). */
export const retrainBody = z
  .object({
    sid: z.string().optional(),
    search_name: z.string().optional(),
    app: z.string().optional(),
    owner: z.string().optional(),
    results_link: z.string().optional(),
    result: z.record(z.unknown()).optional(),
    /** Labeled files to train on instead of the configured `retrain.data`. */
    data: z.array(z.string().min(1)).min(1).max(100).optional(),
    format: z.enum(["auto", "zeek", "csv", "jsonl", "nsl-kdd"]).optional(),
    label_column: z.string().min(1).optional(),
  })
  .strict();
export type RetrainRequest = z.output<typeof retrainBody> & { actor: "api" | "webhook" };

export const backfillBody = z
  .object({
    /** Epoch seconds or ISO 8601. */
    earliest: z.union([z.number(), z.string().min(1)]),
    latest: z.union([z.number(), z.string().min(1)]),
    /** One configured search; all of them when absent. */
    search: z.string().min(1).optional(),
  })
  .strict();
export interface BackfillRequest {
  earliest: number;
  latest: number;
  search?: string;
}

export interface ApiBackend extends LeaseSupplier {
  /** Why the sidecar cannot do its job right now, or null when it can. */
  notReadyReason(): string | null;
  status(): SidecarStatus;
  models: {
    /** The model the holder serves (the only one promote and rollback act on). */
    name: string;
    list(): VersionEntry[];
    promote(version: string, actor: Actor): Promise<HistoryRecord>;
    rollback(actor: Actor): Promise<HistoryRecord>;
  };
  /** Starts a training job unless one runs. Throws `ApiError` for a request it cannot serve. */
  retrain?(req: RetrainRequest): Promise<JobStart>;
  /** Starts a backfill unless one runs (the range is already checked). */
  backfill?(req: BackfillRequest): Promise<JobStart>;
  metrics?: { contentType: string; text(): Promise<string>; observeRequest?(route: string, status: number, seconds: number): void };
}

export interface ApiOptions {
  host: string;
  port: number;
  token?: string;
  webhookToken?: string;
  /** PEM file paths; HTTPS when set. */
  tls?: { cert_file: string; key_file: string };
  /** Default 1 MiB. */
  maxBodyBytes?: number;
  /** Default 10,000. */
  scoreMaxEvents?: number;
  /** Widest backfill range, seconds (default 7 days). */
  backfillMaxSeconds?: number;
  /** The clock backfill ranges are checked against, epoch ms. */
  now?: () => number;
}

export class ApiServer {
  readonly name = "api";
  private server: Server | undefined;
  /** The bound address once started. */
  address: AddressInfo | undefined;
  readonly scorer: BatchScorer;
  private readonly opts: ApiOptions;

  constructor(
    opts: ApiOptions,
    private readonly backend: ApiBackend,
  ) {
    assertBindAllowed(opts.host, opts.token);
    this.opts = opts;
    this.scorer = new BatchScorer(backend);
  }

  /** The Express app (exposed for tests of the routing only; `start` serves it). */
  app(): express.Express {
    const b = this.backend;
    const o = this.opts;
    const now = o.now ?? Date.now;
    const app = express();
    app.disable("x-powered-by");
    app.set("query parser", "simple");
    app.use((req, res, next) => {
      const t0 = performance.now();
      res.on("finish", () => {
        const seconds = (performance.now() - t0) / 1000;
        b.metrics?.observeRequest?.(routeOf(req), res.statusCode, seconds);
        logEvent("api_request", { method: req.method, url: redactedUrl(req), status: res.statusCode, ms: Math.round(seconds * 1000) });
      });
      next();
    });
    app.get("/healthz", (_req, res) => {
      res.json({ status: "ok" });
    });
    app.get("/readyz", (_req, res) => {
      const reason = b.notReadyReason();
      res.status(reason ? 503 : 200).json(reason ? { status: "not ready", reason } : { status: "ready" });
    });
    app.use(authenticate({ token: o.token, webhookToken: o.webhookToken }));
    app.use(express.json({ limit: o.maxBodyBytes ?? 1024 * 1024, strict: true, type: () => true }));

    app.get("/metrics", async (_req, res) => {
      if (!b.metrics) throw new ApiError(404, "metrics are not enabled");
      res.type(b.metrics.contentType).send(await b.metrics.text());
    });
    app.get("/api/v1/status", (_req, res) => {
      res.json(b.status());
    });
    app.get("/api/v1/models", (_req, res) => {
      res.json({ name: b.models.name, versions: b.models.list() });
    });
    app.post("/api/v1/models/:name/versions/:version/promote", async (req, res) => {
      const name = modelName(b, req.params.name!);
      const version = /^\d+$/.test(req.params.version!) ? `v${req.params.version!.padStart(4, "0")}` : req.params.version!;
      if (!b.models.list().some((v) => v.version === version)) {
        throw new ApiError(404, `model ${name} has no version ${version}; GET /api/v1/models lists them`);
      }
      res.json({ model: name, ...(await refused(() => b.models.promote(version, "api"))) });
    });
    app.post("/api/v1/models/:name/rollback", async (req, res) => {
      const name = modelName(b, req.params.name!);
      res.json({ model: name, ...(await refused(() => b.models.rollback("api"))) });
    });
    const scoreSchema = scoreBody(o.scoreMaxEvents ?? 10_000);
    app.post("/api/v1/score", async (req, res) => {
      const body = parseBody(scoreSchema, req.body);
      res.json(await this.scorer.score(body.events.map(toNetEvent)));
    });
    app.post("/api/v1/retrain", async (req, res) => {
      const body = parseBody(retrainBody, req.body);
      if (!b.retrain) throw new ApiError(404, "retraining is not available in this sidecar");
      const actor = typeof req.query.token === "string" ? "webhook" : "api";
      sendJob(res, await b.retrain({ ...body, actor }), "a training job");
    });
    app.post("/api/v1/backfill", async (req, res) => {
      const body = parseBody(backfillBody, req.body);
      if (!b.backfill) throw new ApiError(404, "backfill is not available in this sidecar");
      sendJob(res, await b.backfill(checkRange(body, now(), o.backfillMaxSeconds ?? 7 * 86400)), "a backfill");
    });
    app.use((req, _res, next) => {
      next(new ApiError(404, `no route ${req.method} ${req.path}`));
    });
    app.use(errorHandler);
    return app;
  }

  /** Resolves once listening (the bound address is in `address`, and in the `api_listening` log event). */
  start(): Promise<void> {
    const app = this.app();
    const tls = this.opts.tls;
    let s: Server;
    try {
      s = tls ? createHttpsServer({ cert: readFileSync(tls.cert_file), key: readFileSync(tls.key_file) }, app) : createHttpServer(app);
    } catch (e) {
      return Promise.reject(new Error(`api: cannot read api.tls.cert_file or api.tls.key_file (${(e as Error).message})`));
    }
    // Bounded waits for slow clients; keep-alive kept past typical client pools' idle timeouts.
    s.requestTimeout = 60_000;
    s.headersTimeout = 20_000;
    s.keepAliveTimeout = 65_000;
    return new Promise((resolve, reject) => {
      s.listen(this.opts.port, this.opts.host);
      s.once("listening", () => {
        this.server = s;
        this.address = s.address() as AddressInfo;
        const host = this.address.family === "IPv6" ? `[${this.address.address}]` : this.address.address;
        logEvent("api_listening", { url: `${tls ? "https" : "http"}://${host}:${this.address.port}`, auth: this.opts.token ? "bearer token" : "none (loopback only)" });
        resolve();
      });
      s.once("error", (e: NodeJS.ErrnoException) => {
        reject(new Error(`api: cannot listen on ${this.opts.host}:${this.opts.port} (${e.code ?? e.message}); set api.port to a free port or api.enabled: false`));
      });
    });
  }

  /** Stops accepting, lets requests in flight finish, closes idle keep-alive connections. Idempotent, safe without start. */
  shutdown(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeIdleConnections();
    });
  }
}

/** The route pattern (not the concrete path) for metrics labels; `other` for unknown paths. */
function routeOf(req: Request): string {
  const r = (req as Request & { route?: { path?: string } }).route?.path;
  return typeof r === "string" ? r : req.path === "/healthz" || req.path === "/readyz" ? req.path : "other";
}

function modelName(b: ApiBackend, name: string): string {
  if (name !== b.models.name) throw new ApiError(404, `this sidecar serves model ${b.models.name} (model.name), not ${name}`);
  return name;
}

/** A promotion or rollback the holder refuses (the version does not verify, nothing to roll back to) is a 409 with its reason. */
async function refused(f: () => Promise<HistoryRecord>): Promise<HistoryRecord> {
  try {
    return await f();
  } catch (e) {
    throw new ApiError(409, (e as Error).message);
  }
}

function sendJob(res: Response, r: JobStart, what: string): void {
  if (!r.started) throw new ApiError(409, `${what} is already running: ${r.reason}`);
  res.status(202).json(r);
}

function toEpoch(v: number | string, key: string): number {
  if (typeof v === "number") return v;
  const n = Number(v);
  if (Number.isFinite(n)) return n;
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw new ApiError(400, `${key}: ${JSON.stringify(v)} is neither epoch seconds nor an ISO 8601 time`);
  return ms / 1000;
}

/** Refuses reversed ranges, ranges in the future and ranges wider than the cap, with the reason. */
export function checkRange(body: z.output<typeof backfillBody>, nowMs: number, maxSeconds: number): BackfillRequest {
  const earliest = toEpoch(body.earliest, "earliest");
  const latest = toEpoch(body.latest, "latest");
  const nowS = nowMs / 1000;
  if (!(latest > earliest)) throw new ApiError(400, `latest (${latest}) must be after earliest (${earliest})`);
  if (earliest > nowS) throw new ApiError(400, `earliest (${new Date(earliest * 1000).toISOString()}) is in the future`);
  if (latest > nowS + 1) throw new ApiError(400, `latest (${new Date(latest * 1000).toISOString()}) is in the future; live scoring covers recent events`);
  if (latest - earliest > maxSeconds) throw new ApiError(400, `the range is ${latest - earliest} s, wider than api.backfill_max_seconds (${maxSeconds}); split it`);
  return { earliest, latest, ...(body.search ? { search: body.search } : {}) };
}
