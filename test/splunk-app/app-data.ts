// The data the dashboards are rendered with, written by the sidecar itself: the bundled sample of Zeek flows is
// seeded into the emulator's `zeek` index with times shifted to the last day (index time 20 s after event time),
// and one Service start (Splunk source, HEC sink with acknowledgement) catches up window by window, writing risk
// and run events to `soc_risk` as it would to a real Splunk. The sidecar writes no model events yet (the
// retraining issue adds them), so one `soc_assistant:model` event, typed by the contract, is built from the
// shipped model's registry metadata and sent through HEC.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createEmulator, type Emulator } from "../../emulator/index.ts";
import { MODEL_SOURCETYPE, type ModelEvent } from "../../sidecar/contract/index.ts";
import { appKnowledge } from "../../splunk-app/tools/knowledge.ts";
import { APP_SRC } from "../../splunk-app/tools/package.ts";
import { loopConfig, REGISTRY, runService, sample, zeekJsonRows, type RunSummary } from "../e2e/loop.ts";
import type { Target } from "../helpers/splunk-target.ts";

const HEC_TOKEN = "33333333-3333-3333-3333-333333333333";
export const RAW_INDEX = "zeek";
export const RAW_SOURCETYPE = "zeek:conn:json";

export interface AppData {
  emu: Emulator;
  runs: RunSummary[];
  /** Epoch seconds of the newest seeded flow. */
  newest: number;
  stop(): Promise<void>;
}

export async function appDataEmulator(o: { windowSeconds?: number } = {}): Promise<AppData> {
  const k = appKnowledge(APP_SRC);
  const emu = createEmulator({
    hecPort: "shared",
    hecTokens: [{ token: HEC_TOKEN, useAck: true }],
    indexes: [RAW_INDEX, "soc_risk"],
    app: { macros: k.macros, collections: k.collections, lookups: k.lookups },
  });
  await emu.start();
  try {
    const now = Date.now() / 1000;
    const rows = sample().rows;
    const ts = rows.map((r) => Number(r.split("\t")[0]));
    const last = Math.max(...ts);
    // The sample spans a day; squeeze it into the last 22 hours so a "last 24 hours" view holds all of it.
    const shifted = rows.map((r, i) => zeekJsonRows([r], now - 900 - (last - ts[i]) * 0.9)[0]);
    for (const s of shifted) emu.store.append({ time: s.time, indextime: Math.floor(s.time) + 20, index: RAW_INDEX, sourcetype: RAW_SOURCETYPE, host: "zeek-sensor-1", source: "/opt/zeek/logs/current/conn.log", raw: s.raw });
    const target: Target = {
      label: "emulator", url: emu.url, password: { username: "admin", password: "changeme" }, hec: { url: emu.hecUrl, token: HEC_TOKEN, ack: true },
      verifyTls: true, index: RAW_INDEX, riskIndex: "soc_risk",
    } as Target;
    const config = loopConfig(target, {
      query: `index=${RAW_INDEX} sourcetype="${RAW_SOURCETYPE}"`,
      splunk: { initial_lookback_seconds: 24 * 3600, max_window_seconds: o.windowSeconds ?? 3 * 3600, page_size: 2000 },
      hec: { create_index: false, batch_max_events: 1000 },
    });
    const run = await runService(config);
    if (run.notReady) throw new Error(`the sidecar was not ready: ${run.notReady}`);
    await sendModelEvent(emu, now - 23 * 3600);
    return { emu, runs: run.runs, newest: Math.max(...shifted.map((s) => s.time)), stop: () => emu.stop() };
  } catch (e) {
    await emu.stop();
    throw e;
  }
}

/** A `trained` + promoted model event from the shipped model's metadata (what `npm run train:default` did). */
export function shippedModelEvent(time: number): ModelEvent {
  const current = readFileSync(join(REGISTRY, "zeek-conn", "CURRENT"), "utf8").trim();
  const meta = JSON.parse(readFileSync(join(REGISTRY, "zeek-conn", current, "metadata.json"), "utf8")) as {
    name: string; version: string; validation_metrics: Record<string, unknown>; training: { seconds: number }; data: { files: string[]; rows: number; positives: number };
  };
  const metrics = Object.fromEntries(Object.entries(meta.validation_metrics).filter((e): e is [string, number] => typeof e[1] === "number" && e[0] !== "rows" && e[0] !== "positives"));
  return {
    _time: time,
    action: "trained",
    model_name: meta.name,
    model_kind: "supervised",
    version: meta.version,
    previous_version: null,
    champion_version: null,
    challenger_version: meta.version,
    metric: "pr_auc",
    champion_metrics: null,
    challenger_metrics: metrics,
    decision: "promoted",
    reason: `first version of ${meta.name}: no champion to compare with, promoted`,
    actor: { kind: "cli" },
    trigger: "npm run train:default",
    data: { source: `${meta.data.files.length} labeled Zeek captures`, rows: meta.data.rows, positives: meta.data.positives, earliest: null, latest: null, feedback_labels: 0 },
    duration_seconds: Math.round(meta.training.seconds * 10) / 10,
  };
}

async function sendModelEvent(emu: Emulator, time: number): Promise<void> {
  const { _time, ...event } = shippedModelEvent(time);
  const r = await fetch(`${emu.hecUrl}/services/collector/event`, {
    method: "POST",
    headers: { Authorization: `Splunk ${HEC_TOKEN}`, "X-Splunk-Request-Channel": "11111111-2222-3333-4444-555555555555" },
    body: JSON.stringify({ time: _time, index: "soc_risk", sourcetype: MODEL_SOURCETYPE, source: "soc-assistant", event }),
  });
  if (r.status !== 200) throw new Error(`HEC refused the model event: ${r.status} ${await r.text()}`);
}
