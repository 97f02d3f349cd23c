/**
 * JSON errors: every failure a client can cause gets a 4xx with `{error, details?}` that says what is wrong;
 * anything else a 500 with a generic sentence (the cause is logged, without the request's secrets). No response
 * ever carries a stack trace.
 */
import type { NextFunction, Request, Response } from "express";
import type { ZodError, ZodTypeAny, z } from "zod";
import { logEvent } from "../telemetry/log.ts";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** `body` parsed by `schema`, or a 400 that lists every problem by its path. */
export function parseBody<S extends ZodTypeAny>(schema: S, body: unknown, what = "request body"): z.output<S> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new ApiError(400, `invalid ${what}`, describe(r.error));
  return r.data as z.output<S>;
}

function describe(e: ZodError): string[] {
  return e.issues.slice(0, 20).map((i) => {
    const path = i.path.length ? i.path.join(".") : "(body)";
    if (i.code === "unrecognized_keys") return `${path}: unknown field(s) ${i.keys.join(", ")}`;
    return `${path}: ${i.message}`;
  });
}

/** The path and a query string reduced to its keys (`?token=[REDACTED]`): what request logs may show. */
export function redactedUrl(req: Request): string {
  const q = req.originalUrl.indexOf("?");
  if (q < 0) return req.originalUrl;
  const keys = [...new URLSearchParams(req.originalUrl.slice(q + 1)).keys()];
  return `${req.originalUrl.slice(0, q)}?${keys.map((k) => `${encodeURIComponent(k)}=[REDACTED]`).join("&")}`;
}

/** Express's error middleware (four parameters: Express tells them apart by arity). */
export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const e = err as { status?: number; statusCode?: number; type?: string; message?: string; limit?: number; expose?: boolean };
  let status = 500;
  let body: { error: string; details?: string[] };
  if (err instanceof ApiError) {
    status = err.status;
    body = { error: err.message, ...(err.details ? { details: err.details } : {}) };
  } else if (e?.type === "entity.too.large") {
    status = 413;
    body = { error: `request body larger than ${e.limit ?? "the limit"} bytes (api.max_body_bytes)` };
  } else if (e?.type === "entity.parse.failed") {
    status = 400;
    body = { error: "request body is not valid JSON" };
  } else if (typeof (e?.status ?? e?.statusCode) === "number" && (e.status ?? e.statusCode)! >= 400 && (e.status ?? e.statusCode)! < 500) {
    status = (e.status ?? e.statusCode)!;
    body = { error: e.expose && e.message ? e.message : "bad request" };
  } else {
    body = { error: "internal error; the sidecar's log has the cause" };
    logEvent("api_error", { method: req.method, url: redactedUrl(req), error: e?.message ?? String(err) });
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status).json(body);
}
