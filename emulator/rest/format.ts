// Reply shapes of splunkd's REST API: JSON/XML messages, Atom feeds, search results in every output_mode.
// Shapes as splunk-sdk 2.0.2 parses them and Splunk documents them (ADR 0007 lists the sources and what is unverified).

import type { ServerResponse } from "node:http";
import { pageFields, type OutRow } from "../spl/run.ts";

export type Params = Record<string, string | string[]>;
export type MessageType = "FATAL" | "ERROR" | "WARN" | "INFO" | "DEBUG";
export interface Message {
  type: MessageType;
  text: string;
  code?: string;
}

/** Splunkd's response headers (research §2, swimlane capture). */
export const SPLUNKD_HEADERS: Record<string, string> = {
  Server: "Splunkd",
  "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0",
  Expires: "Thu, 26 Oct 1978 00:00:00 GMT",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "SAMEORIGIN",
  Vary: "Cookie, Authorization",
};

export const JSON_TYPE = "application/json; charset=UTF-8";
export const XML_TYPE = "text/xml; charset=UTF-8";
export const CSV_TYPE = "text/csv; charset=UTF-8";

export function param(p: Params, name: string): string | undefined {
  const v = p[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function paramList(p: Params, name: string): string[] {
  const v = p[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** `json` unless output_mode asks for xml/csv or is absent (splunkd's default is XML). */
export function wantsJson(outputMode: string | undefined): boolean {
  return outputMode !== undefined && outputMode.startsWith("json");
}

export function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, extra: Record<string, string | string[]> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...SPLUNKD_HEADERS, "Content-Type": contentType, "Content-Length": String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string | string[]> = {}): void {
  send(res, status, JSON_TYPE, JSON.stringify(body), extra);
}

export function messagesXml(messages: Message[]): string {
  const inner = messages
    .map((m) => `    <msg type="${m.type}"${m.code !== undefined ? ` code="${xmlEscape(m.code)}"` : ""}>${xmlEscape(m.text)}</msg>`)
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <messages>\n${inner}\n  </messages>\n</response>\n`;
}

/** A REST reply made only of messages (errors and control actions), honouring output_mode. */
export function sendMessages(res: ServerResponse, status: number, outputMode: string | undefined, messages: Message[], extra: Record<string, string | string[]> = {}): void {
  if (wantsJson(outputMode)) sendJson(res, status, { messages }, extra);
  else send(res, status, XML_TYPE, messagesXml(messages), extra);
}

export function isoNow(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+00:00");
}

export interface Acl {
  app: string;
  owner: string;
  sharing: string;
  can_list?: boolean;
  can_write?: boolean;
  modifiable?: boolean;
  removable?: boolean;
  perms?: { read: string[]; write: string[] };
  ttl?: string;
}

export interface Entry {
  name: string;
  id: string;
  updated: string;
  published?: string;
  links: Record<string, string>;
  author: string;
  acl: Acl;
  content: Record<string, unknown>;
  fields?: { required: string[]; optional: string[]; wildcard: string[] };
}

export interface FeedContext {
  baseUrl: string;
  version: string;
  build: string;
  instanceType?: string;
  nowMs: number;
}

export interface Feed {
  links: Record<string, string>;
  origin: string;
  updated: string;
  generator: Record<string, string>;
  entry: Entry[];
  paging: { total: number; perPage: number; offset: number };
  messages: Message[];
}

export function feed(ctx: FeedContext, path: string, entries: Entry[], paging?: Partial<Feed["paging"]>, links: Record<string, string> = {}): Feed {
  const generator: Record<string, string> = { build: ctx.build, version: ctx.version };
  if (ctx.instanceType) generator.instance_type = ctx.instanceType;
  return {
    links,
    origin: `${ctx.baseUrl}${path}`,
    updated: isoNow(ctx.nowMs),
    generator,
    entry: entries,
    paging: { total: paging?.total ?? entries.length, perPage: paging?.perPage ?? 30, offset: paging?.offset ?? 0 },
    messages: [],
  };
}

function xmlValue(v: unknown, indent: string): string {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) {
    return `\n${indent}<s:list>\n${v.map((x) => `${indent}  <s:item>${xmlValue(x, indent + "    ")}</s:item>`).join("\n")}\n${indent}</s:list>\n${indent.slice(2)}`;
  }
  if (typeof v === "object") {
    const keys = Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${indent}  <s:key name="${xmlEscape(k)}">${xmlValue(x, indent + "    ")}</s:key>`)
      .join("\n");
    return `\n${indent}<s:dict>\n${keys}\n${indent}</s:dict>\n${indent.slice(2)}`;
  }
  if (typeof v === "boolean") return v ? "1" : "0";
  return xmlEscape(String(v as string | number));
}

/** Atom XML rendering of a feed (what splunkd answers without output_mode). */
export function feedXml(title: string, f: Feed): string {
  const entries = f.entry
    .map((e) => {
      const links = Object.entries(e.links).map(([rel, href]) => `    <link href="${xmlEscape(href)}" rel="${xmlEscape(rel)}"/>`).join("\n");
      const content = { ...e.content, "eai:acl": e.acl };
      return `  <entry>\n    <title>${xmlEscape(e.name)}</title>\n    <id>${xmlEscape(e.id)}</id>\n    <updated>${e.updated}</updated>\n${links}\n    <author>\n      <name>${xmlEscape(e.author)}</name>\n    </author>\n    <content type="text/xml">${xmlValue(content, "      ")}</content>\n  </entry>`;
    })
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:s="http://dev.splunk.com/ns/rest" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <title>${xmlEscape(title)}</title>
  <id>${xmlEscape(f.origin)}</id>
  <updated>${f.updated}</updated>
  <generator build="${xmlEscape(f.generator.build)}" version="${xmlEscape(f.generator.version)}"/>
  <author>
    <name>Splunk</name>
  </author>
  <opensearch:totalResults>${f.paging.total}</opensearch:totalResults>
  <opensearch:itemsPerPage>${f.paging.perPage}</opensearch:itemsPerPage>
  <opensearch:startIndex>${f.paging.offset}</opensearch:startIndex>
  <s:messages/>
${entries}
</feed>
`;
}

export function sendFeed(res: ServerResponse, status: number, outputMode: string | undefined, title: string, f: Feed): void {
  if (wantsJson(outputMode)) sendJson(res, status, f);
  else send(res, status, XML_TYPE, feedXml(title, f));
}

/** How a results page is damaged by the malformed-rows fault. */
export interface Malform {
  position: number;
}

export interface ResultsPage {
  preview: boolean;
  offset: number;
  rows: OutRow[];
  order: string[] | null;
  messages?: Message[];
  /** Restrict to these fields (`f` parameter), wildcards allowed. */
  only?: string[];
  malform?: Malform;
  /** Add `post_process_count` (9.x JSON shape). */
  postProcessCount?: boolean;
}

function csvCell(v: string | string[] | undefined): string {
  if (v === undefined) return "";
  const s = Array.isArray(v) ? v.join("\n") : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function restrict(rows: OutRow[], only: string[] | undefined): OutRow[] {
  if (!only || only.length === 0 || only.includes("*")) return rows;
  const res = only.map((p) => new RegExp(`^${p.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`));
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => res.some((re) => re.test(k)))));
}

/**
 * The `output_mode=json` body `renderResults` gives for a page without messages or a malformed row, from
 * rows already rendered as JSON text (`Execution.pageJson`) and the page's field names in output order.
 */
export function renderJsonResults(page: { preview: boolean; offset: number; fields: string[]; rows: string[]; postProcessCount?: boolean }): string {
  const head = JSON.stringify({ preview: page.preview, init_offset: page.offset, messages: [], fields: page.fields.map((name) => ({ name })) });
  return `${head.slice(0, -1)},"results":[${page.rows.join(",")}],"highlighted":{}${page.postProcessCount ? ',"post_process_count":0' : ""}}`;
}

/** Renders a results page (results, results_preview, events, oneshot) in the given output_mode. */
export function renderResults(outputMode: string | undefined, page: ResultsPage): { contentType: string; body: string } {
  const rows = restrict(page.rows, page.only);
  const fields = rows.length === 0 ? [] : pageFields(rows, page.order);
  const messages = page.messages ?? [];
  const mode = outputMode ?? "xml";
  const bad = page.malform && page.malform.position < rows.length ? page.malform.position : -1;
  if (mode === "json") {
    const results: unknown[] = rows.map((r, i) =>
      i === bad ? { _time: "not-a-time", _raw: String(r._raw ?? "").slice(0, Math.floor(String(r._raw ?? "").length / 2)) } : r,
    );
    const body: Record<string, unknown> = { preview: page.preview, init_offset: page.offset, messages, fields: fields.map((name) => ({ name })), results, highlighted: {} };
    if (page.postProcessCount) body.post_process_count = 0;
    return { contentType: JSON_TYPE, body: JSON.stringify(body) };
  }
  if (mode === "json_rows") {
    const data = rows.map((r, i) => {
      const cells = fields.map((f) => r[f] ?? null);
      return i === bad ? cells.slice(0, Math.max(1, Math.floor(cells.length / 2))) : cells;
    });
    return { contentType: JSON_TYPE, body: JSON.stringify({ preview: page.preview, init_offset: page.offset, messages, fields, rows: data }) };
  }
  if (mode === "json_cols") {
    const columns = fields.map((f) => rows.map((r) => r[f] ?? null));
    return { contentType: JSON_TYPE, body: JSON.stringify({ preview: page.preview, init_offset: page.offset, messages, fields, columns }) };
  }
  if (mode === "csv") {
    if (fields.length === 0) return { contentType: CSV_TYPE, body: "" };
    const lines = [fields.map((f) => csvCell(f)).join(","), ...rows.map((r) => fields.map((f) => csvCell(r[f])).join(","))];
    return { contentType: CSV_TYPE, body: lines.join("\n") + "\n" };
  }
  // xml (default)
  const parts = [`<?xml version='1.0' encoding='UTF-8'?>`, `<results preview='${page.preview ? 1 : 0}'>`, `<meta>`, `<fieldOrder>`];
  for (const f of fields) parts.push(`<field>${xmlEscape(f)}</field>`);
  parts.push(`</fieldOrder>`, `</meta>`);
  for (const m of messages) parts.push(`<messages><msg type="${m.type}">${xmlEscape(m.text)}</msg></messages>`);
  rows.forEach((r, i) => {
    parts.push(`<result offset='${page.offset + i}'>`);
    for (const f of fields) {
      const v = r[f];
      if (v === undefined) continue;
      if (f === "_raw") parts.push(`<field k='_raw'><v xml:space='preserve' trunc='0'>${xmlEscape(String(v))}</v></field>`);
      else {
        const vs = Array.isArray(v) ? v : [v];
        parts.push(`<field k='${xmlEscape(f)}'>${vs.map((x) => `<value><text>${xmlEscape(x)}</text></value>`).join("")}</field>`);
      }
    }
    parts.push(`</result>`);
  });
  parts.push(`</results>`);
  return { contentType: XML_TYPE, body: parts.join("\n") + "\n" };
}
