/**
 * The one module that sends HTTP(S) requests (HEC, and splunkd through the splunk-sdk adapter).
 *
 * TLS: certificates are verified by default, against the CA bundle given (`caFile`/`ca`; it replaces Node's
 * public roots, as `curl --cacert` does) or against Node's public roots when none is given. `verifyTls: false`
 * accepts any certificate; the transport logs `tls_verification_off` once per URL origin per process, at the
 * first request to it (so a sidecar with two HEC sinks and a Splunk client says it once per server).
 *
 * Timeouts: `timeoutMs` bounds a whole request (connect, send, the complete reply); `idleTimeoutMs` bounds
 * a silence (no byte sent or received). Either rejects with `HttpTimeoutError` (code ETIMEDOUT). Reply bodies
 * are read whole, cut at `maxReplyBytes`.
 *
 * Contract: `request` resolves with any HTTP status (the caller classifies it with `failure.ts`) and rejects
 * only when no complete reply arrived, with Node's error (its `code`: ECONNRESET, ECONNREFUSED, a TLS code...)
 * or `HttpTimeoutError`. It never retries: `retry.ts` does, with the endpoint's policy.
 */
import { readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { logEvent } from "../telemetry/log.ts";

export interface TransportOptions {
  /** PEM file of the CA (or bundle) that signs the server certificate; default: Node's public roots. */
  caFile?: string;
  /** PEM text of the CA, instead of `caFile`. */
  ca?: string | Buffer;
  /** Default true. False accepts any certificate (logged once per origin). */
  verifyTls?: boolean;
  /** Config key of `verifyTls`, for the log line (e.g. `hec.verify_tls`). */
  verifyTlsKey?: string;
  /** Config key of `caFile`, for the message when it cannot be read (default "the CA file"). */
  caFileKey?: string;
  /** Whole-request timeout, ms (none by default). */
  timeoutMs?: number;
  /** Idle timeout, ms: no byte sent or received for this long (none by default). */
  idleTimeoutMs?: number;
  /** Sockets kept per host (default 8). */
  maxSockets?: number;
  /** Reply bodies longer than this are cut (default 1 MiB; `Infinity` for none). */
  maxReplyBytes?: number;
}

export interface HttpRequest {
  method: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string;
  /** Overrides the transport's whole-request timeout (ms). */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** No complete reply within the whole-request timeout (`total`), or no data for the idle timeout (`idle`). */
export class HttpTimeoutError extends Error {
  readonly code = "ETIMEDOUT";
  constructor(
    readonly timeoutMs: number,
    readonly phase: "total" | "idle" = "total",
  ) {
    super(phase === "total" ? `no complete reply within ${timeoutMs} ms` : `no data for ${timeoutMs} ms`);
    this.name = "HttpTimeoutError";
  }
}

/** Origins already logged with verification off (process-wide: once per server, not once per client). */
const loggedInsecure = new Set<string>();

export class Transport {
  readonly verifyTls: boolean;
  readonly caFile: string | undefined;
  private readonly httpsAgent: HttpsAgent;
  private readonly httpAgent: HttpAgent;
  private readonly opts: TransportOptions;
  private readonly maxReplyBytes: number;

  /** Reads `caFile` now: a missing or unreadable file throws with its config key and path. */
  constructor(opts: TransportOptions) {
    let ca = opts.ca;
    if (opts.caFile !== undefined) {
      try {
        ca = readFileSync(opts.caFile);
      } catch (e) {
        throw new Error(`${opts.caFileKey ?? "the CA file"} ${opts.caFile} cannot be read: ${(e as Error).message}`);
      }
    }
    this.opts = opts;
    this.caFile = opts.caFile;
    this.verifyTls = opts.verifyTls !== false;
    const maxSockets = opts.maxSockets ?? 8;
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets, ca, rejectUnauthorized: this.verifyTls });
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets });
    this.maxReplyBytes = opts.maxReplyBytes ?? 1024 * 1024;
  }

  /** Sends one request and reads the whole reply. See the module comment for what resolves and what rejects. */
  request(url: string | URL, req: HttpRequest): Promise<HttpResponse> {
    const u = typeof url === "string" ? new URL(url) : url;
    const https = u.protocol === "https:";
    if (https && !this.verifyTls && !loggedInsecure.has(u.origin)) {
      loggedInsecure.add(u.origin);
      logEvent("tls_verification_off", { url: u.origin, ...(this.opts.verifyTlsKey ? { key: this.opts.verifyTlsKey } : {}) });
    }
    const timeoutMs = req.timeoutMs ?? this.opts.timeoutMs;
    const idleMs = this.opts.idleTimeoutMs;
    const headers: Record<string, string | number> = { ...(req.headers ?? {}) };
    const body = typeof req.body === "string" ? Buffer.from(req.body, "utf8") : req.body;
    headers["Content-Length"] = body?.length ?? 0;
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (e: Error | undefined, res?: HttpResponse): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        if (e) reject(e);
        else resolve(res!);
      };
      const r = (https ? httpsRequest : httpRequest)(u, { method: req.method, headers, agent: https ? this.httpsAgent : this.httpAgent }, (res) => {
        const chunks: Buffer[] = [];
        let n = 0;
        res.on("data", (c: Buffer) => {
          if (n >= this.maxReplyBytes) return;
          const part = n + c.length <= this.maxReplyBytes ? c : c.subarray(0, this.maxReplyBytes - n);
          n += part.length;
          chunks.push(part);
        });
        res.on("end", () => settle(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", (e) => settle(e));
        // A connection cut mid-reply: Node may emit only "close".
        res.on("close", () => {
          if (!res.complete) settle(Object.assign(new Error("the connection closed before the reply was complete (socket hang up)"), { code: "ECONNRESET" }));
        });
      });
      if (timeoutMs !== undefined && timeoutMs > 0) timer = setTimeout(() => r.destroy(new HttpTimeoutError(timeoutMs, "total")), timeoutMs);
      if (idleMs !== undefined && idleMs > 0) r.setTimeout(idleMs, () => r.destroy(new HttpTimeoutError(idleMs, "idle")));
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
