// Shared pieces of the HEC sink tests: risk events, what the emulator indexed, and a capture server that
// records raw requests (headers and bodies) for the wire-format checks.
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import type { Emulator } from "../../emulator/index.ts";
import type { RiskEvent } from "../../sidecar/contract/risk-event.ts";

export const ACK_TOKEN = "22222222-2222-2222-2222-222222222222";
export const NOACK_TOKEN = "33333333-3333-3333-3333-333333333333";
export const INDEX = "soc_risk";

/** A complete risk event; `i` makes its id, time and addresses distinct. */
export function riskEvent(runId: string, i: number, pad = 0): RiskEvent {
  const id = createHash("sha256").update(`${runId}|${i}`).digest("hex");
  return {
    _time: 1_764_000_000 + i + 0.25,
    event_id: id,
    run_id: runId,
    scored_at: "2026-11-25T12:00:00.000Z",
    risk_score: 73,
    risk_band: "high",
    probability: 0.731,
    threshold: 0.42,
    risk_object: `10.0.${Math.floor(i / 250)}.${i % 250}`,
    risk_object_type: "system",
    threat_object: "198.51.100.7",
    threat_object_type: "ip_address",
    risk_message: `Risk 73 (high): conn_state=S0 (+0.31)${"x".repeat(pad)}`,
    search_name: "SOC Assistant - Network Threat Model",
    explanation: "conn_state=S0 (+0.31)",
    top_feature: "conn_state",
    top_features: [{ feature: "conn_state", value: "S0", contribution: 0.31 }],
    model_name: "zeek-conn",
    model_kind: "supervised",
    model_version: "v1",
    feature_schema: "abc123",
    orig_index: "netflow",
    orig_sourcetype: "zeek:conn",
    orig_host: "sensor-1",
    orig_source: "conn.log",
    orig_cd: null,
    orig_time: 1_764_000_000 + i,
    orig_line: null,
    src_ip: `10.0.${Math.floor(i / 250)}.${i % 250}`,
    dest_ip: "198.51.100.7",
    dest_port: 443,
  };
}

export function riskEvents(runId: string, n: number, pad = 0): RiskEvent[] {
  return Array.from({ length: n }, (_, i) => riskEvent(runId, i, pad));
}

export interface Indexed {
  time: number;
  index: string;
  sourcetype: string;
  host: string;
  source: string;
  event: Record<string, unknown>;
}

/** Events of one run the emulator indexed, in `index`, oldest first. */
export function indexed(emu: Emulator, runId: string, index = INDEX): Indexed[] {
  const out: Indexed[] = [];
  for (const ref of emu.store.scan({ indexes: [index] })) {
    const v = emu.store.view(ref);
    const event = JSON.parse(v.raw) as Record<string, unknown>;
    if (event.run_id !== runId) continue;
    out.push({ time: v.time, index: v.index, sourcetype: v.sourcetype, host: v.host, source: v.source, event });
  }
  return out.sort((a, b) => a.time - b.time);
}

/** Event ids with how often each was indexed. */
export function idCounts(rows: Indexed[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(String(r.event.event_id), (m.get(String(r.event.event_id)) ?? 0) + 1);
  return m;
}

export interface Captured {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as sent (gzip when the client compressed it). */
  body: Buffer;
  /** The body as text, gunzipped when `Content-Encoding: gzip`. */
  text: string;
}

/** A bare HTTP server that records every request, answers posts with HEC success and an increasing ackId, and acks every id; `setCookie` goes on the first reply, as a sticky load balancer's does. */
export async function captureServer(opts: { setCookie?: string } = {}): Promise<{ url: string; requests: Captured[]; close(): Promise<void> }> {
  const requests: Captured[] = [];
  let ackId = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const text = /gzip/.test(String(req.headers["content-encoding"])) ? gunzipSync(body).toString("utf8") : body.toString("utf8");
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, text });
      res.setHeader("Content-Type", "application/json; charset=UTF-8");
      if (opts.setCookie && requests.length === 1) res.setHeader("Set-Cookie", opts.setCookie);
      if ((req.url ?? "").startsWith("/services/collector/ack")) {
        const ids = (JSON.parse(text) as { acks: number[] }).acks;
        res.end(JSON.stringify({ acks: Object.fromEntries(ids.map((id) => [String(id), true])) }));
      } else res.end(JSON.stringify({ text: "Success", code: 0, ackId: ackId++ }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
