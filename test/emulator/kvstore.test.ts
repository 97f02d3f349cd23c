import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, type Emulator } from "../../emulator/index.ts";
import { expandMacros } from "../../emulator/spl/macros.ts";
import { SplError } from "../../emulator/spl/parse.ts";

const AUTH = { Authorization: `Basic ${Buffer.from("admin:changeme").toString("base64")}` };

async function req(emu: Emulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${emu.url}${path}`, {
    method,
    headers: { ...AUTH, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

async function oneshot(emu: Emulator, search: string): Promise<Record<string, unknown>[]> {
  const r = await fetch(`${emu.url}/services/search/jobs`, {
    method: "POST",
    headers: { ...AUTH, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ search, exec_mode: "oneshot", output_mode: "json", count: "0" }),
  });
  const body = (await r.json()) as { results?: Record<string, unknown>[]; messages?: { text: string }[] };
  if (r.status !== 200) throw new Error(body.messages?.map((m) => m.text).join("; ") ?? String(r.status));
  return body.results ?? [];
}

describe("emulator: KV store collections", () => {
  let emu: Emulator;
  before(async () => {
    emu = createEmulator({ app: { collections: ["labels"], lookups: { labels_lookup: "labels" } } });
    await emu.start();
  });
  after(() => emu.stop());

  it("inserts, reads, updates and deletes records over storage/collections/data", async () => {
    const base = "/servicesNS/nobody/soc_assistant/storage/collections/data/labels";
    const ins = await req(emu, "POST", base, { _key: "e1", label: "benign" });
    assert.equal(ins.status, 201);
    assert.deepEqual(ins.json, { _key: "e1" });
    assert.equal((await req(emu, "POST", base, { _key: "e1", label: "x" })).status, 409);
    assert.equal((await req(emu, "POST", `${base}/e1`, { label: "false_positive" })).status, 200);
    const one = (await req(emu, "GET", `${base}/e1`)).json as Record<string, unknown>;
    assert.equal(one.label, "false_positive");
    assert.equal(one._user, "admin");
    const q = await req(emu, "GET", `${base}?query=${encodeURIComponent(JSON.stringify({ label: "false_positive" }))}`);
    assert.equal((q.json as unknown[]).length, 1);
    assert.deepEqual((await req(emu, "POST", `${base}/batch_save`, [{ _key: "e1", label: "true_positive" }, { _key: "e2", label: "benign" }])).json, ["e1", "e2"]);
    assert.equal(((await req(emu, "GET", base)).json as unknown[]).length, 2);
    assert.equal((await req(emu, "DELETE", `${base}/e2`)).status, 200);
    assert.equal((await req(emu, "GET", `${base}/e2`)).status, 404);
    assert.equal((await req(emu, "GET", "/services/storage/collections/data/nope")).status, 404);
    assert.equal((await req(emu, "DELETE", base)).status, 200);
  });

  it("writes with outputlookup key_field (the last write wins) and reads back with inputlookup", async () => {
    const write = (label: string, note: string) =>
      oneshot(emu, `| rest /services/authentication/current-context splunk_server=local | head 1 | eval event_id="abc", label="${label}", note="${note}", analyst=username | table event_id label analyst note | outputlookup labels_lookup append=true key_field=event_id`);
    const out = await write("false_positive", "scanner");
    assert.deepEqual(out, [{ event_id: "abc", label: "false_positive", analyst: "admin", note: "scanner" }]);
    await write("true_positive", "confirmed");
    const rows = await oneshot(emu, "| inputlookup labels_lookup | table _key event_id label analyst note");
    assert.deepEqual(rows, [{ _key: "abc", event_id: "abc", label: "true_positive", analyst: "admin", note: "confirmed" }]);
    await oneshot(emu, '| makeresults | eval event_id="def", label="benign" | table event_id label | outputlookup labels_lookup append=true key_field=event_id');
    assert.equal((await oneshot(emu, "| inputlookup labels_lookup | stats count")).at(0)?.count, "2");
    await oneshot(emu, '| makeresults | eval event_id="ghi", label="benign" | table event_id label | outputlookup labels_lookup');
    assert.deepEqual((await oneshot(emu, "| inputlookup labels_lookup | table event_id")).map((r) => r.event_id), ["ghi"], "append=false replaces the collection");
  });

  it("refuses a lookup that has no definition", async () => {
    await assert.rejects(oneshot(emu, "| inputlookup nothing_here"), /requires a .csv or KV store lookup definition/);
    await assert.rejects(oneshot(emu, "| makeresults | outputlookup nothing_here"), /nothing_here/);
  });
});

describe("emulator: macros", () => {
  const macros = new Map([
    ["idx", { args: [], definition: "index=soc_risk" }],
    ["risk", { args: [], definition: '`idx` sourcetype="soc_assistant:risk"' }],
    ["flow(2)", { args: ["a", "b"], definition: 'src_ip="$a$" dest_ip="$b$"' }],
  ]);
  it("expands nested macros and arguments", () => {
    assert.equal(expandMacros("`risk` `flow(10.0.0.1, 10.0.0.2)` | head 1", macros), 'index=soc_risk sourcetype="soc_assistant:risk" src_ip="10.0.0.1" dest_ip="10.0.0.2" | head 1');
  });
  it("names an unknown macro or a wrong argument count", () => {
    assert.throws(() => expandMacros("`nope`", macros), (e: unknown) => e instanceof SplError && /macro 'nope'/.test(e.message));
    assert.throws(() => expandMacros("`flow(1)`", macros), /flow\(1\)/);
  });
  it("runs a search through the emulator's macros", async () => {
    const emu = createEmulator({ app: { macros } });
    await emu.start();
    try {
      emu.seed('{"risk_score": 91, "src_ip": "10.0.0.1"}\n{"risk_score": 15, "src_ip": "10.0.0.9"}\n', { index: "soc_risk", sourcetype: "soc_assistant:risk" });
      const rows = await oneshot(emu, "search `risk` risk_score>50 | table src_ip risk_score");
      assert.deepEqual(rows, [{ src_ip: "10.0.0.1", risk_score: "91" }]);
    } finally {
      await emu.stop();
    }
  });
});
