/**
 * The API as the composition root wires it: /metrics agreeing with the run events of the same runs, retraining
 * in a worker thread while the API keeps answering, and the bind refusal in a real child process.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../sidecar/config/load.ts";
import { Sidecar } from "../../sidecar/service/sidecar.ts";
import { makeRegistry, MODEL } from "../helpers/models.ts";
import { TOKEN } from "./helpers.ts";

/** Parses Prometheus text exposition format strictly enough to catch a malformed line; sample name+labels -> value. */
export function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( \d+)?$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    out.set(`${m[1]}${m[2] ?? ""}`, Number(m[3]));
  }
  return out;
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "api-svc-"));
  const sample = join(dir, "conn.log");
  copyFileSync("data/sample/conn.sample.log", sample);
  const registry = makeRegistry(["good"]);
  const config = parseConfig(
    {
      source: { type: "file", file: { paths: [sample] } },
      sink: { type: "file", min_risk_score: 0, file: { path: join(dir, "out/risk.jsonl"), runs_path: join(dir, "out/runs.jsonl") } },
      model: { registry_dir: registry, name: MODEL, workers: 1, training: { epochs: 1 } },
      schedule: { scoring_cron: "0 0 1 1 *", run_on_start: true },
      state_dir: join(dir, "var"),
      api: { port: 0, token: TOKEN },
    },
    "test",
    {},
  );
  return { dir, sample, registry, config };
}

describe("API wired by the composition root", () => {
  it("serves /metrics as Prometheus text whose counters match the run events, and starts the retraining one at a time while the API keeps answering", async (t) => {
    const { dir, sample, config } = setup();
    const s = new Sidecar(config, () => undefined);
    t.after(() => s.shutdown());
    await s.start();
    const base = `http://127.0.0.1:${s.apiAddress!.port}`;
    const get = async (path: string) => fetch(base + path, { headers: { authorization: `Bearer ${TOKEN}` } });

    const runs = readFileSync(join(dir, "out/runs.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(runs.length, 1);
    const run = runs[0]!;
    const m = await get("/metrics");
    assert.equal(m.status, 200);
    assert.match(m.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    const prom = parseProm(await m.text());
    const src = run.source as string;
    for (const stage of ["pulled", "scored", "written", "rejected"]) {
      assert.equal(prom.get(`soc_assistant_events_total{source="${src}",stage="${stage}"}`), run[`events_${stage}`], stage);
    }
    for (const [band, n] of Object.entries(run.by_band as Record<string, number>)) {
      assert.equal(prom.get(`soc_assistant_events_scored_by_band_total{source="${src}",band="${band}"}`), n, band);
    }
    assert.equal(prom.get(`soc_assistant_runs_total{source="${src}",outcome="ok"}`), 1);
    assert.equal(prom.get(`soc_assistant_run_duration_seconds_count{source="${src}"}`), 1);
    assert.equal(prom.get(`soc_assistant_model_info{name="${MODEL}",version="v0001",kind="supervised"}`), 1);
    assert.equal(prom.get("soc_assistant_ready"), 1);
    assert.ok(prom.has("soc_assistant_process_resident_memory_bytes"));
    assert.equal((await fetch(`${base}/metrics`)).status, 401);

    const status = await (await get("/api/v1/status")).json() as { model: { version: string }; last_runs: unknown[]; lag_seconds: Record<string, null> };
    assert.equal(status.model.version, "v0001");
    assert.equal(status.last_runs.length, 1);
    assert.deepEqual(status.lag_seconds, { [src]: null });

    // Retrain: one runs (the retraining component, in a worker thread), the second is refused; the API answers meanwhile.
    const post = (body: unknown, query = "") =>
      fetch(`${base}/api/v1/retrain${query}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const first = await post({ data: [sample] });
    assert.equal(first.status, 202);
    const second = await post({ data: [sample] });
    assert.equal(second.status, 409);
    assert.match(((await second.json()) as { error: string }).error, /already running: retraining .* is running/);
    const t0 = performance.now();
    assert.equal((await get("/healthz")).status, 200);
    assert.ok(performance.now() - t0 < 1000, "the API answers while training runs");
    const deadline = Date.now() + 180_000;
    type Retrain = { running: unknown; last: { status: string; challenger: string | null; reason: string } | null; runs: number; refused: number };
    let retrain: Retrain;
    for (;;) {
      retrain = ((await (await get("/api/v1/status")).json()) as { retrain: Retrain }).retrain;
      if (retrain.running === null) break;
      assert.ok(Date.now() < deadline, "retraining did not finish in 180 s");
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(["promoted", "kept_champion"].includes(retrain.last?.status ?? ""), JSON.stringify(retrain.last));
    assert.equal(retrain.last?.challenger, "v0002");
    assert.equal(retrain.refused, 1);

    // A bare Splunk webhook payload cannot train without retrain.data; backfill needs a Splunk source.
    const bare = await post({ sid: "scheduler__admin__search__RMD5", search_name: "SOC Assistant - retrain", app: "soc_assistant", owner: "admin", results_link: "https://sh:8000/x", result: { count: "3" } });
    assert.equal(bare.status, 400);
    assert.match(((await bare.json()) as { error: string }).error, /no training data: retrain\.data is not configured.*"data"/);
    const bf = await fetch(`${base}/api/v1/backfill`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ earliest: 1_700_000_000, latest: 1_700_000_600 }) });
    assert.equal(bf.status, 400);
    assert.match(((await bf.json()) as { error: string }).error, /backfill needs source\.type: splunk/);

    const prom2 = parseProm(await (await get("/metrics")).text());
    assert.equal(prom2.get("soc_assistant_retrain_runs_total"), 1);
    assert.equal(prom2.get("soc_assistant_retrain_refused_total"), 1);
    assert.equal(prom2.get(`soc_assistant_retrain_last_outcome{status="${retrain.last!.status}"}`), 1);
    const version = retrain.last!.status === "promoted" ? "v0002" : "v0001";
    assert.equal(prom2.get(`soc_assistant_model_info{name="${MODEL}",version="${version}",kind="supervised"}`), 1);
  });

  it("refuses, in a real process, to start with api.host beyond loopback and no api.token, naming the key and the fix", () => {
    const { dir } = setup();
    const cfg = join(dir, "config.yaml");
    writeFileSync(cfg, `source: {type: file, file: {paths: [${JSON.stringify(join(dir, "conn.log"))}]}}\napi: {host: 0.0.0.0, port: 0}\nstate_dir: ${JSON.stringify(join(dir, "var"))}\n`);
    const r = spawnSync(process.execPath, ["bin/soc-assistant.mjs", "run", "--config", cfg], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /api\.host: "0\.0\.0\.0" is not a loopback address and api\.token is not set/);
    assert.match(r.stderr, /set api\.token .* or bind to 127\.0\.0\.1/);
    assert.doesNotMatch(r.stderr, /listening/i);
  });
});
