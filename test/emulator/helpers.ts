// Small HTTP helpers for the emulator tests (plain HTTP through fetch).

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** urlencoded form body */
  form?: Record<string, string | number>;
  body?: string | Uint8Array;
  auth?: string;
}

export async function call(url: string, o: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  let body: string | Uint8Array | undefined = o.body;
  if (o.form) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(Object.entries(o.form).map(([k, v]): [string, string] => [k, String(v)])).toString();
  }
  if (o.auth) headers.Authorization = o.auth;
  const r = await fetch(url, { method: o.method ?? (body !== undefined ? "POST" : "GET"), headers, body });
  const text = await r.text();
  return {
    status: r.status,
    headers: r.headers,
    text,
    json<T>() {
      return JSON.parse(text) as T;
    },
  };
}

/** Logs in and returns an `Authorization` header value. */
export async function login(base: string, username = "admin", password = "changeme"): Promise<string> {
  const r = await call(`${base}/services/auth/login?output_mode=json`, { form: { username, password } });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
  return `Splunk ${r.json<{ sessionKey: string }>().sessionKey}`;
}

export interface JsonRows {
  preview: boolean;
  init_offset: number;
  messages: unknown[];
  fields: string[];
  rows: (string | string[] | null)[][];
}

export interface JsonResults {
  preview: boolean;
  init_offset: number;
  messages: unknown[];
  fields: { name: string }[];
  results: Record<string, string | string[]>[];
  highlighted: Record<string, unknown>;
}

/** Runs a oneshot search and returns json results. */
export async function oneshot(base: string, auth: string, search: string, extra: Record<string, string | number> = {}): Promise<JsonResults> {
  const r = await call(`${base}/services/search/v2/jobs?output_mode=json`, { auth, form: { search, exec_mode: "oneshot", ...extra } });
  if (r.status !== 200) throw new Error(`oneshot failed: ${r.status} ${r.text}`);
  return r.json<JsonResults>();
}

/** Epoch seconds of a fixed instant used by tests that need a frozen clock. */
export const T0 = 1_800_000_000;
