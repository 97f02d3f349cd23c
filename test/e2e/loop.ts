// What the end-to-end tests share: the bundled sample as seed rows, the sidecar's config for a target, running
// the Service once, reading back through the SDK what landed in Splunk, and the expected risk events, computed
// by pulling the same rows through the SDK and scoring them locally with the same model on the main thread.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomUUID } from "node:crypto";
import { parseConfig } from "../../sidecar/config/load.ts";
import type { Config } from "../../sidecar/config/schema.ts";
import { RISK_EVENT_FIELDS, CIM_COPY_FIELDS } from "../../sidecar/contract/index.ts";
import { eventId } from "../../sidecar/sources/event-id.ts";
import { CheckpointStore } from "../../sidecar/pipeline/checkpoint.ts";
import { loadScoringModel, type LoadedScoringModel } from "../../sidecar/scoring/load.ts";
import { riskScore } from "../../sidecar/scoring/risk.ts";
import { Sidecar } from "../../sidecar/service/sidecar.ts";
import type { NetEvent } from "../../sidecar/sources/event.ts";
import { normalizeRow, type SplunkRow } from "../../sidecar/sources/splunk/normalize.ts";
import { buildSpl, SplunkSource } from "../../sidecar/sources/splunk/source.ts";
import { SplunkClient } from "../../sidecar/splunk/sdk.ts";
import { configureLogging } from "../../sidecar/telemetry/log.ts";
import { startBackend } from "../../sidecar/tf/start.ts";
import { requireHec, type SeedEvent, type Target } from "../helpers/splunk-target.ts";

// The sidecar's INFO lines would bury the test output; E2E_LOG_LEVEL=info shows them.
configureLogging({ level: process.env.E2E_LOG_LEVEL ?? "error", format: "text" });

export const SEARCH_NAME = "zeek_conn";
export const SOURCETYPE = "zeek:conn:json";
export const REGISTRY = resolve("models");
export const MIN_RISK_SCORE = 20;

// ---------------------------------------------------------------------------------------------------------
// Seed data: the bundled sample (3,400 Zeek conn flows)

interface ZeekLog {
  header: string[];
  names: string[];
  types: string[];
  rows: string[];
}

let sampleCache: ZeekLog | undefined;

export function sample(): ZeekLog {
  if (sampleCache) return sampleCache;
  const lines = readFileSync("data/sample/conn.sample.log", "utf8").split("\n").filter((l) => l !== "");
  const header = lines.filter((l) => l.startsWith("#") && !l.startsWith("#close"));
  const field = (k: string) => header.find((l) => l.startsWith(`#${k}\t`))!.split("\t").slice(1);
  sampleCache = { header, names: field("fields"), types: field("types"), rows: lines.filter((l) => !l.startsWith("#")) };
  return sampleCache;
}

/** `n` sample rows spread over the whole sample (every k-th), so attacks and background both appear. */
export function sampleRows(n: number, offset = 0): string[] {
  const rows = sample().rows;
  if (n >= rows.length) return rows.slice();
  const step = rows.length / n;
  return Array.from({ length: n }, (_, i) => rows[(offset + Math.floor(i * step)) % rows.length]!);
}

/**
 * Zeek TSV rows as Zeek's JSON writer would log them (unset and empty fields left out, numbers as numbers,
 * booleans as booleans), with `ts` moved to `firstTime + i × stepSeconds` so they sit inside the sidecar's
 * event-time bounds. `_raw` is the JSON line; Splunk extracts its fields at search time (AUTO_KV_JSON).
 */
export function zeekJsonRows(rows: readonly string[], firstTime: number, stepSeconds = 0.5): SeedEvent[] {
  const { names, types } = sample();
  return rows.map((line, i) => {
    const cells = line.split("\t");
    const o: Record<string, unknown> = {};
    const time = Math.round((firstTime + i * stepSeconds) * 1e6) / 1e6;
    names.forEach((name, j) => {
      const v = cells[j];
      if (name === "ts") {
        o.ts = time;
        return;
      }
      if (v === undefined || v === "-" || v === "(empty)") return;
      const type = types[j] ?? "string";
      if (/^(count|int|port|double|interval|time)$/.test(type)) o[name] = Number(v);
      else if (type === "bool") o[name] = v === "T";
      else o[name] = v;
    });
    return { time, raw: JSON.stringify(o) };
  });
}

/** The Zeek TSV log of `rows`, with the sample's header. */
export function zeekText(rows: readonly string[]): string {
  return [...sample().header, ...rows, ""].join("\n");
}

/** A unique `source` for one test's events (and so `orig_source` of its risk events). */
export function uniqueSource(name: string): string {
  return `e2e-${name}-${randomUUID().slice(0, 8)}`;
}

// ---------------------------------------------------------------------------------------------------------
// The sidecar

export interface LoopOptions {
  /** The configured search query. */
  query: string;
  stateDir?: string;
  splunk?: Record<string, unknown>;
  hec?: Record<string, unknown>;
  schedule?: Record<string, unknown>;
}

/** The Service's config for a target: Splunk source, HEC sink with ack and create_index, the shipped model. */
export function loopConfig(t: Target, o: LoopOptions): Config {
  const auth = t.password ? { username: t.password.username, password: t.password.password } : { token: t.token };
  const hec = requireHec(t);
  return parseConfig(
    {
      source: { type: "splunk" },
      sink: { type: "splunk_hec", min_risk_score: MIN_RISK_SCORE },
      splunk: {
        url: t.url,
        ...auth,
        ...(t.caFile ? { ca_file: t.caFile } : {}),
        verify_tls: t.verifyTls,
        app: "search",
        searches: [{ name: SEARCH_NAME, query: o.query }],
        lag_seconds: 0,
        initial_lookback_seconds: 3600,
        page_size: 500,
        timeout_ms: 10_000,
        ...o.splunk,
      },
      hec: {
        url: hec.url,
        token: hec.token,
        index: t.riskIndex,
        create_index: true,
        ack: hec.ack,
        ...(t.caFile ? { ca_file: t.caFile } : {}),
        verify_tls: t.verifyTls,
        batch_max_events: 200,
        retry_deadline_ms: 20_000,
        timeout_ms: 10_000,
        ...o.hec,
      },
      schedule: { scoring_cron: "*/5 * * * *", run_on_start: true, ...o.schedule },
      model: { registry_dir: REGISTRY, name: "zeek-conn", workers: 1 },
      state_dir: o.stateDir ?? mkdtempSync(join(tmpdir(), "e2e-")),
      api: { enabled: false },
    },
    "e2e",
    {},
  );
}

export interface RunSummary {
  run_id: string;
  window: { start: number; end: number; earliest: number; latest: number };
  events_pulled: number;
  events_scored: number;
  events_written: number;
  events_rejected: number;
  rejected_samples: { file: string; line: number; reason: string }[];
  by_band: Record<string, number>;
  committed: boolean;
  error: string | null;
}

export interface ServiceRun {
  /** This start's runs, oldest first. */
  runs: RunSummary[];
  notReady: string | null;
  printed: string;
  ms: number;
}

/** A fresh Service on `config`, started once and shut down: what one scheduled tick of a restarted sidecar does. */
export async function runService(config: Config): Promise<ServiceRun> {
  let printed = "";
  const t0 = performance.now();
  const s = new Sidecar(config, (text) => (printed += text));
  try {
    await s.start({ once: true });
    const status = s.status() as { last_runs: RunSummary[] };
    return { runs: [...status.last_runs].reverse(), notReady: s.notReadyReason(), printed, ms: performance.now() - t0 };
  } finally {
    await s.shutdown();
  }
}

/** Sums of a start's runs (a start that catches up may run a window more than once). */
export function totals(runs: readonly RunSummary[]): { pulled: number; scored: number; written: number; rejected: number; bands: number } {
  const sum = (f: (r: RunSummary) => number) => runs.reduce((a, r) => a + f(r), 0);
  return {
    pulled: sum((r) => r.events_pulled),
    scored: sum((r) => r.events_scored),
    written: sum((r) => r.events_written),
    rejected: sum((r) => r.events_rejected),
    bands: sum((r) => Object.values(r.by_band).reduce((a, b) => a + b, 0)),
  };
}

export function checkpointOf(config: Config): { indexed_before: number } | undefined {
  return new CheckpointStore(config.state_dir).get(SEARCH_NAME);
}

export function checkpointPath(config: Config): string {
  return join(config.state_dir, "checkpoints", `${SEARCH_NAME}.json`);
}

// ---------------------------------------------------------------------------------------------------------
// Reading Splunk back through the SDK

/** Every result row of a search job, paged (`count` per page), the job removed afterwards. */
export async function searchAll(client: SplunkClient, spl: string, params: Record<string, string | number> = {}, count = 5000): Promise<SplunkRow[]> {
  const job = await client.createJob(spl, { max_count: 1_000_000, ...params });
  try {
    const status = await client.waitForJob(job, { pollMs: 20, maxPollMs: 200 });
    const rows: SplunkRow[] = [];
    while (rows.length < status.resultCount) {
      const page = await client.results(job, rows.length, count);
      const got = (page.results ?? []) as SplunkRow[];
      if (got.length === 0) throw new Error(`search ${spl}: no rows at offset ${rows.length} of ${status.resultCount}`);
      rows.push(...got);
    }
    return rows;
  } finally {
    await client.removeJob(job);
  }
}

export type Indexed = Record<string, unknown> & { _time: number; _raw: string };

function parseIndexed(rows: SplunkRow[]): Indexed[] {
  return rows.map((r) => {
    const raw = String(r._raw);
    const o = JSON.parse(raw) as Record<string, unknown>;
    const time = r._time;
    return { ...o, _raw: raw, _time: Date.parse(String(time)) / 1000 };
  });
}

/** The risk events of one test's events (by `orig_source`), as indexed, with `_time`. */
export async function indexedRisk(client: SplunkClient, t: Target, source: string): Promise<Indexed[]> {
  const rows = await searchAll(client, `search index=${t.riskIndex} sourcetype="soc_assistant:risk" orig_source="${source}" | fields _raw, _time`, { earliest_time: "0" });
  return parseIndexed(rows).filter((e) => e.orig_source === source);
}

/** The run events of the given runs. */
export async function indexedRuns(client: SplunkClient, t: Target, runIds: readonly string[]): Promise<Indexed[]> {
  if (runIds.length === 0) return [];
  const which = runIds.map((id) => `run_id="${id}"`).join(" OR ");
  const rows = await searchAll(client, `search index=${t.riskIndex} sourcetype="soc_assistant:run" (${which}) | fields _raw, _time`, { earliest_time: "0" });
  const want = new Set(runIds);
  return parseIndexed(rows).filter((e) => want.has(String(e.run_id)));
}

/** How often each event_id was indexed. */
export function idCounts(events: readonly Indexed[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of events) m.set(String(e.event_id), (m.get(String(e.event_id)) ?? 0) + 1);
  return m;
}

export function duplicates(events: readonly Indexed[]): number {
  return [...idCounts(events).values()].reduce((a, n) => a + (n - 1), 0);
}

// ---------------------------------------------------------------------------------------------------------
// The expected risk events

let localModel: Promise<LoadedScoringModel> | undefined;

/** The shipped model, scoring on the main thread (workers: 0), loaded once per test file. */
export function scoringModel(): Promise<LoadedScoringModel> {
  localModel ??= (async () => {
    await startBackend("auto");
    return loadScoringModel({ registryDir: REGISTRY, ref: "zeek-conn", backend: "auto", workers: 0 });
  })();
  return localModel;
}

export interface ExpectedRow {
  /** What `| eval eid=sha256(index."|"._raw)` gave in Splunk. */
  splId: string;
  event: NetEvent;
  score: number;
}

export interface Expected {
  rows: ExpectedRow[];
  /** Rows that could not be normalized (no _raw, bad _time...). */
  rejected: number;
  /** event_ids at or above the write threshold. */
  written: Set<string>;
  all: Set<string>;
}

/**
 * Pulls what the sidecar's search pulls for the index-time range [start, end) (the same SPL and job
 * parameters, one big page), normalizes each row as the source does, and scores it with the local model.
 */
export async function expectedRisk(client: SplunkClient, config: Config, range: { start: number; end: number }, model: LoadedScoringModel, drop?: (row: SplunkRow, i: number) => boolean): Promise<Expected> {
  assert.ok(config.source.type === "splunk", "expectedRisk needs a Splunk source");
  const s = config.source.splunk;
  const search = s.searches[0]!;
  // What the Service pulls: the fields the model reads and the CIM fields risk events copy.
  const fields = [...new Set([...model.metadata.feature_spec.fields, ...CIM_COPY_FIELDS])];
  const source = new SplunkSource({ client, search, settings: s, fields });
  const spl = `${buildSpl(search.query, fields, search.field_map)} | eval eid=sha256(index."|"._raw)`;
  const rows = await searchAll(client, spl, source.jobParams(range.start, range.end));
  const out: Expected = { rows: [], rejected: 0, written: new Set(), all: new Set() };
  const events: ExpectedRow[] = [];
  rows.forEach((row, i) => {
    if (drop?.(row, i)) return;
    const n = normalizeRow(row, search.field_map, search.name, i);
    if ("rejected" in n) {
      out.rejected++;
      return;
    }
    events.push({ splId: String(row.eid), event: n.event, score: 0 });
  });
  if (events.length > 0) {
    const x = new Float32Array(events.length * model.width);
    events.forEach((e, i) => model.featurize(e.event.fields, x, i * model.width));
    const p = await model.score(x, events.length);
    events.forEach((e, i) => (e.score = riskScore(p[i]!)));
  }
  for (const e of events) {
    const id = eventId(e.event);
    out.all.add(id);
    if (e.score >= MIN_RISK_SCORE) out.written.add(id);
  }
  out.rows = events;
  return out;
}

/** The contract's fields a risk event from Splunk always carries (CIM copies only when the original had them). */
export const ALWAYS_PRESENT = RISK_EVENT_FIELDS.filter((f) => f !== "_time" && !(CIM_COPY_FIELDS as readonly string[]).includes(f));

export function newClient(t: Target): SplunkClient {
  return new SplunkClient(t.connection());
}

/** Set difference, for readable assertion messages. */
export function diff(a: Iterable<string>, b: ReadonlySet<string>): string[] {
  return [...a].filter((x) => !b.has(x));
}

// ---------------------------------------------------------------------------------------------------------
// Scenario helpers

export interface Seeded {
  source: string;
  rows: SeedEvent[];
  query: string;
}

/**
 * Seeds `n` sample rows as Zeek JSON under a fresh `source`, `_time` from `ageSeconds` ago on, half a second
 * apart; returns the rows and the search query that selects exactly them (and later seeds with this source).
 */
export async function seedSample(t: Target, name: string, n: number, o: { ageSeconds?: number; offset?: number; source?: string } = {}): Promise<Seeded> {
  const source = o.source ?? uniqueSource(name);
  const first = Math.floor(t.now() / 1000) - (o.ageSeconds ?? 1800);
  const rows = zeekJsonRows(sampleRows(n, o.offset ?? 0), first, 0.5);
  await t.seed(rows, { sourcetype: SOURCETYPE, source });
  return { source, rows, query: `index=${t.index} sourcetype="${SOURCETYPE}" source="${source}"` };
}

/** The index-time range the given runs covered, from the first window's start to the last window's end. */
export function rangeOf(runs: readonly RunSummary[]): { start: number; end: number } {
  return { start: Math.min(...runs.map((r) => r.window.start)), end: Math.max(...runs.map((r) => r.window.end)) };
}

export interface Landed {
  expected: Expected;
  risk: Indexed[];
  ids: Set<string>;
  duplicates: number;
}

/**
 * What landed in the risk index for `source`, against what should have: the rows the runs' windows cover,
 * scored locally. Asserts the distinct event_id sets are equal (nothing lost, nothing extra); duplicates are
 * returned for the caller to judge.
 */
export async function landed(t: Target, config: Config, source: string, runs: readonly RunSummary[], drop?: (row: SplunkRow, i: number) => boolean): Promise<Landed> {
  const client = newClient(t);
  try {
    const expected = await expectedRisk(client, config, rangeOf(runs), await scoringModel(), drop);
    const risk = await indexedRisk(client, t, source);
    const ids = new Set(risk.map((e) => String(e.event_id)));
    const lost = diff(expected.written, ids);
    const extra = diff(ids, expected.written);
    if (lost.length > 0 || extra.length > 0) {
      throw new Error(`risk index for ${source}: ${lost.length} expected event_ids missing, ${extra.length} unexpected (expected ${expected.written.size}, found ${ids.size})`);
    }
    return { expected, risk, ids, duplicates: duplicates(risk) };
  } finally {
    client.close();
  }
}

/** Calls `fn` after each request the emulator logs (status known). */
export function onRequest(t: Target, fn: (e: { listener: string; method: string; path: string; status: number }) => void): void {
  const log = t.emulator!.requestLog;
  const add = log.add.bind(log);
  log.add = (e) => {
    add(e);
    fn(e);
  };
}

/**
 * `read()` until `done` holds (a real Splunk makes acknowledged events searchable a moment later); the
 * emulator's index is searchable at once, so it reads once there.
 */
export async function eventually<T>(t: Target, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (t.emulator || done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
