// Renders the app's Dashboard Studio views in headless Chromium with Splunk's public packages (splunk-app/dev,
// a separate package with its own lock file), each `ds.search` run against the Splunk emulator with the app's
// macros. Used by browser.test.ts; `node --import tsx test/splunk-app/render.ts` writes the screenshots to
// docs/screenshots/.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Emulator } from "../../emulator/index.ts";

export const DEV_DIR = resolve("splunk-app/dev");
const BUILD_DIR = join(DEV_DIR, "build");

/** Where Chromium is, or why the browser test cannot run. */
export function browserSetup(): { chromium: string } | { missing: string } {
  const chromium = process.env.CHROMIUM_PATH ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
  if (!chromium || !existsSync(chromium)) return { missing: "Chromium is not installed (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)" };
  if (!existsSync(join(DEV_DIR, "node_modules", "puppeteer-core"))) return { missing: "splunk-app/dev is not installed (cd splunk-app/dev && npm ci)" };
  return { chromium };
}

const devRequire = createRequire(join(DEV_DIR, "package.json"));

/** The page bundle, rebuilt when the entry or the dev lock file changes. */
export async function bundle(): Promise<{ js: string; css: string }> {
  const entry = join(DEV_DIR, "render", "entry.jsx");
  const key = createHash("sha256").update(readFileSync(entry)).update(readFileSync(join(DEV_DIR, "package-lock.json"))).digest("hex").slice(0, 16);
  const js = join(BUILD_DIR, `render-${key}.js`);
  if (!existsSync(js)) {
    const esbuild = devRequire("esbuild") as { build(o: Record<string, unknown>): Promise<unknown> };
    await esbuild.build({
      entryPoints: [entry], bundle: true, outfile: js, format: "iife", loader: { ".js": "jsx" }, minify: true, logLevel: "warning",
      define: { "process.env.NODE_ENV": '"production"' },
    });
  }
  return { js, css: js.replace(/\.js$/, ".css") };
}

export interface SearchCall {
  id: string;
  query: string;
  earliest?: string;
  latest?: string;
  rows: number;
  /** The rows the emulator returned (REST JSON: every value a string or an array of strings). */
  result: Record<string, unknown>[];
  error?: string;
}

export interface RecordedEvent {
  type: string;
  options: Record<string, unknown>;
  payload: unknown;
}

interface PuppeteerPage {
  goto(url: string, o?: Record<string, unknown>): Promise<unknown>;
  exposeFunction(name: string, fn: (...a: never[]) => unknown): Promise<void>;
  evaluateOnNewDocument(fn: string): Promise<unknown>;
  evaluate<T>(fn: string): Promise<T>;
  screenshot(o: Record<string, unknown>): Promise<unknown>;
  setViewport(o: Record<string, unknown>): Promise<void>;
  on(ev: string, fn: (x: { text(): string; type?(): string; message?: string }) => void): void;
  click(selector: string): Promise<void>;
  mouse: { click(x: number, y: number): Promise<void> };
  close(): Promise<void>;
}
interface PuppeteerBrowser {
  newPage(): Promise<PuppeteerPage>;
  close(): Promise<void>;
}

export async function launch(chromium: string): Promise<PuppeteerBrowser> {
  const puppeteer = devRequire("puppeteer-core") as { launch(o: Record<string, unknown>): Promise<PuppeteerBrowser> };
  return puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--font-render-hinting=none", "--allow-file-access-from-files"],
  });
}

/** Runs one dashboard query against the emulator as `user`, as a Studio `ds.search` would dispatch it. */
export async function runOnEmulator(emu: Emulator, user: { name: string; password: string }, q: { query: string; earliest?: string; latest?: string }): Promise<{ fields: string[]; rows: Record<string, unknown>[] } | { error: string }> {
  const search = q.query.trim().startsWith("|") ? q.query : `search ${q.query}`;
  const form: Record<string, string> = { search, exec_mode: "oneshot", output_mode: "json", count: "0" };
  if (q.earliest) form.earliest_time = q.earliest;
  if (q.latest) form.latest_time = q.latest;
  const r = await fetch(`${emu.url}/servicesNS/${user.name}/soc_assistant/search/jobs`, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from(`${user.name}:${user.password}`).toString("base64")}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  const body = (await r.json()) as { results?: Record<string, unknown>[]; fields?: ({ name: string } | string)[]; messages?: { text: string }[] };
  if (r.status !== 200) return { error: body.messages?.map((m) => m.text).join("; ") ?? `HTTP ${r.status}` };
  const fields = (body.fields ?? []).map((f) => (typeof f === "string" ? f : f.name));
  return { fields, rows: body.results ?? [] };
}

/**
 * The page's origin: serves the page and its bundle, and answers the one Splunk Web endpoint the framework's
 * inputs call (`/services/authentication/current-context`, for the user's time zone) as Splunk Web would.
 */
async function splunkWebStub(files: { js: string; css: string }, user: string): Promise<{ url: string; close(): Promise<void> }> {
  const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/render.css"><style>html,body{margin:0;background:#f2f4f5}#root{min-height:100vh}</style></head><body><div id="root"></div><script>window.$C = { SPLUNKD_PATH: "/splunkd/__raw", MRSPARKLE_ROOT_PATH: "", LOCALE: "en-US", APP: "soc_assistant", USERNAME: ${JSON.stringify(user)}, SERVER_ZONEINFO: "" };</script><script src="/render.js"></script></body></html>`;
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/page.html") return void res.writeHead(200, { "Content-Type": "text/html" }).end(html);
    if (path === "/render.js") return void res.writeHead(200, { "Content-Type": "text/javascript" }).end(readFileSync(files.js));
    if (path === "/render.css") return void res.writeHead(200, { "Content-Type": "text/css" }).end(existsSync(files.css) ? readFileSync(files.css) : "");
    if (path.endsWith("/authentication/current-context")) {
      return void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ entry: [{ name: user, content: { username: user, realname: user, tz: "UTC", roles: ["soc_assistant_analyst"] } }] }));
    }
    if (path.endsWith("/data/ui/times")) {
      const presets = [["Last 15 minutes", "-15m", "now"], ["Last 4 hours", "-4h@m", "now"], ["Last 24 hours", "-24h@h", "now"], ["Last 7 days", "-7d@h", "now"], ["All time", "", ""]];
      return void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ entry: presets.map(([label, e, l], i) => ({ name: `p${i}`, content: { label, earliest_time: e, latest_time: l, order: i, disabled: false } })) }));
    }
    if (process.env.RENDER_DEBUG) console.error(`splunk web stub: 404 ${req.method} ${req.url}`);
    res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ messages: [{ type: "ERROR", text: "Not Found" }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export interface RenderedDashboard {
  page: PuppeteerPage;
  searches: SearchCall[];
  events(): Promise<RecordedEvent[]>;
  /**
   * Waits until each data source in `ids` has answered at least `times` times in all (default: any search), then
   * until no search has been pending for `quietMs`, then a little for the charts to draw. Throws after 60 s.
   */
  settle(ids?: string[], times?: number): Promise<void>;
  text(): Promise<string>;
  /** Clicks the first cell of row `row` (0-based) of the table titled `title`; false when there is no such row. */
  clickRow(title: string, row: number): Promise<boolean>;
  screenshot(file: string): Promise<void>;
  close(): Promise<void>;
}

export async function renderDashboard(
  browser: PuppeteerBrowser,
  files: { js: string; css: string },
  definition: unknown,
  emu: Emulator,
  user: { name: string; password: string },
  viewport = { width: 1280, height: 1400 },
): Promise<RenderedDashboard> {
  const page = await browser.newPage();
  await page.setViewport({ ...viewport, deviceScaleFactor: 1 });
  const consoleErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type?.() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e.message ?? e)));
  page.on("requestfailed", (rq) => consoleErrors.push(`request failed: ${(rq as unknown as { url(): string }).url()}`));
  const searches: SearchCall[] = [];
  let pending = 0;
  let lastActivity = Date.now();
  await page.exposeFunction("__runSearch", (async (q: { id: string; query: string; earliest?: string; latest?: string }) => {
    pending++;
    lastActivity = Date.now();
    try {
      const r = await runOnEmulator(emu, user, q);
      const call: SearchCall = { id: q.id, query: q.query, earliest: q.earliest, latest: q.latest, rows: "error" in r ? 0 : r.rows.length, result: "error" in r ? [] : r.rows, error: "error" in r ? r.error : undefined };
      searches.push(call);
      if ("error" in r) return { error: r.error };
      return { fields: r.fields, columns: r.fields.map((f) => r.rows.map((row) => (row[f] === undefined ? null : row[f]))) };
    } finally {
      pending--;
      lastActivity = Date.now();
    }
  }) as never);
  await page.evaluateOnNewDocument(`window.__definition = ${JSON.stringify(definition)};`);
  const web = await splunkWebStub(files, user.name);
  await page.goto(`${web.url}/page.html`, { waitUntil: "load" });
  const settle = async (ids?: string[], times = 1): Promise<void> => {
    const quietMs = 1200;
    const t0 = Date.now();
    const answered = () => (ids ?? []).every((id) => searches.filter((x) => x.id === id).length >= times);
    for (;;) {
      if (Date.now() - t0 > 60_000) throw new Error(`searches did not settle in 60 s; answered: ${searches.map((x) => x.id).join(", ")}`);
      await new Promise((r) => setTimeout(r, 150));
      if (pending === 0 && searches.length > 0 && answered() && Date.now() - lastActivity > quietMs) break;
    }
    await new Promise((r) => setTimeout(r, 800));
  };
  return {
    page,
    searches,
    events: () => page.evaluate<RecordedEvent[]>("window.__events"),
    settle,
    text: () => page.evaluate<string>("document.body.innerText"),
    clickRow: (title, row) =>
      page.evaluate<[number, number] | null>(`(() => {
        const item = [...document.querySelectorAll('[data-test="viz-item"], [data-test="grid-item"]')].find((e) => (e.querySelector('[data-test="viz-title"]')?.textContent ?? '').trim() === ${JSON.stringify(title)});
        const r = item && item.querySelectorAll('[data-test="body"] [data-test="row"]')[${row}];
        const cell = r && r.querySelector('[data-test="cell"]');
        if (!cell) return null;
        cell.scrollIntoView({ block: "center" });
        const b = cell.getBoundingClientRect();
        return [b.x + Math.min(20, b.width / 2), b.y + b.height / 2];
      })()`).then(async (xy) => {
        if (!xy) return false;
        await page.mouse.click(xy[0], xy[1]);
        await new Promise((res) => setTimeout(res, 300));
        return true;
      }),
    screenshot: async (file) => {
      mkdirSync(resolve(file, ".."), { recursive: true });
      await page.screenshot({ path: file, fullPage: true });
    },
    close: async () => {
      if (consoleErrors.length > 0 && process.env.RENDER_DEBUG) console.error(consoleErrors.join("\n"));
      await page.close();
      await web.close();
    },
  };
}
