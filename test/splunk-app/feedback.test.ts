import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, type Emulator } from "../../emulator/index.ts";
import { appKnowledge } from "../../splunk-app/tools/knowledge.ts";
import { APP_SRC, loadDashboards } from "../../splunk-app/tools/package.ts";
import { dataSourceQuery, substituteTokens } from "../../splunk-app/tools/tokens.ts";

const detail = loadDashboards().get("soc_assistant_event_detail")!;
const EVENT = "a".repeat(63) + "1";

async function runAs(emu: Emulator, user: string, search: string): Promise<Record<string, unknown>[]> {
  const r = await fetch(`${emu.url}/servicesNS/${user}/soc_assistant/search/jobs`, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from(`${user}:pw`).toString("base64")}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ search: search.trim().startsWith("|") ? search : `search ${search}`, exec_mode: "oneshot", output_mode: "json", count: "0" }),
  });
  const body = (await r.json()) as { results?: Record<string, unknown>[]; messages?: { text: string }[] };
  if (r.status !== 200) throw new Error(body.messages?.map((m) => m.text).join("; "));
  return body.results ?? [];
}

describe("analyst feedback: the Event detail dashboard's own label search, run against the emulator", () => {
  let emu: Emulator;
  const k = appKnowledge(APP_SRC);
  const save = (user: string, tokens: Record<string, string>) => runAs(emu, user, substituteTokens(dataSourceQuery(detail, "ds_save"), { note: "", ...tokens }));
  const onRecord = (user: string) => runAs(emu, user, substituteTokens(dataSourceQuery(detail, "ds_current"), { event_id: EVENT }));
  before(async () => {
    emu = createEmulator({
      users: [{ name: "alice", password: "pw", roles: ["soc_assistant_analyst"] }, { name: "bob", password: "pw", roles: ["soc_assistant_analyst"] }],
      app: { macros: k.macros, collections: k.collections, lookups: k.lookups },
    });
    await emu.start();
  });
  after(() => emu.stop());

  it("writes the label to the soc_assistant_feedback collection keyed by event_id, with the server-side user name and the time", async () => {
    const before = Math.floor(Date.now() / 1000);
    const out = await save("alice", { label_event: EVENT, label: "false_positive", note: "backup job" });
    assert.equal(out.length, 1);
    assert.equal(out[0].label, "false_positive");
    assert.equal(out[0].analyst, "alice");
    const rows = emu.kv.list("soc_assistant_feedback");
    assert.equal(rows.length, 1);
    assert.equal(rows[0]._key, EVENT);
    assert.equal(rows[0].event_id, EVENT);
    assert.equal(rows[0].analyst, "alice");
    assert.equal(rows[0].note, "backup job");
    assert.equal(rows[0].schema_version, 1);
    assert.ok(Number(rows[0].time) >= before && Number(rows[0].time) <= before + 5);
  });

  it("keeps one row per event: the last label wins, whoever sets it", async () => {
    await save("bob", { label_event: EVENT, label: "true_positive" });
    const rows = emu.kv.list("soc_assistant_feedback");
    assert.equal(rows.length, 1);
    assert.equal(rows[0].label, "true_positive");
    assert.equal(rows[0].analyst, "bob");
    const shown = await onRecord("alice");
    assert.equal(shown.length, 1);
    assert.match(String(shown[0].label_on_record), /^true_positive by bob at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it("takes the analyst from the search's own context, not from anything the browser sends", async () => {
    const q = dataSourceQuery(detail, "ds_save");
    assert.match(q, /^\| rest \/services\/authentication\/current-context/);
    assert.match(q, /analyst=username/);
    assert.doesNotMatch(q, /\$analyst|\$env:user/);
  });

  it("writes nothing for a malformed event id or an unknown label, and a note cannot break out of its string", async () => {
    const n = emu.kv.list("soc_assistant_feedback").length;
    assert.deepEqual(await save("alice", { label_event: "not-an-id", label: "benign" }), []);
    assert.deepEqual(await save("alice", { label_event: EVENT, label: "delete_everything" }), []);
    await save("alice", { label_event: EVENT, label: "benign", note: 'x", label="true_positive' });
    const rows = emu.kv.list("soc_assistant_feedback");
    assert.equal(rows.length, n);
    assert.equal(rows[0].label, "benign");
    assert.equal(rows[0].note, 'x", label="true_positive');
  });

  it("shows 'not labelled yet' for an event nobody labelled, and stores the note box's 'none' as no note", async () => {
    const other = "b".repeat(64);
    const shown = await runAs(emu, "alice", substituteTokens(dataSourceQuery(detail, "ds_current"), { event_id: other }));
    assert.deepEqual(shown, [{ label_on_record: "not labelled yet" }]);
    await save("alice", { label_event: other, label: "benign", note: "none" });
    assert.equal(emu.kv.get("soc_assistant_feedback", other)?.note, "");
    emu.kv.remove("soc_assistant_feedback", other);
  });

  it("is what retraining reads: | inputlookup soc_assistant_feedback", async () => {
    const rows = await runAs(emu, "alice", "| inputlookup soc_assistant_feedback | table event_id label analyst time note");
    assert.deepEqual(rows.map((r) => [r.event_id, r.label]), [[EVENT, "benign"]]);
  });
});
