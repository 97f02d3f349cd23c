// Loading splunk-sdk must leave the process as it was: its index.js loads ./.env (dotenv), its logger rewrites
// LOG_LEVEL, and every reply's messages are printed as `[SPLUNKD] ...`. Its own file: the SDK loads once per process.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSdk, setSdkLogHook, SplunkClient } from "../../sidecar/splunk/sdk.ts";
import { SplunkError } from "../../sidecar/splunk/errors.ts";
import { emulatorTarget, type Target } from "../helpers/splunk-target.ts";

describe("loading splunk-sdk", () => {
  let target: Target;
  before(async () => {
    target = await emulatorTarget();
  });
  after(() => target.stop());

  it("leaves process.env exactly as it was (no .env loaded, LOG_LEVEL untouched)", () => {
    const dir = mkdtempSync(join(tmpdir(), "soc-sdk-env-"));
    writeFileSync(join(dir, ".env"), "SOC_ASSISTANT_FROM_DOTENV=leaked\nLOG_LEVEL=ALL\n");
    const cwd = process.cwd();
    process.env.LOG_LEVEL = "info";
    const before = { ...process.env };
    try {
      process.chdir(dir);
      const sdk = loadSdk();
      assert.equal(typeof sdk.Service, "function");
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(process.env.SOC_ASSISTANT_FROM_DOTENV, undefined);
    assert.equal(process.env.LOG_LEVEL, "info");
    assert.deepEqual({ ...process.env }, before);
  });

  it("prints nothing to the console for Splunk's messages; a hook may collect them", async () => {
    const printed: unknown[][] = [];
    const saved = { error: console.error, warn: console.warn, info: console.info, log: console.log };
    const hooked: string[] = [];
    setSdkLogHook((_level, text) => hooked.push(text));
    for (const k of ["error", "warn", "info", "log"] as const) console[k] = (...args: unknown[]) => printed.push(args);
    const client = new SplunkClient(target.connection("password", { auth: { kind: "password", username: "admin", password: "wrong" } }));
    try {
      await assert.rejects(client.connect(), (e: unknown) => e instanceof SplunkError && e.kind === "auth");
    } finally {
      Object.assign(console, saved);
      setSdkLogHook(undefined);
      client.close();
    }
    assert.deepEqual(printed, []);
    assert.deepEqual(hooked, ["[SPLUNKD] Login failed"]);
  });
});
