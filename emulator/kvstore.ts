// KV store collections: the `storage/collections/{config,data}` REST endpoints and what `inputlookup` and
// `outputlookup` read and write through a lookup definition (transforms.conf `external_type = kvstore`).
// Records live in memory, per collection, in insertion order, keyed by `_key`.

import { randomBytes } from "node:crypto";
import type { RestContext } from "./rest/context.ts";
import { JSON_TYPE, send, sendMessages } from "./rest/format.ts";

export type KvRecord = Record<string, unknown> & { _key: string };

export class KvStore {
  private readonly collections = new Map<string, Map<string, KvRecord>>();
  /** Lookup definition name -> collection name (transforms.conf). */
  readonly lookups = new Map<string, string>();

  define(name: string): void {
    if (!this.collections.has(name)) this.collections.set(name, new Map());
  }

  has(name: string): boolean {
    return this.collections.has(name);
  }

  names(): string[] {
    return [...this.collections.keys()];
  }

  private coll(name: string): Map<string, KvRecord> {
    const c = this.collections.get(name);
    if (!c) throw new KvError(404, `Collection '${name}' does not exist`);
    return c;
  }

  list(name: string): KvRecord[] {
    return [...this.coll(name).values()].map((r) => ({ ...r }));
  }

  get(name: string, key: string): KvRecord | undefined {
    const r = this.coll(name).get(key);
    return r && { ...r };
  }

  /** Inserts; a record whose `_key` exists is refused (409), as splunkd does for POST data/<collection>. */
  insert(name: string, rec: Record<string, unknown>, user = "nobody"): string {
    const c = this.coll(name);
    const key = typeof rec._key === "string" && rec._key !== "" ? rec._key : randomBytes(12).toString("hex");
    if (c.has(key)) throw new KvError(409, "A document with the same key and user already exists.");
    c.set(key, { ...rec, _key: key, _user: user });
    return key;
  }

  /** Replaces the record with `key` or inserts it (the last write wins). */
  upsert(name: string, key: string, rec: Record<string, unknown>, user = "nobody"): string {
    const c = this.coll(name);
    c.delete(key); // a replaced record moves to the end, as the newest
    c.set(key, { ...rec, _key: key, _user: user });
    return key;
  }

  remove(name: string, key?: string): boolean {
    const c = this.coll(name);
    if (key === undefined) {
      c.clear();
      return true;
    }
    return c.delete(key);
  }

  /** The collection behind a lookup definition name (or a collection named directly). */
  collectionOf(lookup: string): string {
    const c = this.lookups.get(lookup) ?? (this.collections.has(lookup) ? lookup : undefined);
    if (c === undefined) throw new KvError(400, `The lookup table '${lookup}' requires a .csv or KV store lookup definition.`);
    return c;
  }
}

export class KvError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function jsonBody(c: RestContext): unknown {
  const text = c.body.toString("utf8");
  if (text.trim() === "") return {};
  return JSON.parse(text);
}

/** Handles `storage/collections/...`; false when the path is not one of them. */
export function handleKvStore(c: RestContext, kv: KvStore): boolean {
  const m = /^storage\/collections\/(config|data)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(c.rest);
  if (!m) return false;
  const [, kind, rawName, rawKey] = m;
  const name = rawName === undefined ? undefined : decodeURIComponent(rawName);
  const key = rawKey === undefined ? undefined : decodeURIComponent(rawKey);
  const json = (status: number, v: unknown): void => send(c.res, status, JSON_TYPE, JSON.stringify(v));
  try {
    if (kind === "config") {
      if (c.method === "POST" && name === undefined) {
        const n = String((c.params.name as string | string[] | undefined) ?? "");
        if (!n) return sendMessages(c.res, 400, c.outputMode, [{ type: "ERROR", text: "name is required" }]), true;
        kv.define(n);
        json(201, { entry: [{ name: n }] });
        return true;
      }
      const names = name === undefined ? kv.names() : kv.has(name) ? [name] : [];
      if (name !== undefined && names.length === 0) throw new KvError(404, `Collection '${name}' does not exist`);
      json(200, { entry: names.map((n) => ({ name: n, acl: { app: c.ns?.app ?? "search", sharing: "app" }, content: {} })) });
      return true;
    }
    if (name === undefined) throw new KvError(400, "A collection name is required");
    if (key === "batch_save") {
      if (c.method !== "POST") throw new KvError(405, `Method ${c.method} not allowed.`);
      const body = jsonBody(c);
      if (!Array.isArray(body)) throw new KvError(400, "batch_save needs a JSON array");
      const keys = body.map((r: Record<string, unknown>) => (typeof r._key === "string" && r._key ? kv.upsert(name, r._key, r, c.user) : kv.insert(name, r, c.user)));
      json(200, keys);
      return true;
    }
    switch (c.method) {
      case "GET": {
        if (key !== undefined) {
          const r = kv.get(name, key);
          if (!r) throw new KvError(404, `Could not find object id=${key}`);
          json(200, r);
          return true;
        }
        let rows = kv.list(name);
        const q = c.params.query;
        if (typeof q === "string" && q.trim() !== "") {
          const cond = JSON.parse(q) as Record<string, unknown>;
          rows = rows.filter((r) => Object.entries(cond).every(([k, v]) => r[k] === v));
        }
        json(200, rows);
        return true;
      }
      case "POST": {
        const body = jsonBody(c) as Record<string, unknown>;
        if (body === null || typeof body !== "object" || Array.isArray(body)) throw new KvError(400, "The body must be a JSON object");
        if (key !== undefined) {
          if (!kv.get(name, key)) throw new KvError(404, `Could not find object id=${key}`);
          json(200, { _key: kv.upsert(name, key, body, c.user) });
        } else json(201, { _key: kv.insert(name, body, c.user) });
        return true;
      }
      case "DELETE":
        if (key !== undefined && !kv.remove(name, key)) throw new KvError(404, `Could not find object id=${key}`);
        if (key === undefined) kv.remove(name);
        send(c.res, 200, JSON_TYPE, "");
        return true;
      default:
        throw new KvError(405, `Method ${c.method} not allowed.`);
    }
  } catch (e) {
    if (e instanceof KvError) sendMessages(c.res, e.status, "json", [{ type: "ERROR", text: e.message }]);
    else if (e instanceof SyntaxError) sendMessages(c.res, 400, "json", [{ type: "ERROR", text: `Malformed JSON: ${e.message}` }]);
    else throw e;
    return true;
  }
}
