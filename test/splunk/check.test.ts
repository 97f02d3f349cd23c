// checkSplunk: readiness with a reason that says what to fix.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, type Emulator } from "../../emulator/index.ts";
import { configSchema } from "../../sidecar/config/schema.ts";
import { connectionOptions } from "../../sidecar/service/options.ts";
import { checkSplunk } from "../../sidecar/splunk/check.ts";
import { CA_FILE, emulatorTarget, reservePort, UNTRUSTED_TLS, type Target } from "../helpers/splunk-target.ts";

describe("checkSplunk", () => {
  let target: Target;
  before(async () => {
    target = await emulatorTarget({ version: "9.1.2" });
  });
  after(() => target.stop());

  it("is ok with the version when the password logs in", async () => {
    assert.deepEqual(await checkSplunk(target.connection("password")), { ok: true, version: "9.1.2" });
  });

  it("is ok with the version when the token is accepted", async () => {
    assert.deepEqual(await checkSplunk(target.connection("token")), { ok: true, version: "9.1.2" });
  });

  it("works with the options the composition root builds from the splunk config section (secrets included)", async () => {
    const config = configSchema.parse({
      source: { type: "splunk" },
      splunk: { url: target.url, username: "admin", password: "changeme", ca_file: CA_FILE, searches: [{ name: "conn", query: "index=netflow" }] },
    });
    assert.ok(config.source.type === "splunk");
    assert.deepEqual(await checkSplunk(connectionOptions(config.source.splunk)), { ok: true, version: "9.1.2" });
  });

  it("says to check username and password on a 401 at login", async () => {
    const r = await checkSplunk(target.connection("password", { auth: { kind: "password", username: "admin", password: "nope" } }));
    assert.deepEqual(r, { ok: false, reason: `Splunk at ${target.url} refused the credentials (Login failed): check splunk.username and splunk.password` });
  });

  it("says to check the token on a 401 with a token", async () => {
    const r = await checkSplunk(target.connection("token", { auth: { kind: "token", token: "expired" } }));
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : "", /refused the credentials \(call not properly authenticated\): check splunk\.token/);
  });

  it("says to check host, port and firewall when nothing answers", async () => {
    const url = `https://127.0.0.1:${await reservePort()}`;
    const r = await checkSplunk({ ...target.connection("password"), url });
    assert.deepEqual(r, {
      ok: false,
      reason: `Splunk at ${url} is unreachable (ECONNREFUSED): check the host and port in splunk.url (the management port, 8089 by default, not Splunk Web) and any firewall or proxy between the sidecar and Splunk`,
    });
  });

  it("says to set ca_file when the certificate is not signed by the CA", async () => {
    const emu: Emulator = createEmulator({ tls: UNTRUSTED_TLS });
    await emu.start();
    try {
      const r = await checkSplunk({ ...target.connection("password"), url: emu.url });
      assert.equal(r.ok, false);
      assert.match(!r.ok ? r.reason : "", /presented a certificate not signed by the configured CA \(test\/fixtures\/tls\/ca\.pem\): .*; set splunk\.ca_file to the CA that signs it$/);
    } finally {
      await emu.stop();
    }
  });

  it("says which ca_file cannot be read", async () => {
    const r = await checkSplunk({ ...target.connection("password"), caFile: "/no/such/ca.pem" });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : "", /^splunk\.ca_file \/no\/such\/ca\.pem cannot be read: ENOENT/);
  });
});
