/**
 * HEC readiness probes, one attempt each (policy `hec.health`, `hec.token_check`: the next readiness tick is
 * the retry). `/health` does not look at tokens, so the token is checked separately.
 */
import { truncate } from "../../http/failure.ts";
import { codeText, parseReply, type HecConnection } from "./connection.ts";

/** GET /services/collector/health: 200 (code 17) is healthy; 503 (codes 18-20) names the trouble. */
export async function healthcheck(conn: HecConnection): Promise<{ healthy: boolean; status: number; text: string }> {
  try {
    const res = await conn.request("/services/collector/health", { method: "GET" });
    const r = parseReply(res.body);
    return { healthy: res.status === 200, status: res.status, text: r ? codeText(r) : truncate(res.body.toString()) };
  } catch (e) {
    return { healthy: false, status: 0, text: conn.errorResult(e).reason };
  }
}

/**
 * Whether HEC accepts the token, without indexing anything: an empty event post answers 400 code 5 ("No
 * data") to a valid token and 401/403 (codes 2, 3, 4, 1) to a bad one.
 */
export async function checkToken(conn: HecConnection): Promise<{ ok: boolean; status: number; text: string }> {
  try {
    const res = await conn.request("/services/collector/event", { method: "POST", body: Buffer.alloc(0) });
    const r = parseReply(res.body);
    const text = r ? codeText(r) : truncate(res.body.toString());
    return { ok: res.status !== 401 && res.status !== 403, status: res.status, text };
  } catch (e) {
    return { ok: false, status: 0, text: conn.errorResult(e).reason };
  }
}
