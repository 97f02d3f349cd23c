/**
 * A typed, promise-based wrapper around `splunk-sdk@2.0.2` with TLS verified by default.
 *
 * The SDK is loaded lazily (`loadSdk`), never at import time, because loading it has side effects
 * (ADR 0010): it loads `./.env` into `process.env` (dotenv), rewrites
 * `process.env.LOG_LEVEL`, and prints `[SPLUNKD] ...` lines to the console for every message in a reply.
 * `loadSdk` snapshots `process.env` around the require and restores it exactly, and replaces the SDK's
 * logger functions (its `setLevel` would write `LOG_LEVEL` again) with a hook that drops the lines unless
 * one is set.
 *
 * `SplunkClient` owns one SDK `Service` (one session) on our own HTTP client (`sdk-http.ts` over
 * `http/transport.ts`). Every method
 * rejects with a `SplunkError` carrying Splunk's message text, the status and a kind (auth, retryable,
 * permanent). With username and password the SDK logs in again once when a session key expires (401).
 */
import { createRequire } from "node:module";
import { Transport } from "../http/transport.ts";
import { toSplunkError, type ErrorContext, SplunkError } from "./errors.ts";
import { createSdkHttp } from "./sdk-http.ts";
import type { SdkJob, SdkJobProperties, SdkModule, SdkResultsJson, SdkService } from "./types.ts";

let loaded: SdkModule | undefined;
let sdkLogHook: ((level: string, text: string) => void) | undefined;

/** Where the SDK's own log lines go (`[SPLUNKD] ...`); default: dropped. */
export function setSdkLogHook(hook: ((level: string, text: string) => void) | undefined): void {
  sdkLogHook = hook;
}

/** Loads `splunk-sdk` once, leaving `process.env` exactly as it was and the SDK's console output off. */
export function loadSdk(): SdkModule {
  if (loaded) return loaded;
  const saved = { ...process.env };
  let sdk: SdkModule;
  try {
    sdk = createRequire(import.meta.url)("splunk-sdk") as SdkModule;
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    for (const [k, v] of Object.entries(saved)) if (process.env[k] !== v) process.env[k] = v;
  }
  const forward = (level: string) => (...args: unknown[]) => sdkLogHook?.(level, args.map(String).join(" "));
  const logger = sdk.Logger;
  logger.log = forward("debug");
  logger.info = forward("info");
  logger.warn = forward("warn");
  logger.error = forward("error");
  logger.printMessages = (messages = []) => {
    for (const m of messages) sdkLogHook?.(String(m.type ?? "INFO").toLowerCase(), `[SPLUNKD] ${m.text ?? ""}`);
  };
  logger.setLevel = () => {
    /* would write process.env.LOG_LEVEL; the hook decides what to keep */
  };
  loaded = sdk;
  return sdk;
}

export type SplunkAuth = { kind: "password"; username: string; password: string } | { kind: "token"; token: string };

export interface SplunkConnectionOptions {
  /** Management port URL, e.g. https://splunk.example.com:8089. */
  url: string;
  auth: SplunkAuth;
  caFile?: string;
  /** Default true. False is logged once per origin by the transport (`tls_verification_off`). */
  verifyTls?: boolean;
  /** Idle timeout per HTTP request, ms. */
  timeoutMs: number;
  /** App context for searches (`/servicesNS/-/<app>/...`); undefined uses `/services/`. */
  app?: string;
  /** Version to assume before server/info is read (token auth reads it in `connect`). */
  version?: string;
}

/** A search job. */
export interface JobHandle {
  readonly sid: string;
  /** @internal */
  readonly job: SdkJob;
}

export interface JobStatus {
  sid: string;
  state: string;
  done: boolean;
  failed: boolean;
  eventCount: number;
  resultCount: number;
  /** Splunk's messages on the job (failure reasons), as `TYPE: text`. */
  messages: string[];
  /** The same messages with their type (`WARN`, `ERROR`, `INFO`...) apart. */
  jobMessages?: { type: string; text: string }[];
  /** `isFinalized`: the job was stopped before it finished (its results are partial). */
  finalized?: boolean;
}

export interface WaitOptions {
  /** Poll period at first, ms (default 250); it grows by half each poll up to `maxPollMs`. */
  pollMs?: number;
  /** Largest poll period, ms (default 2000). */
  maxPollMs?: number;
  /** Give up after this long, ms (default 600 000). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const sleepDefault = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function numberOf(v: unknown): number {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
}

export class SplunkClient {
  /** The scheme://host:port Splunk is reached at. */
  readonly url: string;
  readonly service: SdkService;
  private readonly transport: Transport;
  private readonly options: SplunkConnectionOptions;
  private connecting: Promise<string> | undefined;

  /** Builds the client; no request is sent. Throws when `caFile` cannot be read or the URL is not http(s). */
  constructor(options: SplunkConnectionOptions) {
    const u = new URL(options.url);
    if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error(`splunk.url must start with https:// or http://, got ${options.url}`);
    this.url = `${u.protocol}//${u.host}`;
    this.options = options;
    this.transport = new Transport({
      caFile: options.caFile,
      caFileKey: "splunk.ca_file",
      verifyTls: options.verifyTls,
      verifyTlsKey: "splunk.verify_tls",
      idleTimeoutMs: options.timeoutMs,
      maxSockets: 4,
      // A results page is as large as page_size makes it; its size is bounded there.
      maxReplyBytes: Infinity,
    });
    const sdk = loadSdk();
    const port = u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
    const auth = options.auth;
    this.service = new sdk.Service(createSdkHttp(sdk, this.transport), {
      scheme: u.protocol === "https:" ? "https" : "http",
      host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
      port,
      app: options.app,
      version: options.version,
      ...(auth.kind === "password"
        ? { username: auth.username, password: auth.password, autologin: true }
        : { sessionKey: auth.token, authorization: "Bearer" as const, autologin: false }),
    });
  }

  private ctx(action: string): ErrorContext {
    return { url: this.url, caFile: this.options.caFile, action };
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toSplunkError(e, this.ctx(action));
    }
  }

  /**
   * Logs in (password) or checks the token, and reads the version from server/info (which decides the v1 or
   * v2 search endpoints). Resolves with the version. Concurrent callers share one attempt; after a failure
   * the next call tries again.
   */
  connect(): Promise<string> {
    this.connecting ??= (async () => {
      const svc = this.service;
      if (this.options.auth.kind === "password") await this.call("log in", () => svc.login());
      else await this.call("read server/info with the token", () => svc.getInfo());
      return svc.version;
    })();
    const p = this.connecting;
    p.catch(() => {
      if (this.connecting === p) this.connecting = undefined;
    });
    return p;
  }

  /** The version server/info reported (after `connect`). */
  get version(): string {
    return this.service.version;
  }

  /** Creates a normal search job (returns at once). `params` are Splunk's job parameters. */
  async createJob(query: string, params: Record<string, string | number>): Promise<JobHandle> {
    await this.connect();
    const job = await this.call("create the search job", () => this.service.search(query, { ...params, exec_mode: "normal" }));
    return { sid: job.sid, job };
  }

  async jobStatus(handle: JobHandle): Promise<JobStatus> {
    const job = await this.call(`read search job ${handle.sid}`, () => handle.job.fetch());
    const p: SdkJobProperties = job.properties() ?? {};
    return {
      sid: handle.sid,
      state: String(p.dispatchState ?? "UNKNOWN"),
      done: p.dispatchState === "DONE" && p.isDone === true,
      failed: p.dispatchState === "FAILED" || p.isFailed === true || p.isZombie === true,
      eventCount: numberOf(p.eventCount),
      resultCount: numberOf(p.resultCount),
      messages: (p.messages ?? []).map((m) => `${m.type ?? "INFO"}: ${m.text ?? ""}`),
      jobMessages: (p.messages ?? []).map((m) => ({ type: String(m.type ?? "INFO").toUpperCase(), text: String(m.text ?? "") })),
      finalized: p.isFinalized === true || String(p.isFinalized) === "1" || String(p.isFinalized) === "true",
    };
  }

  /**
   * Polls the job until it is done. Rejects with a permanent SplunkError when it fails or does not finish
   * within `timeoutMs` (the SDK's own `track()` polls forever on inconsistent states and swallows errors);
   * a failed poll rejects with that poll's error.
   */
  async waitForJob(handle: JobHandle, opts: WaitOptions = {}): Promise<JobStatus> {
    const sleep = opts.sleep ?? sleepDefault;
    const maxPoll = opts.maxPollMs ?? 2000;
    const timeoutMs = opts.timeoutMs ?? 600_000;
    const started = Date.now();
    let period = opts.pollMs ?? 250;
    for (;;) {
      const s = await this.jobStatus(handle);
      if (s.done) return s;
      if (s.failed) {
        throw new SplunkError(`Splunk at ${this.url}: search job ${handle.sid} failed (${s.state}): ${s.messages.join("; ") || "no message"}`, "permanent", 200, s.messages[0]);
      }
      if (Date.now() - started > timeoutMs) {
        // Permanent for this run: waiting again inside the run would only double the wait; the next run retries.
        throw new SplunkError(`Splunk at ${this.url}: search job ${handle.sid} was not done after ${timeoutMs} ms (state ${s.state})`, "permanent", "abort");
      }
      await sleep(period);
      period = Math.min(maxPoll, Math.ceil(period * 1.5));
    }
  }

  /**
   * One page of a done job's results in `output_mode=json`. `fields` (the `f` parameter) limits each row to
   * those fields, leaving out the ones Splunk adds to every row (`_bkt`, `_si`, `_serial`, ...).
   */
  async results(handle: JobHandle, offset: number, count: number, fields?: readonly string[]): Promise<SdkResultsJson> {
    const params: Record<string, string | number | string[]> = { output_mode: "json", offset, count };
    if (fields !== undefined && fields.length > 0) params.f = [...fields];
    const [data] = await this.call(`read results of search job ${handle.sid} at offset ${offset}`, () => handle.job.results(params));
    if (data === null || typeof data !== "object") {
      throw new SplunkError(`Splunk at ${this.url}: results of search job ${handle.sid} at offset ${offset} were not JSON`, "permanent", 200);
    }
    return data;
  }

  /** Deletes the job (DELETE search/jobs/{sid}); a job already gone (404) counts as removed. */
  async removeJob(handle: JobHandle): Promise<void> {
    try {
      await this.call(`remove search job ${handle.sid}`, () => handle.job.remove());
    } catch (e) {
      if (e instanceof SplunkError && e.status === 404) return;
      throw e;
    }
  }

  /**
   * Creates an event index through the SDK (`hec.create_index`, for single-instance and development setups):
   * "created" on 201, "exists" on 409.
   */
  async createIndex(name: string): Promise<"created" | "exists"> {
    await this.connect();
    try {
      await this.call(`create index ${name}`, () => this.service.indexes().create(name, {}));
      return "created";
    } catch (e) {
      if (e instanceof SplunkError && e.status === 409) return "exists";
      throw e;
    }
  }

  /** Whether an index exists (`GET data/indexes/<name>`: 404 means no). */
  async indexExists(name: string): Promise<boolean> {
    await this.connect();
    try {
      await this.call(`read index ${name}`, () => this.service.get(`data/indexes/${encodeURIComponent(name)}`, {}));
      return true;
    } catch (e) {
      if (e instanceof SplunkError && e.status === 404) return false;
      throw e;
    }
  }

  /** GET server/info (after `connect`): Splunk's version and server name. */
  async serverInfo(): Promise<{ version: string; serverName: string }> {
    await this.connect();
    const r = await this.call("read server/info", () => this.service.get("/services/server/info", {}));
    const d = r.data as { generator?: { version?: string }; entry?: { content?: { version?: string; serverName?: string } }[] } | null;
    const content = d?.entry?.[0]?.content;
    return { version: String(content?.version ?? d?.generator?.version ?? this.service.version), serverName: String(content?.serverName ?? "") };
  }

  /** Closes kept-alive sockets. Idempotent. */
  close(): void {
    this.transport.close();
  }
}
