/**
 * Retraining from a Splunk search, end to end through the SDK against the emulator (or a real Splunk named by
 * the environment, see test/helpers/splunk-target.ts): labeled flows in an index, analyst labels in the `soc_assistant_feedback`
 * KV store collection, the training set they make, and one retraining that trains, evaluates, decides and
 * writes its `soc_assistant:model` event to the index through HEC.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../sidecar/config/load.ts";
import { MODEL_SOURCETYPE } from "../../sidecar/contract/index.ts";
import { retrainSpec, wire } from "../../sidecar/service/wiring.ts";
import { ModelHolder } from "../../sidecar/scoring/holder.ts";
import { SplunkClient } from "../../sidecar/splunk/sdk.ts";
import { initBackend } from "../../sidecar/tf/backend.ts";
import { readFeedback, withFeedback, type FeedbackStats } from "../../sidecar/training/feedback.ts";
import { ModelEventLog } from "../../sidecar/training/model-events.ts";
import { Retrainer } from "../../sidecar/training/retrainer.ts";
import { readSearch, splunkTrainingData } from "../../sidecar/training/splunk-data.ts";
import { eventId } from "../../sidecar/sources/event-id.ts";
import { emulatorTarget, requireHec, type Target } from "../helpers/splunk-target.ts";

const COLLECTION = "soc_assistant_feedback";

function flows(n: number, t0: number): { time: number; raw: string; label: string }[] {
  let s = 99;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, (_, i) => {
    const transport = r() < 0.5 ? "udp" : "tcp";
    const bytes = Math.floor(Math.exp(r() * 12));
    const label = transport === "udp" && bytes > 3000 ? "attack" : "benign";
    const time = t0 + i;
    return { time, label, raw: JSON.stringify({ time, transport, bytes_out: bytes, duration: Number((r() * 10).toFixed(3)), label }) };
  });
}

describe("retraining from a Splunk search (emulator)", () => {
  let t: Target;
  let rows: ReturnType<typeof flows>;
  const flipped: string[] = [];
  before(async () => {
    await initBackend("wasm");
    t = await emulatorTarget({ app: { collections: [COLLECTION], lookups: { [COLLECTION]: COLLECTION } } });
    rows = flows(600, Math.floor(t.now() / 1000) - 3600);
    await t.seed(rows, { sourcetype: "flows:json", source: "retrain-e2e" });
    // Analysts relabel 20 benign flows as true positives (the second label of each wins), plus two bad rows.
    const benign = rows.filter((r) => r.label === "benign").slice(0, 20);
    const id = (raw: string) => createHash("sha256").update(`${t.index}|${raw}`).digest("hex");
    const labels: Record<string, unknown>[] = [];
    for (const b of benign) {
      flipped.push(id(b.raw));
      labels.push({ event_id: id(b.raw), label: "benign", analyst: "ann", time: 100 });
      labels.push({ event_id: id(b.raw), label: "true_positive", analyst: "bob", time: 200 });
    }
    labels.push({ label: "true_positive", analyst: "bob", time: 300 });
    labels.push({ event_id: id(benign[0]!.raw), label: "maybe", analyst: "bob", time: 400 });
    // The collection's REST endpoint, as the app's dashboard writes it (batch_save), over HTTPS with the target's CA.
    const status = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify(labels);
      const req = httpsRequest(
        `${t.url}/servicesNS/nobody/soc_assistant/storage/collections/data/${COLLECTION}/batch_save`,
        {
          method: "POST",
          ca: t.caFile ? readFileSync(t.caFile) : undefined,
          rejectUnauthorized: t.verifyTls,
          headers: { Authorization: t.password ? `Basic ${Buffer.from(`${t.password.username}:${t.password.password}`).toString("base64")}` : `Bearer ${t.token}`, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    assert.ok(status < 300, `batch_save answered ${status}`);
  });
  after(() => t?.stop());

  it("analyst labels from the collection change the labels of the training set (last label per event_id wins, bad rows counted and skipped)", async () => {
    const client = new SplunkClient(t.connection());
    try {
      const search = { name: "flows", query: `index=${t.index} sourcetype=flows:json`, label_field: "label", label_map: {}, earliest: "-1d", latest: "now", field_map: {}, max_rows: 200_000, max_rows_read: 2_000_000, page_size: 250 };
      const plain = await splunkTrainingData({ client, search, seed: 1 }).read();
      assert.equal(plain.events.length, 600);
      let stats: FeedbackStats | undefined;
      const withLabels = await withFeedback(splunkTrainingData({ client, search, seed: 1, includeUnlabeled: true }), (s) => readFeedback(client, COLLECTION, s), eventId, (s) => (stats = s)).read();
      assert.equal(withLabels.description.positives, plain.description.positives + 20);
      const byId = new Map(withLabels.events.map((e) => [eventId(e), e.label]));
      assert.deepEqual(flipped.map((id) => byId.get(id)), flipped.map(() => 1), "each relabeled flow trains as an attack");
      assert.equal(stats!.applied, 20);
      assert.equal(stats!.changed, 20);
      assert.equal(stats!.skipped_no_event_id, 1);
      assert.equal(stats!.skipped_unknown_label, 1);
      assert.ok(!("label" in withLabels.events[0]!.fields), "the label field is not a feature");
    } finally {
      client.close();
    }
  });

  it("retrains from the search: trains, evaluates, decides, and the model event is in the index", async () => {
    const dir = mkdtempSync(join(tmpdir(), "retrain-e2e-"));
    const auth = t.password ? { username: t.password.username, password: t.password.password } : { token: t.token };
    const hec = requireHec(t);
    const config = parseConfig({
      source: { type: "file", file: { paths: ["data/sample/conn.sample.log"] } },
      sink: { type: "splunk_hec" },
      splunk: { url: t.url, ...auth, ca_file: t.caFile, verify_tls: t.verifyTls, app: "search" },
      hec: { url: hec.url, token: hec.token, index: t.riskIndex, ca_file: t.caFile, ack: hec.ack, create_index: true },
      model: { registry_dir: dir, name: "flows", backend: "wasm", architecture: { hidden: [{ units: 8 }], learning_rate: 0.02 }, training: { epochs: 6, batch_size: 64 } },
      retrain: { data: { type: "splunk", splunk: { name: "flows", query: `index=${t.index} sourcetype=flows:json`, earliest: "-1d" } }, min_rows: 100 },
    });
    const wiring = wire(config);
    const holder = new ModelHolder({ registryDir: dir, name: "flows", backend: "wasm", workers: 0 });
    const retrainer = new Retrainer({
      name: "flows",
      registryDir: dir,
      backend: "wasm",
      spec: (d) => retrainSpec(config, d),
      rule: { metric: "pr_auc", tolerance: 0.005, benignHighTolerance: 0.01 },
      promote: (v, a) => holder.promote(v, a),
      events: new ModelEventLog(dir, async (e) => {
        const r = await wiring.modelSink.send([{ ...e }]);
        const f = r.kind === "success" ? await wiring.modelSink.flush() : r;
        if (f.kind !== "success") throw new Error(f.reason);
      }),
      keepVersions: 3,
      mode: "inline",
    });
    try {
      await wiring.modelSink.start();
      await wiring.sink.start();
      assert.equal(await wiring.check(), null, "Splunk and HEC answer, the index exists");
      const outcome = await retrainer.run({ actor: { kind: "api", user: "e2e" }, trigger: "e2e" });
      assert.ok(!("busy" in outcome));
      assert.equal(outcome.status, "promoted", outcome.reason);
      assert.equal(outcome.event.data!.feedback_labels, 20, "the analyst labels reached the training");
      const client = new SplunkClient(t.connection());
      try {
        const found: Record<string, unknown>[] = [];
        for (let i = 0; i < 50 && found.length === 0; i++) {
          await readSearch(client, `search index=${t.riskIndex} sourcetype="${MODEL_SOURCETYPE}"`, { earliest_time: "0" }, { pageSize: 100, maxRows: 1000 }, (page) => found.push(...page));
          if (found.length === 0) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(found.length, 1);
        const body = JSON.parse(String(found[0]!._raw)) as Record<string, unknown>;
        assert.equal(body.action, "promoted");
        assert.equal(body.version, "v0001");
        assert.deepEqual(body.actor, { kind: "api", user: "e2e" });
        assert.match(String((body.data as { source: string }).source), /^splunk:flows: the newest 120 rows by event time/);
      } finally {
        client.close();
      }
    } finally {
      await wiring.modelSink.shutdown();
      await wiring.sink.shutdown();
      await holder.shutdown();
      wiring.close();
    }
  });
});
