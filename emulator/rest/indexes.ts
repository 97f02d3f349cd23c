// data/indexes: list, get, create (201 / 409), update, delete, enable/disable (research §5).

import { validIndexName, type IndexMeta } from "../indexes.ts";
import { formatIsoTime } from "../spl/time.ts";
import type { RestContext } from "./context.ts";
import { feed, isoNow, param, sendFeed, sendMessages, type Entry } from "./format.ts";

/** Arguments data/indexes accepts on create/update; anything else is a 400 like splunkd's. */
const INDEX_ARGS = new Set([
  "name", "datatype", "homePath", "coldPath", "thawedPath", "tstatsHomePath", "summaryHomePath", "maxTotalDataSizeMB",
  "frozenTimePeriodInSecs", "maxDataSize", "maxHotBuckets", "maxWarmDBCount", "maxHotSpanSecs", "maxHotIdleSecs",
  "repFactor", "assureUTF8", "enableDataIntegrityControl", "enableOnlineBucketRepair", "syncMeta", "maxMetaEntries",
  "coldToFrozenDir", "coldToFrozenScript", "rawChunkSizeBytes", "minRawFileSyncSecs", "serviceMetaPeriod",
  "bucketRebuildMemoryHint", "maxConcurrentOptimizes", "maxTimeUnreplicatedNoAcks", "maxTimeUnreplicatedWithAcks",
  "partialServiceMetaPeriod", "quarantineFutureSecs", "quarantinePastSecs", "throttleCheckPeriod", "output_mode",
]);

function entry(c: RestContext, m: IndexMeta): Entry {
  const app = m.system ? "system" : "search";
  const p = `/servicesNS/nobody/${app}/data/indexes/${encodeURIComponent(m.name)}`;
  const s = c.emu.store.indexStats(m.name);
  const links: Record<string, string> = { alternate: p, list: p, edit: p, remove: p };
  links[m.disabled ? "enable" : "disable"] = `${p}/${m.disabled ? "enable" : "disable"}`;
  return {
    name: m.name,
    id: `${c.baseUrl}${p}`,
    updated: isoNow(c.emu.now()),
    links,
    author: "nobody",
    acl: {
      app, owner: "nobody", sharing: m.system ? "system" : "global", can_list: true, can_write: true,
      modifiable: true, removable: !m.system, perms: { read: ["*"], write: ["admin"] },
    },
    content: {
      datatype: m.datatype,
      disabled: m.disabled,
      homePath: m.params.homePath ?? `$SPLUNK_DB/${m.name}/db`,
      coldPath: m.params.coldPath ?? `$SPLUNK_DB/${m.name}/colddb`,
      thawedPath: m.params.thawedPath ?? `$SPLUNK_DB/${m.name}/thaweddb`,
      maxTotalDataSizeMB: Number(m.params.maxTotalDataSizeMB ?? 500000),
      frozenTimePeriodInSecs: Number(m.params.frozenTimePeriodInSecs ?? 188697600),
      currentDBSizeMB: String(Math.ceil(s.count / 5000)),
      totalEventCount: s.count,
      isInternal: m.internal,
      isReady: true,
      minTime: s.minTime === undefined ? "" : formatIsoTime(s.minTime).replace(".000+00:00", "+0000"),
      maxTime: s.maxTime === undefined ? "" : formatIsoTime(s.maxTime).replace(".000+00:00", "+0000"),
      "eai:acl": null,
    },
    fields: { required: [], optional: [...INDEX_ARGS].filter((a) => a !== "name" && a !== "output_mode"), wildcard: [] },
  };
}

function unsupported(c: RestContext): string | undefined {
  for (const k of Object.keys(c.params)) if (!INDEX_ARGS.has(k)) return k;
  return undefined;
}

function notFound(c: RestContext, name: string): void {
  sendMessages(c.res, 404, c.outputMode, [{ type: "ERROR", text: `In handler 'indexes': Could not find object id=${name}` }]);
}

/** Routes `data/indexes[/{name}[/enable|disable]]`; false when not an index path. */
export function handleIndexes(c: RestContext): boolean {
  const m = /^data\/indexes(?:\/([^/]+)(?:\/(enable|disable))?)?$/.exec(c.rest);
  if (!m) return false;
  const name = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
  const idx = c.emu.indexes;
  const out = (status: number, list: IndexMeta[], paging?: { total: number; perPage: number; offset: number }) =>
    sendFeed(c.res, status, c.outputMode, "indexes", feed(c.feedCtx, "/services/data/indexes", list.map((x) => entry(c, x)), paging));

  if (name === undefined) {
    if (c.method === "GET") {
      const datatype = param(c.params, "datatype") ?? "event";
      const search = param(c.params, "search");
      let list = idx.list().filter((x) => datatype === "all" || x.datatype === datatype);
      if (search) {
        const term = search.replace(/^name=/, "");
        list = list.filter((x) => x.name.includes(term));
      }
      const count = Number(param(c.params, "count") ?? 30);
      const offset = Math.max(0, Number(param(c.params, "offset") ?? 0));
      const page = list.slice(offset, count > 0 ? offset + count : undefined);
      out(200, page, { total: list.length, perPage: count, offset });
      return true;
    }
    if (c.method === "POST") {
      const n = param(c.params, "name");
      if (!n) {
        sendMessages(c.res, 400, c.outputMode, [{ type: "ERROR", text: "In handler 'indexes': Missing argument: name" }]);
        return true;
      }
      const bad = unsupported(c);
      if (bad) {
        sendMessages(c.res, 400, c.outputMode, [{ type: "ERROR", text: `In handler 'indexes': Argument "${bad}" is not supported by this handler.` }]);
        return true;
      }
      if (idx.has(n)) {
        sendMessages(c.res, 409, c.outputMode, [{ type: "ERROR", text: `In handler 'indexes': Index name=${n} already exists` }]);
        return true;
      }
      if (!validIndexName(n)) {
        sendMessages(c.res, 400, c.outputMode, [{
          type: "ERROR",
          text: `In handler 'indexes': Invalid index name=${n}: index names may contain only lowercase letters, numbers, underscores, or hyphens, must begin with a lowercase letter or number, and must not contain "kvstore"`,
        }]);
        return true;
      }
      const datatype = param(c.params, "datatype") ?? "event";
      if (datatype !== "event" && datatype !== "metric") {
        sendMessages(c.res, 400, c.outputMode, [{ type: "ERROR", text: `In handler 'indexes': Invalid datatype=${datatype}` }]);
        return true;
      }
      const params: Record<string, string> = {};
      for (const k of Object.keys(c.params)) if (k !== "name" && k !== "datatype" && k !== "output_mode") params[k] = param(c.params, k) ?? "";
      out(201, [idx.create(n, datatype, params)]);
      return true;
    }
    sendMessages(c.res, 405, c.outputMode, [{ type: "ERROR", text: `Method ${c.method} not allowed.` }]);
    return true;
  }

  const meta = idx.get(name);
  if (!meta) {
    notFound(c, name);
    return true;
  }
  if (m[2] !== undefined) {
    if (c.method !== "POST") {
      sendMessages(c.res, 405, c.outputMode, [{ type: "ERROR", text: `Method ${c.method} not allowed.` }]);
      return true;
    }
    meta.disabled = m[2] === "disable";
    out(200, [meta]);
    return true;
  }
  if (c.method === "GET") out(200, [meta]);
  else if (c.method === "POST") {
    const bad = unsupported(c);
    if (bad || param(c.params, "name") !== undefined) {
      sendMessages(c.res, 400, c.outputMode, [{ type: "ERROR", text: `In handler 'indexes': Argument "${bad ?? "name"}" is not supported by this handler.` }]);
      return true;
    }
    for (const k of Object.keys(c.params)) if (k !== "output_mode" && k !== "datatype") meta.params[k] = param(c.params, k) ?? "";
    out(200, [meta]);
  } else if (c.method === "DELETE") {
    idx.delete(name);
    c.emu.store.dropIndex(name);
    out(200, []);
  } else sendMessages(c.res, 405, c.outputMode, [{ type: "ERROR", text: `Method ${c.method} not allowed.` }]);
  return true;
}
