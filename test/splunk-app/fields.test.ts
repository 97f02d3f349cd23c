import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { formatProblem, lintApp, loadApp } from "../../splunk-app/tools/lint.ts";
import { calculatedFields, checkSearchFields } from "../../splunk-app/tools/fields.ts";
import { appKnowledge } from "../../splunk-app/tools/knowledge.ts";
import { RISK_EVENT_FIELDS } from "../../sidecar/contract/index.ts";
import { edit, stagedApp } from "./helpers.ts";

describe("field names against the sidecar's contract", () => {
  let app: ReturnType<typeof stagedApp>;
  before(() => (app = stagedApp()));
  after(() => app.cleanup());

  it("every search of the app (dashboards, saved searches, eventtypes, workflow actions) parses and names only contract fields", () => {
    const problems = lintApp(app.dir).filter((p) => p.rule === "soc_field_in_contract" || p.rule === "soc_spl_parses");
    assert.deepEqual(problems.map(formatProblem), []);
    const loaded = loadApp(app.dir);
    assert.ok(loaded.searches.filter((s) => s.dataSource).length >= 25, "the dashboards' searches are all checked");
  });

  it("uses the contract's own list: a field the risk event has passes, a renamed one fails", () => {
    const k = appKnowledge(app.dir);
    const calc = calculatedFields(loadApp(app.dir));
    assert.ok(RISK_EVENT_FIELDS.includes("risk_score"));
    assert.deepEqual(checkSearchFields("`soc_risk_events` | table risk_score top_feature", k, calc).unknown, []);
    assert.deepEqual(checkSearchFields("`soc_risk_events` | table risk_scroe", k, calc).unknown, ["risk_scroe"]);
    assert.deepEqual(checkSearchFields("`soc_risk_events` | eval x=risk_score*2 | stats max(x) as m by risk_object | table m risk_object", k, calc).unknown, []);
    assert.deepEqual(checkSearchFields("`soc_risk_events` | stats max(risk_score) as m by risk_object | table risk_score", k, calc).unknown, ["risk_score"], "stats drops the fields it does not output");
    assert.deepEqual(checkSearchFields("`soc_run_events` | table by_band.critical by_band.severe", k, calc).unknown, ["by_band.severe"]);
    assert.deepEqual(checkSearchFields("`soc_model_events` | table action version risk_score", k, calc).unknown, ["risk_score"], "a run or model search gets its own schema");
    assert.deepEqual(checkSearchFields("| inputlookup soc_assistant_feedback | table event_id label analyst time note labeler", k, calc).unknown, ["labeler"]);
  });

  const breaks: { what: string; file: string; from: string; to: string; stanza: string }[] = [
    { what: "a dashboard table", file: "default/data/ui/views/soc_assistant_overview.xml", from: "| table time risk_score risk_band", to: "| table time risk_score risk_level", stanza: "ds_ranked" },
    { what: "a dashboard drilldown token", file: "default/data/ui/views/soc_assistant_event_detail.xml", from: "`soc_object_traffic($row.risk_object.value$)`", to: "`soc_object_traffic($row.src_host.value$)`", stanza: "viz_pivot_object" },
    { what: "a saved search", file: "default/savedsearches.conf", from: "values(top_feature) as reasons by risk_object | sort 0 - max_score\n", to: "values(top_reason) as reasons by risk_object | sort 0 - max_score\n", stanza: "SOC Assistant - High risk objects (24h)" },
    { what: "a workflow action", file: "default/workflow_actions.conf", from: "label = All traffic of $risk_object$", to: "label = All traffic of $risk_host$", stanza: "soc_assistant_risk_object_traffic" },
  ];
  for (const b of breaks) {
    it(`fails when ${b.what} names a field the sidecar does not write`, () => {
      const fresh = stagedApp();
      try {
        edit(fresh.dir, b.file, (t) => {
          assert.ok(t.includes(b.from), `fixture text not found in ${b.file}`);
          return t.replace(b.from, b.to);
        });
        const hits = lintApp(fresh.dir).filter((p) => p.rule === "soc_field_in_contract");
        assert.equal(hits.length, 1, hits.map(formatProblem).join("\n"));
        assert.equal(hits[0].file, b.file);
        assert.equal(hits[0].stanza, b.stanza);
      } finally {
        fresh.cleanup();
      }
    });
  }
});
