// search/jobs, search/v2/jobs: create (normal, blocking, oneshot), status, list, results/events,
// control, delete, and the streaming export endpoint.

import { compileSearch, concurrencyMessage, Job, TooManySearches, SplError, type CompiledSearch } from "../search/jobs.ts";
import { Execution, orderFields, type OutRow } from "../spl/run.ts";
import type { RestContext } from "./context.ts";
import { CSV_TYPE, feed, isoNow, JSON_TYPE, param, paramList, renderJsonResults, renderResults, send, sendFeed, sendMessages, wantsJson, xmlEscape, type Entry } from "./format.ts";

function int(v: string | undefined, dflt: number): number {
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : dflt;
}

/** `count` as splunkd reads it: default 100, 0 = all up to maxresultrows, capped at maxresultrows. */
function pageCount(c: RestContext): number {
  const n = int(param(c.params, "count"), 100);
  const cap = c.emu.settings.maxResultRows;
  return n <= 0 ? cap : Math.min(n, cap);
}

function compile(c: RestContext): CompiledSearch | undefined {
  const search = param(c.params, "search");
  if (search === undefined || search.trim() === "") {
    sendMessages(c.res, 400, c.outputMode, [{ type: "FATAL", text: "Empty search." }]);
    return undefined;
  }
  const known = [...new Set([...c.emu.indexes.names(), ...c.emu.store.indexNames()])];
  try {
    return compileSearch(
      {
        search,
        earliest_time: param(c.params, "earliest_time"),
        latest_time: param(c.params, "latest_time"),
        index_earliest: param(c.params, "index_earliest"),
        index_latest: param(c.params, "index_latest"),
      },
      c.emu.now() / 1000,
      known,
      c.emu.settings.defaultIndexes,
      c.emu.macros,
    );
  } catch (e) {
    if (e instanceof SplError) {
      sendMessages(c.res, 400, c.outputMode, [{ type: "FATAL", text: e.message }]);
      return undefined;
    }
    throw e;
  }
}

function concurrencyRefused(c: RestContext): boolean {
  const limit = c.emu.jobs.maxConcurrent;
  if (c.emu.faults.takeTooManySearches()) {
    const lim = Number.isFinite(limit) ? limit : c.emu.jobs.running();
    sendMessages(c.res, 503, c.outputMode, [{ type: "WARN", text: concurrencyMessage(lim, lim) }]);
    return true;
  }
  return false;
}

function flatParams(c: RestContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(c.params)) if (k !== "output_mode") out[k] = param(c.params, k) ?? "";
  return out;
}

function jobsPath(v2: boolean): string {
  return v2 ? "search/v2/jobs" : "search/jobs";
}

function jobEntry(c: RestContext, job: Job, v2: boolean): Entry {
  const p = `/services/${jobsPath(v2)}/${encodeURIComponent(job.sid)}`;
  const now = c.emu.now();
  return {
    name: job.compiled.query,
    id: `${c.baseUrl}${p}`,
    updated: isoNow(now),
    published: isoNow(job.createdMs),
    links: {
      alternate: p,
      "search.log": `${p}/search.log`,
      events: `${p}/events`,
      results: `${p}/results`,
      results_preview: `${p}/results_preview`,
      timeline: `${p}/timeline`,
      summary: `${p}/summary`,
      control: `${p}/control`,
    },
    author: job.owner,
    acl: { perms: { read: [job.owner], write: [job.owner] }, owner: job.owner, modifiable: true, sharing: "global", app: job.app, can_write: true, ttl: String(job.ttl) },
    content: job.content(now),
  };
}

function sendSid(c: RestContext, sid: string): void {
  if (wantsJson(c.outputMode)) send(c.res, 201, JSON_TYPE, JSON.stringify({ sid }));
  else send(c.res, 201, "text/xml; charset=UTF-8", `<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <sid>${xmlEscape(sid)}</sid>\n</response>\n`);
}

function malformPosition(c: RestContext): number | undefined {
  return c.emu.faults.takeMalformed(c.paths);
}

async function createJob(c: RestContext): Promise<void> {
  if (concurrencyRefused(c)) return;
  const compiled = compile(c);
  if (!compiled) return;
  const mode = (param(c.params, "exec_mode") ?? "normal").toLowerCase();
  if (mode === "oneshot") {
    const exec = new Execution({
      store: c.emu.store, pipeline: compiled.pipeline, window: compiled.window, indexes: compiled.indexes,
      maxCount: maxCountParam(c), now: c.emu.now, services: { user: c.user, kv: c.emu.kv },
    });
    await exec.runToEnd(c.emu.settings.scanBudget, () => c.res.destroyed);
    if (c.res.destroyed) return;
    const offset = Math.max(0, int(param(c.params, "offset"), 0));
    const r = renderResults(c.outputMode, {
      preview: false, offset, rows: exec.page(offset, pageCount(c)), order: exec.order, only: paramList(c.params, "f"),
      malform: positionOf(malformPosition(c)), postProcessCount: major(c) >= 9,
    });
    return send(c.res, 200, r.contentType, r.body);
  }
  let job: Job;
  try {
    job = c.emu.jobs.create(compiled, flatParams(c), c.user, c.ns?.app && c.ns.app !== "-" ? c.ns.app : "search");
  } catch (e) {
    if (e instanceof TooManySearches) return sendMessages(c.res, 503, c.outputMode, [{ type: "WARN", text: concurrencyMessage(e.running, e.limit) }]);
    throw e;
  }
  job.partial = c.emu.faults.takePartialJob(c.paths);
  if (mode === "blocking") await job.done();
  sendSid(c, job.sid);
}

function maxCountParam(c: RestContext): number {
  const v = param(c.params, "max_count");
  const n = v !== undefined && /^\d+$/.test(v) ? Number(v) : c.emu.settings.maxCount;
  return n === 0 ? Infinity : n;
}

function positionOf(p: number | undefined): { position: number } | undefined {
  return p === undefined ? undefined : { position: p };
}

function major(c: RestContext): number {
  return Number(c.emu.settings.version.split(".")[0]) || 0;
}

function notFoundSid(c: RestContext): void {
  sendMessages(c.res, 404, c.outputMode, [{ type: "FATAL", text: "Unknown sid." }]);
}

function results(c: RestContext, job: Job, kind: "results" | "results_preview" | "events"): void {
  const done = job.isDone();
  if (kind === "results" && !done) {
    // v1 GET results on a running job answers 204 (research §3.3, [mem]); clients must wait for isDone.
    c.res.writeHead(204, {});
    c.res.end();
    return;
  }
  const offset = Math.max(0, int(param(c.params, "offset"), 0));
  const only = paramList(c.params, "f");
  const malform = positionOf(malformPosition(c));
  if (kind !== "events" && c.outputMode === "json" && !malform) {
    // The common case (a client paging event results as JSON), rendered without a row object per event.
    const page = job.exec.pageJson(offset, pageCount(c), only);
    if (page) {
      const fields = page.rows.length === 0 ? [] : orderFields(page.names, job.exec.order);
      return send(c.res, 200, JSON_TYPE, renderJsonResults({ preview: !done, offset, fields, rows: page.rows, postProcessCount: major(c) >= 9 }));
    }
  }
  const rows: OutRow[] = job.page(kind === "events" ? "events" : "results", offset, pageCount(c));
  const r = renderResults(c.outputMode, {
    preview: !done, offset, rows, order: kind === "events" ? null : job.exec.order, only, malform, postProcessCount: major(c) >= 9,
  });
  send(c.res, 200, r.contentType, r.body);
}

const CONTROL_TEXT: Record<string, string> = {
  cancel: "Search job cancelled.",
  pause: "Search job paused.",
  unpause: "Search job unpaused.",
  finalize: "Search job finalized.",
  touch: "Search job touched.",
  setttl: "Search job ttl set.",
  setpriority: "Search job priority set.",
  enablepreview: "Search job preview enabled.",
  disablepreview: "Search job preview disabled.",
};

function control(c: RestContext, job: Job): void {
  const action = (param(c.params, "action") ?? "").toLowerCase();
  const text = CONTROL_TEXT[action];
  if (!text) return sendMessages(c.res, 400, c.outputMode, [{ type: "ERROR", text: `Invalid action: '${action}'.` }]);
  switch (action) {
    case "cancel": c.emu.jobs.remove(job.sid); break;
    case "pause": job.paused = true; break;
    case "unpause": job.paused = false; break;
    case "finalize": job.finalized = true; job.paused = false; break;
    case "setttl": job.ttl = int(param(c.params, "ttl"), job.ttl); break;
    case "setpriority": job.priority = int(param(c.params, "priority"), job.priority); break;
    case "enablepreview": job.previewEnabled = true; break;
    case "disablepreview": job.previewEnabled = false; break;
  }
  sendMessages(c.res, 200, c.outputMode, [{ type: "INFO", text }]);
}

async function exportSearch(c: RestContext): Promise<void> {
  if (concurrencyRefused(c)) return;
  const compiled = compile(c);
  if (!compiled) return;
  const res = c.res;
  const csv = c.outputMode === "csv";
  const bad = malformPosition(c);
  let offset = 0;
  let held: OutRow | undefined;
  let chunk = "";
  const csvRows: OutRow[] = [];
  const line = (r: OutRow, last: boolean): string => {
    const o = offset++;
    if (o === bad) return `{"preview":false,"offset":${o},"result":{"_raw":${JSON.stringify(String(r._raw ?? "")).slice(0, 12)}\n`;
    return `${JSON.stringify(last ? { preview: false, offset: o, lastrow: true, result: r } : { preview: false, offset: o, result: r })}\n`;
  };
  const exec = new Execution({
    store: c.emu.store, pipeline: compiled.pipeline, window: compiled.window, indexes: compiled.indexes,
    maxCount: Infinity, now: c.emu.now, services: { user: c.user, kv: c.emu.kv },
    onRows: (rows) => {
      if (csv) {
        csvRows.push(...rows);
        return;
      }
      for (const r of rows) {
        if (held) chunk += line(held, false);
        held = r;
      }
    },
  });
  res.writeHead(200, { "Content-Type": csv ? CSV_TYPE : JSON_TYPE, Server: "Splunkd", "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0" });
  const flush = async () => {
    if (chunk === "" || res.destroyed) return;
    const ok = res.write(chunk);
    chunk = "";
    if (!ok) await new Promise<void>((r) => { res.once("drain", r); res.once("close", r); });
  };
  while (!exec.step(c.emu.settings.scanBudget)) {
    await flush();
    if (res.destroyed) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  if (csv) {
    chunk = renderResults("csv", { preview: false, offset: 0, rows: csvRows, order: exec.order }).body;
  } else if (held) chunk += line(held, true);
  await flush();
  if (!res.destroyed) res.end();
}

/** Routes `search/...`; returns false when the path is not a search endpoint. */
export async function handleSearch(c: RestContext): Promise<boolean> {
  const m = /^search\/(v2\/)?jobs(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(c.rest);
  if (!m) return false;
  const v2 = m[1] !== undefined;
  const sid = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
  const sub = m[3];
  const method = c.method;
  if (sid === undefined) {
    if (method === "POST") await createJob(c);
    else if (method === "GET") {
      const jobs = c.emu.jobs.list();
      const count = int(param(c.params, "count"), 30);
      const offset = Math.max(0, int(param(c.params, "offset"), 0));
      const page = jobs.slice(offset, count <= 0 ? undefined : offset + count);
      sendFeed(c.res, 200, c.outputMode, "jobs", feed(c.feedCtx, `/services/${jobsPath(v2)}`, page.map((j) => jobEntry(c, j, v2)), { total: jobs.length, perPage: count, offset }));
    } else sendMessages(c.res, 405, c.outputMode, [{ type: "ERROR", text: `Method ${method} not allowed.` }]);
    return true;
  }
  if (sid === "export" && sub === undefined) {
    if (method === "GET" || method === "POST") await exportSearch(c);
    else sendMessages(c.res, 405, c.outputMode, [{ type: "ERROR", text: `Method ${method} not allowed.` }]);
    return true;
  }
  if (method !== "DELETE" && c.emu.jobs.get(sid) !== undefined) {
    const nf = c.emu.faults.takeJobNotFound(c.paths, sub);
    if (nf !== undefined) {
      if (nf) c.emu.jobs.remove(sid);
      notFoundSid(c);
      return true;
    }
  }
  const job = c.emu.jobs.get(sid);
  if (!job) {
    notFoundSid(c);
    return true;
  }
  if (sub === undefined) {
    if (method === "GET" || method === "POST") {
      sendFeed(c.res, 200, c.outputMode, "jobs", feed(c.feedCtx, `/services/${jobsPath(v2)}`, [jobEntry(c, job, v2)], { total: 1, perPage: 0 }));
    } else if (method === "DELETE") {
      c.emu.jobs.remove(sid);
      sendMessages(c.res, 200, c.outputMode, [{ type: "INFO", text: "Search job cancelled." }]);
    } else sendMessages(c.res, 405, c.outputMode, [{ type: "ERROR", text: `Method ${method} not allowed.` }]);
    return true;
  }
  if (sub === "results" || sub === "results_preview" || sub === "events") {
    results(c, job, sub);
    return true;
  }
  if (sub === "control" && method === "POST") {
    control(c, job);
    return true;
  }
  sendMessages(c.res, 404, c.outputMode, [{ type: "ERROR", text: "Not Found" }]);
  return true;
}
