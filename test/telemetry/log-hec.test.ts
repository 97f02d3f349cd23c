/** logging.hec end to end: a sidecar's own log events land in the emulator's HEC as soc_assistant:log. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createEmulator } from "../../emulator/index.ts";
import { parseConfig } from "../../sidecar/config/load.ts";
import { Sidecar } from "../../sidecar/service/sidecar.ts";

const TOKEN = "33333333-3333-3333-3333-333333333333";

describe("logging.hec", () => {
  it("ships the sidecar's log events to HEC as soc_assistant:log in their own index, and counts none dropped", async (t) => {
    const emu = createEmulator({ hecTokens: [{ token: TOKEN, name: "logs" }] });
    await emu.start();
    t.after(() => emu.stop());
    // The admin creates the log index (the sidecar creates none for its logs).
    emu.indexes.ensure("soc_assistant_logs");
    const dir = mkdtempSync(join(tmpdir(), "log-hec-"));
    const config = parseConfig(
      {
        source: { type: "file", file: { paths: [resolve("data/sample/conn.sample.log")] } },
        sink: { type: "file", file: { path: join(dir, "risk.jsonl"), runs_path: join(dir, "runs.jsonl") } },
        hec: { url: emu.hecUrl, token: TOKEN, ack: false },
        model: { registry_dir: resolve("models"), workers: 0 },
        schedule: { scoring_cron: "0 0 1 1 *" },
        state_dir: join(dir, "var"),
        api: { port: 0 },
        logging: { level: "error", hec: { index: "soc_assistant_logs", level: "info" } },
      },
      "test",
      {},
    );
    const s = new Sidecar(config, () => undefined);
    await s.start();
    await s.shutdown();
    const events: Record<string, unknown>[] = [];
    for (let ref = 0; ref < emu.store.totalCount; ref++) {
      const v = emu.store.view(ref);
      if (v.get("index") !== "soc_assistant_logs") continue;
      assert.equal(v.get("sourcetype"), "soc_assistant:log");
      events.push(JSON.parse(String(v.get("_raw"))) as Record<string, unknown>);
    }
    const names = events.map((e) => e.event);
    for (const n of ["startup", "model_loaded", "api_listening", "run_finished", "shutdown_started"]) assert.ok(names.includes(n), `${n} not shipped: ${names.join(", ")}`);
    assert.ok(events.every((e) => typeof e.timestamp === "string" && typeof e.message === "string" && e.level !== "debug"));
    assert.equal(emu.store.indexNames().includes("soc_risk"), false, "nothing goes to the risk index");
    assert.equal(s.logShipper?.dropped, 0);
  });
});
