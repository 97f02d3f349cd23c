// Each dashboard rendered offline in headless Chromium with Splunk's Dashboard Studio packages, every panel's
// search (macros expanded) run against the emulator holding risk, run and model events that the sidecar wrote
// from the bundled sample; a screenshot per dashboard; the rows the panels render and the searches a click
// produces. Skips with a message when Chromium or splunk-app/dev is missing, except in CI (CI=true), where it fails.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { loadDashboards } from "../../splunk-app/tools/package.ts";
import { appDataEmulator, type AppData } from "./app-data.ts";
import { browserSetup, bundle, DEV_DIR, launch, renderDashboard, type RenderedDashboard, type SearchCall } from "./render.ts";

/** Panels whose search the emulator cannot run, each with the reason. A panel not listed here must run. */
const EMULATOR_CANNOT_RUN: Record<string, string> = {};

const setup = browserSetup();
const missing = "missing" in setup ? setup.missing : undefined;
if (missing && process.env.CI === "true") throw new Error(`browser test: ${missing} (CI=true: the browser test must run)`);
const SHOTS = resolve("test-output", "screenshots");
const DOCS_SHOTS = resolve("docs", "screenshots");
const ADMIN = { name: "admin", password: "changeme" };
const dashboards = loadDashboards();

/** The ids of a definition's `ds.search` data sources that need no token but `global_time` and inputs with defaults. */
function dataSourceIds(def: unknown, except: string[] = []): string[] {
  return Object.keys((def as { dataSources: Record<string, unknown> }).dataSources).filter((id) => !except.includes(id));
}

function expectAllRan(searches: SearchCall[], dashboard: string): void {
  const failed = searches.filter((s) => s.error && !EMULATOR_CANNOT_RUN[`${dashboard}/${s.id}`]);
  assert.deepEqual(failed.map((s) => `${s.id}: ${s.error}`), [], "every panel's SPL runs on the emulator");
}

function resultOf(r: RenderedDashboard, id: string): Record<string, unknown>[] {
  const calls = r.searches.filter((s) => s.id === id);
  assert.ok(calls.length > 0, `data source ${id} ran`);
  return calls[calls.length - 1].result;
}

async function shot(r: RenderedDashboard, name: string): Promise<void> {
  const file = join(SHOTS, `${name}.png`);
  await r.screenshot(file);
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    mkdirSync(DOCS_SHOTS, { recursive: true });
    copyFileSync(file, join(DOCS_SHOTS, `${name}.png`));
  }
}

describe("dashboards: Dashboard Studio definitions", { skip: !missing ? false : `splunk-app/dev or Chromium missing: ${missing}` }, () => {
  it("each definition is valid against the packages' schema (tabbed layout form)", () => {
    const req = createRequire(join(DEV_DIR, "package.json"));
    const Ajv = req("ajv") as new (o: Record<string, unknown>) => { compile(s: unknown): ((d: unknown) => boolean) & { errors?: unknown } };
    const { defaultSchema } = req("@splunk/dashboard-definition") as { defaultSchema: unknown };
    const validate = new Ajv({ strict: false, allErrors: true }).compile(defaultSchema);
    for (const [name, def] of dashboards) assert.ok(validate(def), `${name}: ${JSON.stringify(validate.errors)}`);
    assert.deepEqual([...dashboards.keys()].sort(), ["soc_assistant_event_detail", "soc_assistant_health", "soc_assistant_overview"]);
  });
});

describe("dashboards rendered in headless Chromium, fed by the sidecar's own events", { skip: missing ? `skipped: ${missing}` : false, timeout: 180_000 }, () => {
  let data: AppData;
  let browser: Awaited<ReturnType<typeof launch>>;
  let files: { js: string; css: string };
  let topEventId = "";
  before(async () => {
    const chromium = (setup as { chromium: string }).chromium;
    [data, files] = await Promise.all([appDataEmulator(), bundle()]);
    browser = await launch(chromium);
  });
  after(async () => {
    await browser?.close();
    await data?.stop();
  });

  it("Overview ranks events by risk, fills every panel, and a row click opens that event's detail", async () => {
    const r = await renderDashboard(browser, files, dashboards.get("soc_assistant_overview"), data.emu, ADMIN);
    try {
      await r.settle(dataSourceIds(dashboards.get("soc_assistant_overview")));
      await shot(r, "overview");
      expectAllRan(r.searches, "overview");
      for (const s of r.searches) assert.ok(s.rows > 0, `panel ${s.id} has rows`);
      const ranked = resultOf(r, "ds_ranked");
      const scores = ranked.map((x) => Number(x.risk_score));
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a), "highest score first");
      assert.ok(ranked.length > 10);
      const text = await r.text();
      assert.match(text, /Events ranked by risk/);
      assert.ok(text.includes(String(ranked[0].explanation)), "the top row's explanation is on the page");
      assert.doesNotMatch(text, /error|No results|Cannot access|Waiting for data/i);
      const scored = resultOf(r, "ds_kpi_scored")[0].events_scored;
      assert.equal(Number(scored), data.runs.reduce((a, x) => a + x.events_scored, 0), "events scored = the sidecar's run counts");
      assert.ok(await r.clickRow("Events ranked by risk", 0), "the ranked table has a first row");
      const ev = (await r.events()).find((e) => e.type === "drilldown.customUrl");
      topEventId = String(ranked[0]._event_id);
      assert.match(topEventId, /^[0-9a-f]{64}$/);
      assert.equal(ev?.options.url, `/app/soc_assistant/soc_assistant_event_detail?form.event_id=${topEventId}`);
    } finally {
      await r.close();
    }
  });

  it("Event detail explains the event, pivots to the raw flow and the hosts' traffic, and saves a label in one click", async () => {
    assert.ok(topEventId, "the Overview test found an event");
    const def = structuredClone(dashboards.get("soc_assistant_event_detail")) as { inputs: Record<string, { options: Record<string, unknown> }> };
    def.inputs.input_event.options.defaultValue = topEventId; // what ?form.event_id= does in Splunk Web
    const r = await renderDashboard(browser, files, def, data.emu, ADMIN, { width: 1280, height: 1010 });
    try {
      await r.settle(dataSourceIds(def, ["ds_save"]));
      expectAllRan(r.searches, "event_detail");
      const [event] = resultOf(r, "ds_pivot_flow");
      const features = resultOf(r, "ds_features");
      assert.ok(features.length >= 1);
      const raw = await searchOne(data, `search \`soc_risk_events\` event_id="${topEventId}" | head 1 | table top_features{}.feature top_features{}.value`);
      const names = [raw["top_features{}.feature"]].flat();
      assert.deepEqual(features.map((f) => f.feature), names, "one row per top feature, in the event's order");
      assert.deepEqual(features.map((f) => f.value), [raw["top_features{}.value"]].flat());
      // Pivots: each click produces the search an analyst would run, with the event's values.
      assert.ok(await r.clickRow("Raw events of this flow (click)", 0));
      assert.ok(await r.clickRow("All traffic of the risk object (click)", 0));
      assert.ok(await r.clickRow("All traffic to the threat object (click)", 0));
      const links = (await r.events()).filter((e) => e.type === "drilldown.linkToSearch").map((e) => e.options);
      assert.deepEqual(links.map((l) => l.query), [
        `\`soc_raw_flow(${event.orig_index},${event.src_ip},${event.dest_ip},${event.dest_port},${event.pivot_earliest},${event.pivot_latest})\``,
        `\`soc_object_traffic(${event.src_ip})\``,
        `\`soc_threat_traffic(${event.dest_ip})\``,
      ]);
      assert.equal(links[0].earliest, event.pivot_earliest);
      assert.equal(Number(event.pivot_latest) - Number(event.pivot_earliest) <= 602, true, "five minutes either side");
      // The label: one click on "false_positive"; the framework substitutes the tokens, the emulator runs the SPL.
      assert.equal(data.emu.kv.list("soc_assistant_feedback").length, 0);
      assert.ok(await r.clickRow("Label this event: click one", 1));
      await r.settle(["ds_save"]);
      const saved = data.emu.kv.list("soc_assistant_feedback");
      assert.equal(saved.length, 1);
      assert.equal(saved[0]._key, topEventId);
      assert.equal(saved[0].label, "false_positive");
      assert.equal(saved[0].analyst, "admin");
      assert.ok(r.searches.some((s) => s.id === "ds_save" && s.query.includes(`event_id="${topEventId}"`)), "the save search carries the event id as a quoted string");
      // Re-rendered as Splunk Web would on the next visit: the label on record shows.
      await shot(r, "event-detail");
      const text = await r.text();
      assert.match(text, /false_positive/);
      assert.doesNotMatch(text, /error|Cannot access/i);
    } finally {
      await r.close();
    }
  });

  it("Model and pipeline health shows the model, its training, and every run the sidecar wrote", async () => {
    const r = await renderDashboard(browser, files, dashboards.get("soc_assistant_health"), data.emu, ADMIN, { width: 1280, height: 1000 });
    try {
      await r.settle(dataSourceIds(dashboards.get("soc_assistant_health")));
      await shot(r, "health");
      expectAllRan(r.searches, "health");
      for (const s of r.searches) assert.ok(s.rows > 0, `panel ${s.id} has rows`);
      assert.equal(Number(resultOf(r, "ds_kpi_runs")[0].runs), data.runs.length);
      assert.equal(resultOf(r, "ds_runs").length, data.runs.length);
      assert.equal(resultOf(r, "ds_kpi_model")[0].model, "zeek-conn@v0001");
      assert.equal(resultOf(r, "ds_models")[0].version, "v0001");
      const text = await r.text();
      assert.match(text, /zeek-conn@v0001/);
      assert.doesNotMatch(text, /error|No results|Cannot access/i);
    } finally {
      await r.close();
    }
  });
});

async function searchOne(data: AppData, search: string): Promise<Record<string, unknown>> {
  const r = await fetch(`${data.emu.url}/services/search/jobs`, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from("admin:changeme").toString("base64")}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ search, exec_mode: "oneshot", output_mode: "json", earliest_time: "0" }),
  });
  const body = (await r.json()) as { results: Record<string, unknown>[] };
  return body.results[0];
}
