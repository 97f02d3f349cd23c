/**
 * The API's one auth rule (README, "HTTP API"; ADR 0017):
 *
 * - With `api.token` set, every route but `/healthz` and `/readyz` needs `Authorization: Bearer <token>`
 *   (`/metrics` included): none gives 401, a wrong one 403.
 * - `api.webhook_token` is accepted on `POST /api/v1/retrain` alone, as the `token` query parameter (Splunk's
 *   webhook alert action cannot send headers); anywhere else it is a wrong token.
 * - Without `api.token` the API binds to loopback only (`assertBindAllowed`; the config schema refuses the same
 *   combination first), and every route is open to local processes: loopback callers are trusted.
 *
 * Tokens are compared in constant time (over SHA-256 digests, so the length does not leak either).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { isLoopbackHost } from "../config/schema.ts";
import { ApiError } from "./errors.ts";

export interface AuthOptions {
  /** The bearer token; undefined leaves the routes open (loopback only). */
  token?: string;
  /** The retrain-only token. */
  webhookToken?: string;
}

/** Routes anyone may call: the probes. */
const OPEN = new Set(["/healthz", "/readyz"]);
/** The one route the webhook token opens. */
export const WEBHOOK_ROUTE = "/api/v1/retrain";

export { isLoopbackHost as isLoopback };

/** Throws, with the fix, when `host` is not loopback and there is no token. */
export function assertBindAllowed(host: string, token: string | undefined): void {
  if (token || isLoopbackHost(host)) return;
  throw new Error(
    `api: refusing to listen on ${host} without api.token: anyone who can reach it could read the status and promote models. ` +
      `Set api.token (for example token: \${SOC_API_TOKEN}) or set api.host: 127.0.0.1`,
  );
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** Constant-time equality of two strings (also in their length). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Express middleware enforcing the rule above. */
export function authenticate(opts: AuthOptions) {
  const token = opts.token ? digest(opts.token) : undefined;
  const webhook = opts.webhookToken ? digest(opts.webhookToken) : undefined;
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (OPEN.has(req.path) || !token) return next();
    const header = req.get("authorization");
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) return next(new ApiError(401, "the Authorization header must be 'Bearer <api.token>'"));
      if (timingSafeEqual(digest(m[1]!), token)) return next();
      return next(new ApiError(403, "wrong token"));
    }
    const q = req.query.token;
    if (typeof q === "string" && q !== "") {
      const d = digest(q);
      if (webhook && req.path === WEBHOOK_ROUTE && req.method === "POST" && timingSafeEqual(d, webhook)) return next();
      return next(new ApiError(403, req.path === WEBHOOK_ROUTE ? "wrong token" : "a query-string token is accepted on POST /api/v1/retrain only (the webhook token); send Authorization: Bearer <api.token>"));
    }
    next(new ApiError(401, "this route needs Authorization: Bearer <api.token>"));
  };
}
