import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { loopConfig, runService, seedSample } from "./loop.ts";
import { emulatorTarget } from "../helpers/splunk-target.ts";

describe("readiness", () => {
  it("a risk index that does not exist leaves the sidecar up and not ready, saying how to create it", async () => {
    const t = await emulatorTarget();
    try {
      const seeded = await seedSample(t, "noindex", 50);
      const config = loopConfig(t, { query: seeded.query, hec: { index: "no_such_index", create_index: false } });
      const run = await runService(config);
      assert.equal(run.runs.length, 0, "nothing pulled or written while not ready");
      assert.match(run.notReady ?? "", /index no_such_index \(hec\.index\) does not exist in Splunk: install the app's indexes\.conf.*hec\.create_index: true/);
    } finally {
      await t.stop();
    }
  });
});
