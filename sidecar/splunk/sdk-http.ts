/**
 * The HTTP client the SDK's `Service` talks through. `splunk-sdk`'s own `NodeHttp` calls needle with
 * `rejectUnauthorized: false` hard-coded (lib/platform/node/node_http.js), so any certificate would do. This
 * one implements the SDK's `Http.makeRequest` contract (lib/http.js) on our transport (`http/transport.ts`),
 * which verifies certificates as configured.
 *
 * Contract kept with the SDK: resolve with `_buildResponse(null, {headers, statusCode}, bodyText)` for every
 * HTTP status (the SDK rejects >= 400 itself and reads `set-cookie`); reject with status 600 and the Node
 * error on a network or TLS failure, and with status "abort" when the call's `response_timeout` expires.
 */
import { HttpTimeoutError, type Transport } from "../http/transport.ts";
import type { SdkHttp, SdkModule, SdkRequestMessage, SdkResponse } from "./types.ts";

/** A `splunkjs.Http` subclass whose requests go through `transport`. */
export function createSdkHttp(sdk: SdkModule, transport: Transport): SdkHttp {
  const Verified = sdk.Http.extend({
    makeRequest(this: SdkHttp, url: string, message: SdkRequestMessage): Promise<SdkResponse> {
      const headers: Record<string, string | number> = { ...message.headers, "User-Agent": "soc-assistant (splunk-sdk-javascript/2.0.2)" };
      const body = message.method === "GET" || message.method === "DELETE" ? (message.body || undefined) : message.body;
      const deadline = typeof message.response_timeout === "number" && message.response_timeout > 0 ? message.response_timeout : undefined;
      return transport.request(url, { method: message.method, headers, body, timeoutMs: deadline }).then(
        (r) => this._buildResponse(null, { headers: r.headers as Record<string, string | string[] | undefined>, statusCode: r.status }, r.body.toString("utf8")),
        (e: unknown) => {
          const aborted = e instanceof HttpTimeoutError && e.phase === "total";
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
