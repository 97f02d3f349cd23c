/**
 * Our HTTP(S) client for Splunk (HEC, and any other caller that must honour the TLS settings of the config).
 * Certificates are verified by default against the CA bundle given (`ca_file`; it replaces Node's public
 * roots, as `curl --cacert` does) or against Node's public roots when none is given; `verifyTls: false` is
 * an explicit choice that the caller logs. Every request has a whole-request timeout and a bounded reply
 * body. Errors reject with Node's error (its `code`: ECONNRESET, ECONNREFUSED, a TLS code...) or with
 * `HttpTimeoutError`; `retry.ts` decides what is worth retrying.
 */
import { readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

export interface HttpClientOptions {
  /** PEM file of the CA (or bundle) that signs the server certificate; default: Node's public roots. */
  caFile?: string;
  /** PEM text of the CA, instead of `caFile`. */
  ca?: string | Buffer;
  /** Default true. False accepts any certificate: the caller must log that choice. */
  verifyTls?: boolean;
  /** Whole-request timeout (connect + send + reply), ms. */
  timeoutMs: number;
  /** Sockets kept per host (default 8). */
  maxSockets?: number;
  /** Reply bodies longer than this are cut (default 1 MiB). */
  maxReplyBytes?: number;
}

export interface HttpRequest {
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Overrides the client's timeout for this request (ms). */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The request did not complete within its timeout. `code` is ETIMEDOUT so it classifies like a socket timeout. */
export class HttpTimeoutError extends Error {
  readonly code = "ETIMEDOUT";
  constructor(readonly timeoutMs: number) {
    super(`no complete reply within ${timeoutMs} ms`);
    this.name = "HttpTimeoutError";
  }
}

/** Node's codes for a server certificate that failed verification (hostname mismatch included). */
const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH",
]);

/** True when `err` says the server's certificate was refused (retrying cannot help). */
export function isTlsVerificationError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && TLS_CODES.has(code);
}

export class HttpClient {
  private readonly httpsAgent: HttpsAgent;
  private readonly httpAgent: HttpAgent;
  private readonly timeoutMs: number;
  private readonly maxReplyBytes: number;

  /** Reads `caFile` now: a missing or unreadable file throws with its path. */
  constructor(opts: HttpClientOptions) {
    let ca = opts.ca;
    if (opts.caFile !== undefined) {
      try {
        ca = readFileSync(opts.caFile);
      } catch (e) {
        throw new Error(`cannot read the CA file ${opts.caFile}: ${(e as Error).message}`);
      }
    }
    const maxSockets = opts.maxSockets ?? 8;
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets, ca, rejectUnauthorized: opts.verifyTls !== false });
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets });
    this.timeoutMs = opts.timeoutMs;
    this.maxReplyBytes = opts.maxReplyBytes ?? 1024 * 1024;
  }

  /** Resolves with any HTTP status (the caller classifies it); rejects on network, TLS and timeout errors. */
  request(url: string | URL, req: HttpRequest): Promise<HttpResponse> {
    const u = typeof url === "string" ? new URL(url) : url;
    const https = u.protocol === "https:";
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const headers: Record<string, string | number> = { ...(req.headers ?? {}) };
    const body = typeof req.body === "string" ? Buffer.from(req.body) : req.body;
    if (body !== undefined) headers["Content-Length"] = body.length;
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const settle = (e: Error | undefined, res?: HttpResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (e) reject(e);
        else resolve(res!);
      };
      const r = (https ? httpsRequest : httpRequest)(
        u,
        { method: req.method, headers, agent: https ? this.httpsAgent : this.httpAgent },
        (res) => {
          const chunks: Buffer[] = [];
          let n = 0;
          res.on("data", (c: Buffer) => {
            if (n >= this.maxReplyBytes) return;
            const part = c.subarray(0, this.maxReplyBytes - n);
            n += part.length;
            chunks.push(part);
          });
          res.on("end", () => settle(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on("error", (e) => settle(e));
          // A connection cut mid-reply: Node may emit only "close".
          res.on("close", () => {
            if (!res.complete) settle(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
          });
        },
      );
      const timer = setTimeout(() => r.destroy(new HttpTimeoutError(timeoutMs)), timeoutMs);
      r.on("error", (e) => settle(e));
      r.end(body);
    });
  }

  /** Closes the kept-alive sockets. Requests in flight fail with a reset. Idempotent. */
  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }
}
