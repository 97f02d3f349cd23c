// What a REST handler gets: the request, its parsed parameters, and the emulator's parts.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Auth } from "../auth.ts";
import type { Faults } from "../faults.ts";
import type { Indexes } from "../indexes.ts";
import type { Jobs } from "../search/jobs.ts";
import type { EventStore } from "../store/store.ts";
import type { KvStore } from "../kvstore.ts";
import type { MacroTable } from "../spl/macros.ts";
import type { FeedContext, Params } from "./format.ts";

/** Settings that may be changed while the emulator runs (`emu.settings.version = "8.2.6"`). */
export interface Settings {
  /** Reported by server/info `generator.version`; the SDK picks v1 or v2 search paths from it. */
  version: string;
  build: string;
  /** `generator.instance_type` (e.g. "cloud"); omitted when undefined. */
  instanceType: string | undefined;
  serverName: string;
  /** Minimum time from job creation to DONE (ms). */
  jobDelayMs: number;
  /** Job TTL after completion (s). */
  jobTtlSeconds: number;
  /** Default `max_count` of a job (results kept). */
  maxCount: number;
  /** Cap on `count` per results request (limits.conf maxresultrows). */
  maxResultRows: number;
  /** Events scanned between yields to the event loop. */
  scanBudget: number;
  /** Indexes searched when a query names none. */
  defaultIndexes: string[];
}

export interface EmulatorCore {
  settings: Settings;
  store: EventStore;
  indexes: Indexes;
  jobs: Jobs;
  faults: Faults;
  auth: Auth;
  now: () => number;
  /** KV store collections and lookup definitions (`inputlookup`, `outputlookup`, storage/collections). */
  kv: KvStore;
  /** Search macros expanded before a search is parsed (an app's macros.conf). */
  macros: MacroTable;
}

export interface RestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path after `/services/` or `/servicesNS/<owner>/<app>/`, without a trailing slash, still %-encoded. */
  rest: string;
  ns: { owner: string; app: string } | undefined;
  /** Query and form parameters merged (form wins). */
  params: Params;
  body: Buffer;
  outputMode: string | undefined;
  user: string;
  baseUrl: string;
  feedCtx: FeedContext;
  /** The raw path and its `/services/<rest>` form, for fault matching. */
  paths: string[];
  emu: EmulatorCore;
}
