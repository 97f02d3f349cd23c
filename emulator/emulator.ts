// The Splunk emulator: splunkd's management REST API (default port 8089) and HTTP Event Collector
// (default 8088) over HTTP or HTTPS, faithful enough for the unmodified splunk-sdk (ADR 0007).
// A test instrument: see docs/adr/0007-splunk-emulator.md for what it is not.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { gunzipSync } from "node:zlib";
import { Auth, type TokenConfig, type UserConfig } from "./auth.ts";
import { Faults, RequestLog, type PathFault, type RequestLogEntry } from "./faults.ts";
import { Hec, type HecTokenConfig, type PartialMode } from "./hec.ts";
import { Indexes } from "./indexes.ts";
import type { EmulatorCore, RestContext, Settings } from "./rest/context.ts";
import { feed, isoNow, JSON_TYPE, param, send, sendFeed, sendJson, sendMessages, wantsJson, xmlEscape, type FeedContext, type Params } from "./rest/format.ts";
import { handleIndexes } from "./rest/indexes.ts";
import { handleSearch } from "./rest/search.ts";
import { Jobs } from "./search/jobs.ts";
import { parseSeed, type SeedDefaults } from "./seed.ts";
import type { ExtractionMode } from "./store/extract.ts";
import { EventStore, type GeneratorSpec } from "./store/store.ts";
import { handleKvStore, KvStore } from "./kvstore.ts";
import type { MacroTable } from "./spl/macros.ts";

export interface TlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface EmulatorOptions {
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Management port (default 0 = ephemeral; real Splunk: 8089). */
  port?: number;
  /** HEC port (default 0 = its own ephemeral listener; real Splunk: 8088), or "shared" to serve HEC on the management port. */
  hecPort?: number | "shared";
  /** Serve HTTPS with this certificate (both listeners unless `hecTls` says otherwise). */
  tls?: TlsMaterial;
  /** HEC listener TLS: default = `tls`; `false` = plain HTTP. */
  hecTls?: TlsMaterial | false;
  /** server/info version (default 9.4.3): >= 9.0.2 makes the SDK use search/v2 paths. */
  version?: string;
  instanceType?: string;
  serverName?: string;
  /** Default: admin/changeme. */
  users?: UserConfig[];
  /** Bearer (JWT-style) tokens for the management API. */
  tokens?: TokenConfig[];
  /** Default: one token `11111111-1111-1111-1111-111111111113`, any index, no ack. */
  hecTokens?: HecTokenConfig[];
  /** Session idle timeout (default 1 h, server.conf sessionTimeout). */
  sessionTimeoutMs?: number;
  /** Time from job creation to DONE at the least (default 0). */
  jobDelayMs?: number;
  jobTtlSeconds?: number;
  /** Default job `max_count` (default 10000, research §3.1). */
  maxCount?: number;
  /** Cap on results `count` (default 50000, limits.conf maxresultrows). */
  maxResultRows?: number;
  /** Jobs allowed to be unfinished at once before job creation gets 503 (default unlimited). */
  maxConcurrentSearches?: number;
  /** Delay before a HEC ackId reads true (default 0). */
  ackDelayMs?: number;
  /** What a HEC 400 with `invalid-event-number` N leaves behind: events 0..N-1 `"indexed"` (default) or `"not-indexed"`; `emu.hec.partial` switches it at runtime. */
  hecPartial?: PartialMode;
  /** Indexes besides the built-in main, _internal, _audit, summary. */
  indexes?: string[];
  /** Indexes searched when a query names none (default ["main"]). */
  defaultIndexes?: string[];
  /** Search-time extraction per sourcetype (default: auto = JSON objects, else key=value). */
  extraction?: Record<string, ExtractionMode>;
  /** Clock in epoch ms (default Date.now). */
  now?: () => number;
  /** Request log size (default 10000 entries). */
  requestLogLimit?: number;
  /** Serve /__emulator/* admin routes on the management port (default true). */
  adminRoutes?: boolean;
  /** Events scanned per slice before yielding to the event loop (default 20000). */
  scanBudget?: number;
  /**
   * An app's knowledge objects: search macros (expanded before parsing, as splunkd does), KV store collections,
   * and lookup definitions naming a collection (`inputlookup`/`outputlookup`). `splunk-app/tools/knowledge.ts`
   * reads them from the app's conf files.
   */
  app?: { macros?: MacroTable; collections?: string[]; lookups?: Record<string, string> };
}

export const DEFAULT_HEC_TOKEN = "11111111-1111-1111-1111-111111111113";

export interface Emulator extends EmulatorCore {
  /** Management API base URL, e.g. https://127.0.0.1:8089 (after start). */
  readonly url: string;
  /** HEC base URL (after start); equals `url` with hecPort "shared". */
  readonly hecUrl: string;
  readonly managementPort: number;
  readonly hecPort: number;
  readonly requestLog: RequestLog;
  readonly hec: Hec;
  start(): Promise<void>;
  /** Closes the listeners and every open connection; idempotent and safe without start. */
  stop(): Promise<void>;
  /** Appends JSON-lines or Zeek TSV text; returns the number of events added. */
  seed(text: string, defaults?: SeedDefaults): number;
  /** Adds a generator segment (a sample replayed with shifted times); returns its id. */
  generate(spec: GeneratorSpec): number;
}

type Listener = "management" | "hec";

function toParams(sp: URLSearchParams): Params {
  const out: Params = {};
  for (const [k, v] of sp) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on("data", (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        reject(new Error("body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** `/services/<rest>` or `/servicesNS/<owner>/<app>/<rest>` -> rest (no trailing slash). */
function splitPath(path: string): { rest: string; ns?: { owner: string; app: string } } | undefined {
  let p = path;
  if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
  if (p === "/services") return { rest: "" };
  if (p.startsWith("/services/")) return { rest: p.slice("/services/".length) };
  const m = /^\/servicesNS\/([^/]+)\/([^/]+)(?:\/(.*))?$/.exec(p);
  if (m) return { rest: m[3] ?? "", ns: { owner: decodeURIComponent(m[1]), app: decodeURIComponent(m[2]) } };
  return undefined;
}

export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const now = options.now ?? Date.now;
  const settings: Settings = {
    version: options.version ?? "9.4.3",
    build: "e0d0a7c8b0f4",
    instanceType: options.instanceType,
    serverName: options.serverName ?? "emulator",
    jobDelayMs: options.jobDelayMs ?? 0,
    jobTtlSeconds: options.jobTtlSeconds ?? 600,
    maxCount: options.maxCount ?? 10000,
    maxResultRows: options.maxResultRows ?? 50000,
    scanBudget: options.scanBudget ?? 20000,
    defaultIndexes: options.defaultIndexes ?? ["main"],
  };
  const store = new EventStore(now);
  store.serverName = settings.serverName;
  for (const [st, mode] of Object.entries(options.extraction ?? {})) store.extraction.set(st, mode);
  const indexes = new Indexes(["main", "_internal", "_audit", "summary", ...(options.indexes ?? [])]);
  store.onNewIndex = (name) => indexes.ensure(name);
  const auth = new Auth(options.users ?? [{ name: "admin", password: "changeme", roles: ["admin"] }], options.tokens ?? [], options.sessionTimeoutMs ?? 3_600_000, now);
  const faults = new Faults(now, () => auth.expireAll());
  const kv = new KvStore();
  for (const c of options.app?.collections ?? []) kv.define(c);
  for (const [l, c] of Object.entries(options.app?.lookups ?? {})) kv.lookups.set(l, c);
  const jobs = new Jobs(
    {
      store,
      now,
      kv,
      get delayMs() { return settings.jobDelayMs; },
      get ttlSeconds() { return settings.jobTtlSeconds; },
      get maxCount() { return settings.maxCount; },
      get scanBudget() { return settings.scanBudget; },
    },
    options.maxConcurrentSearches ?? Infinity,
  );
  const hec = new Hec({ tokens: options.hecTokens ?? [{ token: DEFAULT_HEC_TOKEN, name: "emulator" }], store, indexes, faults, now, ackDelayMs: options.ackDelayMs ?? 0, partial: options.hecPartial });
  const requestLog = new RequestLog(options.requestLogLimit ?? 10000);
  const host = options.host ?? "127.0.0.1";
  const hecShared = options.hecPort === "shared";
  const hecTls = options.hecTls === undefined ? options.tls : options.hecTls || undefined;
  const sockets = new Set<Socket>();
  let mgmt: Server | undefined;
  let hecServer: Server | undefined;
  let mgmtPort = 0;
  let hecPortNo = 0;

  const core: EmulatorCore = { settings, store, indexes, jobs, faults, auth, now, kv, macros: options.app?.macros ?? new Map() };
  const baseUrl = () => `${options.tls ? "https" : "http"}://${host}:${mgmtPort}`;
  const feedCtx = (): FeedContext => ({ baseUrl: baseUrl(), version: settings.version, build: settings.build, instanceType: settings.instanceType, nowMs: now() });

  function serverInfo(c: RestContext): void {
    const content: Record<string, unknown> = {
      version: settings.version, build: settings.build, serverName: settings.serverName, host: settings.serverName,
      product_type: "enterprise", mode: "normal", os_name: "Linux", cpu_arch: "x86_64", numberOfCores: 2,
      numberOfVirtualCores: 2, physicalMemoryMB: 8192, guid: "5E3D1C7A-9B1F-4E2A-8C3D-0A1B2C3D4E5F",
      licenseState: "OK", server_roles: ["indexer", "search_head", "license_master"], isFree: false, isTrial: false,
      startup_time: Math.floor(startedAt / 1000), "eai:acl": null,
    };
    if (settings.instanceType) content.instance_type = settings.instanceType;
    sendFeed(c.res, 200, c.outputMode, "server-info", feed(c.feedCtx, "/services/server/info", [{
      name: "server-info", id: `${c.baseUrl}/services/server/info/server-info`, updated: "1970-01-01T00:00:00+00:00",
      links: { alternate: "/services/server/info/server-info", list: "/services/server/info/server-info" }, author: "system",
      acl: { app: "", can_list: true, can_write: true, modifiable: false, owner: "system", perms: { read: ["*"], write: [] }, removable: false, sharing: "system" },
      content,
    }]));
  }

  function login(c: RestContext): void {
    const key = auth.login(param(c.params, "username") ?? "", param(c.params, "password") ?? "");
    if (!key) {
      return sendMessages(c.res, 401, c.outputMode, [{ type: "WARN", code: "incorrect_username_or_password", text: "Login failed" }]);
    }
    const extra: Record<string, string | string[]> = {};
    if (param(c.params, "cookie") === "1") {
      extra["Set-Cookie"] = `splunkd_${mgmtPort}=${encodeURIComponent(key)}; Path=/; HttpOnly; Max-Age=3600${options.tls ? "; Secure" : ""}`;
    }
    if (wantsJson(c.outputMode)) return sendJson(c.res, 200, { sessionKey: key, message: "", code: "" }, extra);
    send(c.res, 200, "text/xml; charset=UTF-8", `<response>\n  <sessionKey>${xmlEscape(key)}</sessionKey>\n  <messages>\n    <msg code=""></msg>\n  </messages>\n</response>\n`, extra);
  }

  function receiversSimple(c: RestContext): void {
    const index = param(c.params, "index") ?? "main";
    if (!indexes.has(index)) {
      return sendMessages(c.res, 400, c.outputMode, [{ type: "ERROR", text: `In handler 'simple': Index name=${index} does not exist` }]);
    }
    const text = c.body.toString("utf8");
    const host = param(c.params, "host") ?? settings.serverName;
    const source = param(c.params, "source") ?? "http-simple";
    const sourcetype = param(c.params, "sourcetype") ?? "http-simple";
    const t = now();
    const trimmed = text.trim();
    let events = [trimmed];
    if (!(trimmed.startsWith("{") && (() => { try { JSON.parse(trimmed); return true; } catch { return false; } })())) {
      events = text.split(/\r?\n/).filter((l) => l.trim() !== "");
    }
    for (const raw of events) if (raw !== "") store.append({ time: t / 1000, indextime: Math.floor(t / 1000), index, host, source, sourcetype, raw });
    const reply = { index, bytes: c.body.length, host, source, sourcetype };
    if (wantsJson(c.outputMode)) return sendJson(c.res, 200, reply);
    const fields = Object.entries(reply).map(([k, v]) => `<field k="${k}">${xmlEscape(String(v))}</field>`).join("");
    send(c.res, 200, "text/xml; charset=UTF-8", `<?xml version="1.0" encoding="UTF-8"?>\n<response><results><result>${fields}</result></results></response>\n`);
  }

  async function admin(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, body: Buffer): Promise<void> {
    const sub = path.slice("/__emulator/".length);
    const json = (): Record<string, unknown> => (body.length ? (JSON.parse(body.toString("utf8")) as Record<string, unknown>) : {});
    if (sub === "requests" && req.method === "GET") return sendJson(res, 200, requestLog.entries);
    if (sub === "requests" && req.method === "DELETE") {
      requestLog.clear();
      return sendJson(res, 200, { ok: true });
    }
    if (sub === "status" && req.method === "GET") {
      return sendJson(res, 200, { version: settings.version, events: store.totalCount, indexes: indexes.names(), jobs: jobs.list().length, sessions: auth.sessionCount });
    }
    if (sub === "events" && req.method === "POST") {
      const d: SeedDefaults = { index: query.get("index") ?? undefined, sourcetype: query.get("sourcetype") ?? undefined, host: query.get("host") ?? undefined, source: query.get("source") ?? undefined };
      return sendJson(res, 200, { added: emulator.seed(body.toString("utf8"), d) });
    }
    if (sub === "faults" && req.method === "POST") {
      const o = json();
      const fault = String(o.fault ?? "");
      const opts = o as unknown as PathFault & { delayMs: number; afterBytes?: number; position?: number };
      switch (fault) {
        case "expireSessions": faults.expireSessions(); break;
        case "unauthorized": faults.unauthorized(opts); break;
        case "hecBusy": faults.hecBusy(opts); break;
        case "tooManySearches": faults.tooManySearches(opts); break;
        case "slow": faults.slow(opts); break;
        case "drop": faults.drop(opts); break;
        case "malformedRows": faults.malformedRows(opts); break;
        case "jobNotFound": faults.jobNotFound(opts as PathFault & { drop?: boolean; read?: "status" | "results"; skip?: number }); break;
        case "partialJob": faults.partialJob(opts as PathFault & { finalized?: boolean; message?: string; messageType?: "WARN" | "ERROR" | "INFO" }); break;
        case "clear": faults.clear(); break;
        default: return sendJson(res, 400, { error: `unknown fault '${fault}'` });
      }
      return sendJson(res, 200, { ok: true, fault });
    }
    if (sub === "settings" && req.method === "POST") {
      const o = json();
      for (const k of Object.keys(o)) if (k in settings) (settings as unknown as Record<string, unknown>)[k] = o[k];
      return sendJson(res, 200, settings);
    }
    sendJson(res, 404, { error: "unknown admin route" });
  }

  async function route(listener: Listener, req: IncomingMessage, res: ServerResponse, entry: RequestLogEntry, url: URL, body: Buffer): Promise<void> {
    const method = req.method ?? "GET";
    const split = splitPath(url.pathname);
    const rest = split?.rest;
    const hecHere = rest !== undefined && Hec.handles(rest) && (listener === "hec" || hecShared);
    if (hecHere || listener === "hec") {
      if (!hecHere) return send(res, 404, JSON_TYPE, JSON.stringify({ text: "The requested URL was not found on this server.", code: 404 }));
      let decoded: Buffer | undefined = body;
      if (/gzip/i.test(String(req.headers["content-encoding"] ?? ""))) {
        try {
          decoded = gunzipSync(body);
        } catch {
          decoded = undefined;
        }
      }
      return hec.handle(req, res, rest, url.searchParams, decoded, decoded !== undefined && decoded !== body ? body : undefined);
    }
    const query = toParams(url.searchParams);
    let params: Params = query;
    if (/application\/x-www-form-urlencoded/i.test(String(req.headers["content-type"] ?? "")) && body.length > 0) {
      const form = toParams(new URLSearchParams(body.toString("utf8")));
      entry.form = form;
      params = { ...query, ...form };
    }
    const outputMode = param(params, "output_mode");
    if (split === undefined) return sendMessages(res, 404, outputMode, [{ type: "ERROR", text: "Not Found" }]);
    const c: RestContext = {
      req, res, method, rest: split.rest, ns: split.ns, params, body, outputMode, user: "", baseUrl: baseUrl(),
      feedCtx: feedCtx(), paths: [url.pathname, `/services/${split.rest}`], emu: core,
    };
    if (split.rest === "auth/login") {
      if (method !== "POST") return sendMessages(res, 405, outputMode, [{ type: "ERROR", text: `Method ${method} not allowed.` }]);
      return login(c);
    }
    const a = auth.authenticate(req.headers);
    entry.authScheme = a.scheme;
    if (!a.ok) {
      if (a.reason === "basic") return sendMessages(res, 401, outputMode, [{ type: "ERROR", text: "Unauthorized" }]);
      return sendMessages(res, 401, outputMode, [{ type: "WARN", text: "call not properly authenticated" }]);
    }
    if (faults.takeUnauthorized(c.paths)) return sendMessages(res, 401, outputMode, [{ type: "WARN", text: "call not properly authenticated" }]);
    c.user = a.user;
    entry.user = a.user;
    if (split.rest === "server/info" || split.rest === "server/info/server-info") return serverInfo(c);
    if (split.rest === "authentication/current-context") {
      return sendFeed(res, 200, outputMode, "current-context", feed(c.feedCtx, "/services/authentication/current-context", [{
        name: a.user, id: `${c.baseUrl}/services/authentication/current-context/${a.user}`, updated: isoNow(now()), links: {}, author: "system",
        acl: { app: "", owner: "system", sharing: "system" }, content: { username: a.user, roles: ["admin"], "eai:acl": null },
      }]));
    }
    if (split.rest === "receivers/simple") {
      if (method !== "POST") return sendMessages(res, 405, outputMode, [{ type: "ERROR", text: `Method ${method} not allowed.` }]);
      return receiversSimple(c);
    }
    if (handleKvStore(c, kv)) return;
    if (await handleSearch(c)) return;
    if (handleIndexes(c)) return;
    sendMessages(res, 404, outputMode, [{ type: "ERROR", text: "Not Found" }]);
  }

  async function handle(listener: Listener, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = now();
    const url = new URL(req.url ?? "/", "http://emulator");
    const isAdmin = listener === "management" && options.adminRoutes !== false && url.pathname.startsWith("/__emulator/");
    const split = splitPath(url.pathname);
    const paths = split ? [url.pathname, `/services/${split.rest}`] : [url.pathname];
    const entry: RequestLogEntry = {
      time: started, listener, method: req.method ?? "GET", path: url.pathname, query: toParams(url.searchParams),
      status: 0, durationMs: 0, bodyBytes: 0,
    };
    if (!isAdmin) {
      res.on("close", () => {
        entry.status = res.headersSent ? res.statusCode : 0;
        entry.durationMs = now() - started;
        if (!res.writableFinished) entry.dropped = true;
        requestLog.add(entry);
      });
      const drop = faults.takeDrop(paths);
      if (drop === null) {
        req.socket.destroy();
        return;
      }
      if (typeof drop === "number") cutAfter(res, drop);
      const slow = faults.takeSlow(paths);
      if (slow !== undefined) await new Promise((r) => setTimeout(r, slow));
    }
    let body: Buffer;
    try {
      body = await readBody(req, 256 * 1024 * 1024);
    } catch {
      if (!res.headersSent) sendJson(res, 413, { messages: [{ type: "ERROR", text: "Request body too large" }] });
      return;
    }
    entry.bodyBytes = body.length;
    try {
      if (isAdmin) await admin(req, res, url.pathname, url.searchParams, body);
      else await route(listener, req, res, entry, url, body);
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      if (!res.headersSent) sendMessages(res, 500, "json", [{ type: "ERROR", text: `Internal error: ${text}` }]);
      else res.destroy();
    }
  }

  /** Destroys the connection once `limit` body bytes have been written (the drop fault's afterBytes). */
  function cutAfter(res: ServerResponse, limit: number): void {
    let written = 0;
    const origWrite = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
    const origEnd = res.end.bind(res) as (chunk?: unknown, ...rest: unknown[]) => ServerResponse;
    const take = (chunk: unknown): unknown => {
      if (chunk === undefined || chunk === null || typeof chunk === "function") return undefined;
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      const room = limit - written;
      written += buf.length;
      return buf.length > room ? buf.subarray(0, Math.max(0, room)) : buf;
    };
    const cut = () => {
      // Let the partial bytes reach the socket, then kill it.
      setTimeout(() => res.socket?.destroy(), 20);
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      const part = take(chunk);
      if (written >= limit) {
        if (part !== undefined && (part as Buffer).length > 0) origWrite(part);
        cut();
        return true;
      }
      return origWrite(part ?? chunk, ...rest);
    }) as ServerResponse["write"];
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      const part = take(chunk);
      if (written >= limit) {
        if (!res.headersSent) res.removeHeader("Content-Length");
        if (part !== undefined && (part as Buffer).length > 0) origWrite(part);
        cut();
        return res;
      }
      return origEnd(part ?? chunk, ...rest);
    }) as ServerResponse["end"];
  }

  function makeServer(listener: Listener, tls: TlsMaterial | undefined): Server {
    const handler = (req: IncomingMessage, res: ServerResponse) => void handle(listener, req, res);
    const s = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
    s.keepAliveTimeout = 5000;
    s.on("connection", (sock: Socket) => {
      sockets.add(sock);
      sock.on("close", () => sockets.delete(sock));
    });
    s.on("clientError", (_err, sock: Socket) => sock.destroy());
    return s;
  }

  function listen(s: Server, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, host, () => {
        s.off("error", reject);
        resolve((s.address() as AddressInfo).port);
      });
    });
  }

  function close(s: Server | undefined): Promise<void> {
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }

  let startedAt = now();
  const emulator: Emulator = {
    ...core,
    requestLog,
    hec,
    get url() {
      if (!mgmt) throw new Error("emulator not started");
      return baseUrl();
    },
    get hecUrl() {
      if (!mgmt) throw new Error("emulator not started");
      if (hecShared) return baseUrl();
      return `${hecTls ? "https" : "http"}://${host}:${hecPortNo}`;
    },
    get managementPort() {
      return mgmtPort;
    },
    get hecPort() {
      return hecShared ? mgmtPort : hecPortNo;
    },
    async start() {
      if (mgmt) return;
      startedAt = now();
      const m = makeServer("management", options.tls);
      mgmtPort = await listen(m, options.port ?? 0);
      mgmt = m;
      if (!hecShared) {
        const h = makeServer("hec", hecTls);
        hecPortNo = await listen(h, typeof options.hecPort === "number" ? options.hecPort : 0);
        hecServer = h;
      }
    },
    async stop() {
      jobs.cancelAll();
      const servers = [mgmt, hecServer];
      mgmt = undefined;
      hecServer = undefined;
      const closing = Promise.all(servers.map(close));
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closing;
    },
    seed(text, defaults) {
      const events = parseSeed(text, defaults, now() / 1000);
      for (const e of events) store.append(e);
      return events.length;
    },
    generate(spec) {
      const id = store.addGenerator(spec);
      return id;
    },
  };
  return emulator;
}
