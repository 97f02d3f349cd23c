/** The systemd unit in deploy/: systemd-analyze verify accepts it, and its stop timeout outlasts a HEC flush. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseConfig } from "../../sidecar/config/load.ts";

const UNIT = readFileSync("deploy/soc-assistant.service", "utf8");
const hasAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;

/** The unit with its install paths pointed at this checkout and this node, so ExecStart's binary exists. */
function verify(text: string) {
  const dir = mkdtempSync(join(tmpdir(), "unit-"));
  const path = join(dir, "soc-assistant.service");
  writeFileSync(path, text.replaceAll("/usr/bin/node", process.execPath).replaceAll("/opt/soc-assistant", resolve(".")));
  return spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" });
}

function directive(name: string): string | undefined {
  return new RegExp(`^${name}=(.*)$`, "m").exec(UNIT)?.[1];
}

describe("deploy/soc-assistant.service", () => {
  it("passes systemd-analyze verify, and a broken unit does not", { skip: !hasAnalyze && "systemd-analyze is not installed" }, () => {
    const ok = verify(UNIT);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stderr.trim(), "");
    const bad = verify(UNIT.replace("Restart=on-failure", "Restart=sometimes"));
    assert.match(bad.stderr, /restart specifier/);
  });

  it("runs as a dedicated user, restarts on failure, drains on SIGTERM for longer than the HEC ack deadline", () => {
    assert.equal(directive("User"), "soc-assistant");
    assert.equal(directive("Restart"), "on-failure");
    assert.equal(directive("KillSignal"), "SIGTERM");
    assert.match(directive("ExecStart")!, /bin\/soc-assistant\.mjs run --config \/etc\/soc-assistant\/config\.yaml$/);
    const hec = parseConfig({ source: { file: { paths: ["x"] } }, sink: { type: "splunk_hec" }, hec: { url: "https://h:8088", token: "t" } }, "t", {});
    const deadlineS = hec.sink.type === "splunk_hec" ? hec.sink.hec.retry_deadline_ms / 1000 : 0;
    assert.ok(Number(directive("TimeoutStopSec")) > Math.max(deadlineS, 300), `TimeoutStopSec ${directive("TimeoutStopSec")} must exceed ${deadlineS} s and Splunk's ~300 s ack advice`);
    for (const h of ["NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "CapabilityBoundingSet=", "StateDirectory=soc-assistant"]) {
      assert.ok(UNIT.includes(`\n${h}\n`), h);
    }
  });
});
