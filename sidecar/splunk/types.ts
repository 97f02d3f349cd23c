/**
 * Declarations for the subset of `splunk-sdk@2.0.2` the sidecar uses (the package ships no typings; ADR 0010
 * and the SDK's lib/ sources). Only `sdk.ts` and `sdk-http.ts` touch these types; the rest of the sidecar sees
 * `SplunkClient` and `SplunkError`.
 *
 * Contracts read from the SDK source (lib/http.js, lib/context.js, lib/service.js):
 * - Every method returns a Promise (2.x removed callbacks).
 * - A reply with status >= 400 rejects with the `SdkResponse` object itself (not an Error); a network
 *   failure rejects with status 600; some methods reject with `[err, entity]` or with a plain string.
 */

/** What `Http._buildResponse` makes of one exchange; also what the SDK rejects with on status >= 400. */
export interface SdkResponse<T = unknown> {
  response: { headers: Record<string, string | string[] | undefined>; statusCode: number | "abort" };
  /** HTTP status; 600 for a network failure; "abort" when a `response_timeout` expired. */
  status: number | "abort";
  /** Parsed JSON when the reply's Content-Type is application/json, else the raw body text. */
  data: T;
  error: unknown;
}

/** What `Http.request` hands to `makeRequest`: the URL already carries the encoded query string. */
export interface SdkRequestMessage {
  method: "GET" | "POST" | "DELETE";
  headers: Record<string, string>;
  /** Context `timeout` (ms; 0 = none). */
  timeout?: number;
  /** Per-call deadline (ms): on expiry the SDK expects a rejection with status "abort". */
  response_timeout?: number;
  /** The query parameters (already in the URL); `output_mode` xml/csv means "do not parse". */
  query?: Record<string, unknown>;
  /** Form-encoded body ("" for GET and DELETE). */
  body: string;
}

/** `splunkjs.Http`: subclasses override `makeRequest` and `parseJson` only. */
export interface SdkHttp {
  /** The Splunk version the query builder keys on ("none" until a Context sets it). */
  version: string;
  makeRequest(url: string, message: SdkRequestMessage): Promise<SdkResponse>;
  parseJson(json: string): unknown;
  _buildResponse(error: unknown, response: SdkResponse["response"], data: unknown): SdkResponse;
}

/** John Resig's `Class.extend`: `init` is the constructor; a method calling `this._super` gets the parent's. */
export interface SdkHttpClass {
  new (): SdkHttp;
  extend(props: Partial<SdkHttp> & ThisType<SdkHttp>): SdkHttpClass;
}

export interface SdkServiceOptions {
  scheme: "http" | "https";
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** A session key, or a JWT auth token together with `authorization: "Bearer"`. */
  sessionKey?: string;
  authorization?: "Splunk" | "Bearer";
  owner?: string;
  app?: string;
  /** Splunk version; decides v1 vs v2 search paths until `login()`/`getInfo()` read the real one. */
  version?: string;
  autologin?: boolean;
  /** Connection timeout passed to `Http` (ms; 0 = none). */
  timeout?: number;
}

/** `Job.properties()`: `entry[0].content` of GET search/jobs/{sid} (Splunk REST API reference, search/jobs/{search_id}). */
export interface SdkJobProperties {
  sid?: string;
  dispatchState?: "QUEUED" | "PARSING" | "RUNNING" | "FINALIZING" | "DONE" | "FAILED" | "PAUSED";
  isDone?: boolean;
  isFailed?: boolean;
  isZombie?: boolean;
  /** The job was stopped early (finalized by a user, a quota or `max_time`): its results are partial. */
  isFinalized?: boolean;
  eventCount?: number;
  resultCount?: number;
  scanCount?: number;
  runDuration?: number;
  messages?: { type?: string; text?: string }[];
  [key: string]: unknown;
}

/** `output_mode=json` results page (Splunk REST API reference, search/jobs/{search_id}/results): every value a string, multivalue fields arrays. */
export interface SdkResultsJson {
  preview?: boolean;
  init_offset?: number;
  messages?: { type?: string; text?: string }[];
  fields?: ({ name: string } | string)[];
  results?: Record<string, string | string[] | null>[];
}

export interface SdkJob {
  sid: string;
  fetch(): Promise<SdkJob>;
  properties(): SdkJobProperties;
  /** v2: POST .../results, v1: GET; resolves `[data, job]`. */
  /** An array value is sent as the parameter repeated (`f=a&f=b`). */
  results(params: Record<string, string | number | string[]>): Promise<[SdkResultsJson, SdkJob]>;
  /** DELETE search/jobs/{sid}. */
  remove(): Promise<SdkResponse>;
  cancel(): Promise<SdkResponse>;
}

export interface SdkJobs {
  create(query: string, params: Record<string, string | number>): Promise<SdkJob>;
  fetch(): Promise<SdkJobs>;
  list(): SdkJob[];
}

export interface SdkIndex {
  name: string;
  properties(): Record<string, unknown>;
}

export interface SdkIndexes {
  fetch(): Promise<SdkIndexes>;
  list(): SdkIndex[];
  item(name: string): SdkIndex | null;
  create(name: string, params: Record<string, string | number>): Promise<SdkIndex>;
}

export interface SdkService {
  /** "default" until login()/getInfo() read server/info. */
  version: string;
  instanceType: string;
  sessionKey: string | null;
  http: SdkHttp;
  /** POST auth/login then GET server/info; resolves true. */
  login(): Promise<boolean>;
  /** GET server/info with the current credentials; sets `version` (and the v1/v2 path choice). */
  getInfo(): Promise<boolean>;
  /** Relative paths are namespaced by the service's app/owner; absolute ones are used as they are. */
  get(path: string, params: Record<string, string | number>): Promise<SdkResponse>;
  /** Creates a normal or blocking job (no fetch). */
  search(query: string, params: Record<string, string | number>): Promise<SdkJob>;
  getJob(sid: string): Promise<SdkJob>;
  jobs(): SdkJobs;
  indexes(): SdkIndexes;
  /** Always pass every argument positionally (the SDK shuffles arguments when some are omitted, lib/service.js). */
  oneshotSearch(query: string, params: Record<string, string | number>, namespace: null, responseTimeout: number): Promise<unknown>;
  disableV2SearchApi(): boolean;
}

export interface SdkLogger {
  log(...args: unknown[]): void;
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  info(...args: unknown[]): void;
  printMessages(messages?: { type?: string; text?: string }[]): void;
  /** Do not call: it writes `process.env.LOG_LEVEL`. */
  setLevel(level: string | number): void;
}

/** The module object `require("splunk-sdk")` returns. */
export interface SdkModule {
  Service: new (http: SdkHttp, options: SdkServiceOptions) => SdkService;
  Http: SdkHttpClass;
  Logger: SdkLogger;
}
