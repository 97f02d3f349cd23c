/**
 * Readiness of the Splunk connection: log in (or check the token), read server/info, and say what to fix
 * when that fails. Used by `GET /readyz` and at startup; it never throws.
 */
import { SplunkError } from "./errors.ts";
import { SplunkClient, type SplunkConnectionOptions } from "./sdk.ts";

export type SplunkCheck = { ok: true; version: string } | { ok: false; reason: string };

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "EPIPE"]);

/** Why the check failed, phrased as what to do. */
export function explainFailure(e: unknown, c: Pick<SplunkConnectionOptions, "url" | "auth">): string {
  if (!(e instanceof SplunkError)) return e instanceof Error ? e.message : String(e);
  if (e.tls) return e.message;
  if (e.status === 600 || e.status === "abort") {
    const why = e.code && UNREACHABLE.has(e.code) ? e.code : (e.code ?? "no reply");
    return `Splunk at ${c.url} is unreachable (${why}): check the host and port in splunk.url (the management port, 8089 by default, not Splunk Web) and any firewall or proxy between the sidecar and Splunk`;
  }
  if (e.kind === "auth") {
    const fix = c.auth.kind === "token"
      ? "check splunk.token: token authentication must be enabled on Splunk and the token valid and not expired"
      : "check splunk.username and splunk.password";
    return `Splunk at ${c.url} refused the credentials (${e.splunkMessage ?? e.status}): ${fix}`;
  }
  if (e.status === 404) {
    return `${e.message}: is splunk.url the management port (8089 by default) rather than Splunk Web?`;
  }
  return e.message;
}

/**
 * Logs in and reads server/info. `{ok: true, version}` or `{ok: false, reason}` with the reason saying what
 * to do (host/port/firewall, credentials or token, ca_file). One attempt (policy `splunkd.login`): the next
 * readiness tick is the retry.
 */
export async function checkSplunk(opts: SplunkConnectionOptions): Promise<SplunkCheck> {
  let client: SplunkClient;
  try {
    client = new SplunkClient(opts);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  try {
    await client.connect();
    const info = await client.serverInfo();
    return { ok: true, version: info.version };
  } catch (e) {
    return { ok: false, reason: explainFailure(e, opts) };
  } finally {
    client.close();
  }
}
