/**
 * The HTTP client the SDK's `Service` talks through. `splunk-sdk`'s own `NodeHttp` calls needle with
 * `rejectUnauthorized: false` hard-coded (lib/platform/node/node_http.js), so any certificate would do. This
 * one implements the SDK's `Http.makeRequest` contract (lib/http.js) on node:http(s) with certificate
 * verification on: against the CA bundle in `ca_file` (it replaces Node's public roots, as `curl --cacert`
 * does) or Node's public roots when none is set. `verifyTls: false` turns verification off; the caller logs it.
 *
 * Contract kept with the SDK: resolve with `_buildResponse(null, {headers, statusCode}, bodyText)` for every
 * HTTP status (the SDK rejects >= 400 itself and reads `set-cookie`); reject with status 600 and the Node
 * error on a network or TLS failure, and with status "abort" when the call's `response_timeout` expires.
 */
import { readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { SdkHttp, SdkModule, SdkRequestMessage, SdkResponse } from "./types.ts";

export interface TransportOptions {
  /** PEM file of the CA that signs Splunk's certificate; default Node's public roots. */
  caFile?: string;
  /** Default true. */
  verifyTls?: boolean;
  /** Idle timeout per request (no byte sent or received for this long), ms. */
  timeoutMs: number;
  /** Sockets kept per host (default 4). */
  maxSockets?: number;
}

/** The request did not progress within its timeout; the code classifies like a socket timeout. */
export class TransportTimeoutError extends Error {
  readonly code = "ETIMEDOUT";
  constructor(timeoutMs: number) {
    super(`no data for ${timeoutMs} ms`);
  }
}

/** node:http(s) with keep-alive sockets and the configured TLS verification. */
export class Transport {
  readonly verifyTls: boolean;
  readonly caFile: string | undefined;
  private readonly httpsAgent: HttpsAgent;
  private readonly httpAgent: HttpAgent;
  private readonly timeoutMs: number;

  /** Reads `caFile` now: an unreadable file throws an Error naming `splunk.ca_file`. */
  constructor(opts: TransportOptions) {
    let ca: Buffer | undefined;
    if (opts.caFile !== undefined) {
      try {
        ca = readFileSync(opts.caFile);
      } catch (e) {
        throw new Error(`splunk.ca_file ${opts.caFile} cannot be read: ${(e as Error).message}`);
      }
    }
    this.caFile = opts.caFile;
    this.verifyTls = opts.verifyTls !== false;
    const maxSockets = opts.maxSockets ?? 4;
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets, ca, rejectUnauthorized: this.verifyTls });
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets });
    this.timeoutMs = opts.timeoutMs;
  }

  /**
   * Sends one request; resolves with the reply once its headers arrive (the body is the caller's to read
   * or stream). Rejects on network, TLS and timeout errors with Node's error (`code` set).
   */
  open(url: string, method: string, headers: Record<string, string | number>, body: string | Buffer | undefined, totalMs?: number): Promise<IncomingMessage> {
    const u = new URL(url);
    const https = u.protocol === "https:";
    const h: Record<string, string | number> = { ...headers };
    const payload = body === undefined ? undefined : typeof body === "string" ? Buffer.from(body, "utf8") : body;
    h["Content-Length"] = payload?.length ?? 0;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(u, { method, headers: h, agent: https ? this.httpsAgent : this.httpAgent }, resolve);
      req.setTimeout(this.timeoutMs, () => req.destroy(new TransportTimeoutError(this.timeoutMs)));
      if (totalMs !== undefined && totalMs > 0) {
        const t = setTimeout(() => req.destroy(Object.assign(new Error(`no complete reply within ${totalMs} ms`), { code: "ABORT" })), totalMs);
        req.on("close", () => clearTimeout(t));
      }
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Sends one request and reads the whole reply body as UTF-8 text. */
  async request(url: string, method: string, headers: Record<string, string | number>, body?: string | Buffer, totalMs?: number): Promise<{ status: number; headers: IncomingMessage["headers"]; text: string }> {
    const res = await this.open(url, method, headers, body, totalMs);
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", resolve);
      res.on("error", reject);
      res.on("close", () => {
        if (!res.complete) reject(Object.assign(new Error("the connection closed before the reply was complete"), { code: "ECONNRESET" }));
      });
    });
    return { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") };
  }

  /** Closes kept-alive sockets. Idempotent. */
  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }
}

/** A `splunkjs.Http` subclass whose requests go through `transport`. */
export function createSdkHttp(sdk: SdkModule, transport: Transport): SdkHttp {
  const Verified = sdk.Http.extend({
    makeRequest(this: SdkHttp, url: string, message: SdkRequestMessage): Promise<SdkResponse> {
      const headers: Record<string, string | number> = { ...message.headers, "User-Agent": "soc-assistant (splunk-sdk-javascript/2.0.2)" };
      const body = message.method === "GET" || message.method === "DELETE" ? (message.body || undefined) : message.body;
      const deadline = typeof message.response_timeout === "number" && message.response_timeout > 0 ? message.response_timeout : undefined;
      return transport.request(url, message.method, headers, body, deadline).then(
        (r) => this._buildResponse(null, { headers: r.headers as Record<string, string | string[] | undefined>, statusCode: r.status }, r.text),
        (e: unknown) => {
          const aborted = (e as { code?: unknown }).code === "ABORT";
          const failed = this._buildResponse(aborted ? "abort" : e, { headers: {}, statusCode: aborted ? "abort" : 600 }, null);
          failed.error = e;
          throw failed;
        },
      );
    },
    parseJson(json: string): unknown {
      return JSON.parse(json);
    },
  });
  return new Verified();
}
