/**
 * Every field a dashboard, saved search, eventtype or workflow action names must be one the sidecar writes
 * (sidecar/contract: the single source of truth), one Splunk adds (`_time`, `sourcetype`, ...), one the app
 * computes at search time (props.conf EVAL-/FIELDALIAS-), or one the search itself creates before using it
 * (eval, stats ... as, rename, top, timechart). Searches are macro-expanded and parsed with the emulator's SPL
 * parser; which schema applies comes from the sourcetype the expanded search selects.
 */
import type { Command, Expr, SearchExpr } from "../../emulator/spl/ast.ts";
import { expandMacros } from "../../emulator/spl/macros.ts";
import { parsePipeline, SplError } from "../../emulator/spl/parse.ts";
import { MODEL_EVENT_FIELDS, MODEL_SOURCETYPE, RISK_BANDS, RISK_EVENT_FIELDS, RISK_SOURCETYPE, RUN_EVENT_FIELDS, RUN_SOURCETYPE } from "../../sidecar/contract/index.ts";
import { confMap } from "./conf.ts";
import type { AppKnowledge } from "./knowledge.ts";
import type { AppSearch, LoadedApp, Problem } from "./lint.ts";

/** Fields Splunk gives every event. */
export const SPLUNK_DEFAULT_FIELDS = ["_time", "_raw", "_indextime", "_cd", "_serial", "index", "sourcetype", "source", "host", "splunk_server", "eventtype", "tag", "linecount", "punct", "timestartpos", "timeendpos"];
/** What `| rest /services/authentication/current-context` returns that the app reads. */
const CURRENT_CONTEXT_FIELDS = ["title", "username", "realname", "roles", "email", "splunk_server"];

export const SCHEMAS: Record<string, readonly string[]> = {
  [RISK_SOURCETYPE]: RISK_EVENT_FIELDS,
  [RUN_SOURCETYPE]: RUN_EVENT_FIELDS,
  [MODEL_SOURCETYPE]: MODEL_EVENT_FIELDS,
};

/** Nested JSON fields: `by_band.<band>` must name a band; other objects and arrays (`top_features{}.x`) are open. */
function nestedOk(name: string, schema: Set<string>): boolean {
  const m = /^([A-Za-z0-9_]+)(\{\})?\.(.+)$/.exec(name);
  if (!m || !schema.has(m[1])) return false;
  if (m[1] === "by_band") return !m[2] && RISK_BANDS.some((b) => b.band === m[3]);
  return true;
}

function exprFields(e: Expr, out: string[]): void {
  switch (e.k) {
    case "field": out.push(e.name); return;
    case "call": for (const a of e.args) exprFields(a, out); return;
    case "bin": exprFields(e.l, out); exprFields(e.r, out); return;
    case "not": case "neg": exprFields(e.e, out); return;
    default: return;
  }
}

function searchFields(e: SearchExpr, out: string[]): void {
  switch (e.k) {
    case "and": case "or": for (const i of e.items) searchFields(i, out); return;
    case "not": searchFields(e.item, out); return;
    case "cmp": out.push(e.field); return;
    default: return;
  }
}

export interface FieldCheckResult {
  /** Fields named that the schema does not have. */
  unknown: string[];
  /** Fields available at the end of the pipeline (undefined when the output is dynamic: timechart by). */
  output: Set<string> | undefined;
  /** The sourcetype whose schema applied, or the generator; undefined for searches over raw traffic. */
  schema: string | undefined;
}

/** Replaces dashboard and workflow tokens (`$name$`, `$name|s$`, `$row.x.value$`) with placeholder values. */
export function withoutTokens(spl: string): string {
  return spl.replace(/\$[A-Za-z0-9_.:@|{}-]+\$/g, (t) => (t.endsWith("|s$") ? '"x"' : "x"));
}

export function checkSearchFields(spl: string, knowledge: AppKnowledge, calculated: Map<string, string[]>): FieldCheckResult {
  // A saved search, eventtype or workflow search is a search command unless it starts with a pipe.
  const expanded = expandMacros(withoutTokens(spl), knowledge.macros).trim();
  const p = parsePipeline(expanded.startsWith("|") || /^search\s/i.test(expanded) ? expanded : `search ${expanded}`);
  let schemaName: string | undefined;
  let fields: Set<string> | undefined;
  const g = p.generator;
  if (g?.k === "inputlookup") {
    const coll = knowledge.lookups[g.name] ?? g.name;
    schemaName = `lookup ${g.name}`;
    fields = new Set(["_key", ...(knowledge.collectionFields[coll] ?? [])]);
  } else if (g?.k === "rest") {
    schemaName = `rest ${g.path}`;
    fields = new Set(CURRENT_CONTEXT_FIELDS);
  } else if (g?.k === "makeresults") {
    schemaName = "makeresults";
    fields = new Set(["_time"]);
  } else {
    const st: string[] = [];
    const walk = (e: SearchExpr): void => {
      if (e.k === "cmp" && e.field === "sourcetype" && e.op === "=") st.push(e.value);
      if (e.k === "and" || e.k === "or") e.items.forEach(walk);
    };
    walk(p.base);
    schemaName = st.find((s) => SCHEMAS[s]);
    if (schemaName) fields = new Set([...SCHEMAS[schemaName], ...SPLUNK_DEFAULT_FIELDS, ...(calculated.get(schemaName) ?? [])]);
  }
  if (!fields) return { unknown: [], output: undefined, schema: undefined };
  const schema = new Set(fields);
  const unknown: string[] = [];
  let known: Set<string> | undefined = fields;
  const use = (names: string[]): void => {
    if (!known) return;
    for (const n of names) if (!known.has(n) && !nestedOk(n, schema) && !n.includes("*") && !unknown.includes(n)) unknown.push(n);
  };
  const base: string[] = [];
  searchFields(p.base, base);
  use(base.filter((f) => f !== "index" && f !== "sourcetype"));
  for (const c of p.commands as Command[]) {
    if (!known) break;
    const refs: string[] = [];
    switch (c.k) {
      case "search": searchFields(c.expr, refs); use(refs); break;
      case "where": exprFields(c.expr, refs); use(refs); break;
      case "eval":
        for (const a of c.assigns) {
          const r: string[] = [];
          exprFields(a.expr, r);
          use(r);
          known.add(a.field);
        }
        break;
      case "table": case "fields": use(c.names); if (c.k === "table" || !c.remove) known = new Set([...c.names, ...[...known].filter((n) => n.startsWith("_") && c.k === "fields")]); break;
      case "dedup": use(c.names); break;
      case "sort": use(c.keys.map((k) => k.field)); break;
      case "rename": for (const pr of c.pairs) { use([pr.from]); known.delete(pr.from); known.add(pr.to); } break;
      case "stats": use([...c.by, ...c.aggs.flatMap((a) => (a.field ? [a.field] : []))]); known = new Set([...c.by, ...c.aggs.map((a) => a.as)]); break;
      case "top": use([...c.fields, ...c.by]); known = new Set([...c.by, ...c.fields, "count", "percent"]); break;
      case "bin": use([c.field]); known.add(c.as); break;
      case "mvexpand": use([c.field]); break;
      case "outputlookup": if (c.keyField) use([c.keyField]); break;
      case "timechart":
        use([...(c.by ? [c.by] : []), ...c.aggs.flatMap((a) => (a.field ? [a.field] : []))]);
        known = c.by ? undefined : new Set(["_time", ...c.aggs.map((a) => a.as)]);
        break;
      case "head": break;
    }
  }
  return { unknown, output: known, schema: schemaName };
}

/** Search-time fields props.conf adds per sourcetype (EVAL-x, FIELDALIAS-... AS y). */
export function calculatedFields(app: LoadedApp): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const props = app.confs.get("default/props.conf");
  if (!props) return out;
  for (const [st, kv] of confMap(props)) {
    const names: string[] = [];
    for (const [k, v] of kv) {
      if (k.startsWith("EVAL-")) names.push(k.slice(5));
      if (k.startsWith("FIELDALIAS-")) for (const m of v.matchAll(/\S+\s+(?:AS|as)\s+(\S+)/g)) names.push(m[1]);
    }
    out.set(st, names);
  }
  return out;
}

interface Viz {
  dataSources?: { primary?: string };
  eventHandlers?: { type: string; options?: Record<string, unknown> }[];
}

/** Field problems of every search in the app, and of every `$row.<field>.value$` a drilldown uses. */
export function lintFields(app: LoadedApp, knowledge: AppKnowledge): Problem[] {
  const P: Problem[] = [];
  const calculated = calculatedFields(app);
  const outputs = new Map<string, Set<string> | undefined>();
  const where = (s: AppSearch) => ({ file: s.file, stanza: s.stanza ?? s.dataSource, key: s.key ?? (s.dataSource ? "options.query" : undefined), line: s.line });
  for (const s of app.searches) {
    let r: FieldCheckResult;
    try {
      r = checkSearchFields(s.spl, knowledge, calculated);
    } catch (e) {
      if (!(e instanceof SplError)) throw e;
      P.push({ severity: "fail", rule: "soc_spl_parses", ...where(s), message: `the search does not parse: ${e.message}` });
      continue;
    }
    for (const f of r.unknown) P.push({ severity: "fail", rule: "soc_field_in_contract", ...where(s), message: `field '${f}' is not in the ${r.schema} schema (sidecar/contract) and the search does not create it` });
    if (s.dataSource) outputs.set(`${s.file}#${s.dataSource}`, r.output);
  }
  // Workflow actions substitute fields of the clicked risk event.
  const wa = app.confs.get("default/workflow_actions.conf");
  const risk = new Set([...RISK_EVENT_FIELDS, ...SPLUNK_DEFAULT_FIELDS, ...(calculated.get(RISK_SOURCETYPE) ?? [])]);
  for (const st of wa?.stanzas ?? []) {
    for (const kv of st.settings) {
      if (!/^(label|search\.search_string|link\.uri|fields)$/.test(kv.key)) continue;
      const names = kv.key === "fields" ? kv.value.split(/[\s,]+/).filter((x) => x) : [...kv.value.matchAll(/\$([A-Za-z0-9_.{}]+)\$/g)].map((m) => m[1]);
      for (const n of names) if (!n.startsWith("@") && !risk.has(n)) P.push({ severity: "fail", rule: "soc_field_in_contract", file: "default/workflow_actions.conf", stanza: st.name, key: kv.key, line: kv.line, message: `field '${n}' is not in the ${RISK_SOURCETYPE} schema (sidecar/contract)` });
    }
  }
  // Drilldowns: `$row.<field>.value$` must be a column of the visualization's data source.
  for (const v of app.views) {
    const viz = (v.definition as { visualizations?: Record<string, Viz> } | null)?.visualizations ?? {};
    for (const [id, z] of Object.entries(viz)) {
      const cols = z.dataSources?.primary ? outputs.get(`${v.file}#${z.dataSources.primary}`) : undefined;
      if (!cols) continue;
      for (const h of z.eventHandlers ?? []) {
        for (const m of JSON.stringify(h.options ?? {}).matchAll(/\$row\.([^$]+?)\.value\$/g)) {
          if (!cols.has(m[1])) P.push({ severity: "fail", rule: "soc_field_in_contract", file: v.file, stanza: id, key: `eventHandlers ${h.type}`, message: `drilldown token $row.${m[1]}.value$ names a column its data source does not return` });
        }
      }
    }
  }
  return P;
}
