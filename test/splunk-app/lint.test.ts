import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cronFiringsPerHour, formatProblem, lintApp, type Problem } from "../../splunk-app/tools/lint.ts";
import { parseConf } from "../../splunk-app/tools/conf.ts";
import { append, edit, stagedApp } from "./helpers.ts";

describe("conf parser", () => {
  it("keeps stanzas, keys, values and lines; joins continuation lines; no inline comments", () => {
    const c = parseConf("# comment\n[a]\nx = 1 # not a comment\ny = one \\\n  two\n\n[b]\nz=3\n");
    assert.deepEqual(c.stanzas.map((s) => s.name), ["a", "b"]);
    assert.deepEqual(c.stanzas[0].settings, [
      { key: "x", value: "1 # not a comment", line: 3 },
      { key: "y", value: "one \ntwo", line: 4 },
    ]);
    assert.equal(c.stanzas[1].settings[0].line, 8);
    assert.deepEqual(c.syntax, []);
  });
  it("reports a line that is no setting and whitespace after a continuation backslash", () => {
    const c = parseConf("[a]\nnonsense\nk = v \\ \n");
    assert.deepEqual(c.syntax.map((s) => s.line), [2, 3]);
  });
  it("counts cron firings per hour and refuses names", () => {
    assert.equal(cronFiringsPerHour("*/5 * * * *"), 12);
    assert.equal(cronFiringsPerHour("* * * * *"), 60);
    assert.equal(cronFiringsPerHour("0 3 * * 0"), 1);
    assert.equal(cronFiringsPerHour("0 3 * * sun"), null);
    assert.equal(cronFiringsPerHour("61 * * * *"), null);
  });
});

describe("app linter", () => {
  let app: ReturnType<typeof stagedApp>;
  before(() => (app = stagedApp()));
  after(() => app.cleanup());

  it("passes the shipped app with no failures and no warnings", () => {
    const problems = lintApp(app.dir);
    assert.deepEqual(problems.map(formatProblem), []);
  });

  // One row per rule: a mutation of a fresh copy of the app that breaks it, and where the problem must point.
  const cases: { rule: string; severity?: "fail" | "warn"; breakIt: (dir: string) => void; file: string; stanza?: string; key?: string }[] = [
    { rule: "check_that_local_does_not_exist", breakIt: (d) => append(d, "local/macros.conf", "[x]\ndefinition = y\n"), file: "local/macros.conf" },
    { rule: "check_for_local_meta", breakIt: (d) => append(d, "metadata/local.meta", "[]\n"), file: "metadata/local.meta" },
    { rule: "check_that_users_does_not_exist", breakIt: (d) => append(d, "users/bob/x.conf", ""), file: "users/bob/x.conf" },
    { rule: "check_that_extracted_splunk_app_does_not_contain_prohibited_directories_or_files", breakIt: (d) => append(d, "default/.DS_Store", "x"), file: "default/.DS_Store" },
    { rule: "check_filenames_for_spaces", breakIt: (d) => append(d, "default/data/ui/nav/my nav.xml", "<nav/>"), file: "default/data/ui/nav/my nav.xml" },
    { rule: "check_for_bin_files", breakIt: (d) => chmodSync(join(d, "README.md"), 0o755), file: "README.md" },
    { rule: "check_that_extracted_splunk_app_does_not_contain_files_with_invalid_permissions", breakIt: (d) => chmodSync(join(d, "LICENSE"), 0o444), file: "LICENSE" },
    { rule: "check_that_extracted_splunk_app_does_not_contain_invalid_directories", breakIt: (d) => chmodSync(join(d, "static"), 0o555), file: "static" },
    { rule: "check_html_dashboards", breakIt: (d) => append(d, "default/data/ui/html/x.html", "<html/>"), file: "default/data/ui/html/x.html" },
    { rule: "check_hotlinking_splunk_web_libraries", breakIt: (d) => append(d, "appserver/static/x.js", "require(['splunkjs/mvc'], function(){});"), file: "appserver/static/x.js" },
    { rule: "check_simplexml_standards_version", breakIt: (d) => append(d, "default/data/ui/views/old.xml", "<dashboard><label>x</label></dashboard>"), file: "default/data/ui/views/old.xml" },
    { rule: "check_that_extracted_splunk_app_does_not_contains_only_app_conf_file", breakIt: (d) => {
      for (const x of ["README.md", "LICENSE", "static", "metadata", "default/data", ...["authorize", "collections", "eventtypes", "indexes", "macros", "props", "savedsearches", "tags", "transforms", "workflow_actions"].map((c) => `default/${c}.conf`)]) rmSync(join(d, x), { recursive: true });
    }, file: "default/app.conf" },
    { rule: "check_config_file_parsing", breakIt: (d) => append(d, "default/macros.conf", "\n[soc_dedup]\ndefinition = dedup event_id\n"), file: "default/macros.conf", stanza: "soc_dedup" },
    { rule: "check_config_file_parsing", breakIt: (d) => edit(d, "default/props.conf", (t) => t.replace("TRUNCATE = 0", "TRUNCATE = 0\nTRUNCATE = 10000")), file: "default/props.conf", stanza: "soc_assistant:risk", key: "TRUNCATE" },
    { rule: "check_no_default_stanzas", breakIt: (d) => edit(d, "default/props.conf", (t) => `[default]\nTRUNCATE = 5\n${t}`), file: "default/props.conf", stanza: "default" },
    { rule: "soc_spec_allowlist", breakIt: (d) => edit(d, "default/props.conf", (t) => t.replace("KV_MODE = json", "KV_MODE = json\nKV_MDOE = json")), file: "default/props.conf", stanza: "soc_assistant:risk", key: "KV_MDOE" },
    { rule: "soc_spec_allowlist", breakIt: (d) => append(d, "default/authorize.conf", "\n[role_x]\nall_powerful = enabled\n"), file: "default/authorize.conf", stanza: "role_x", key: "all_powerful" },
    { rule: "check_reload_trigger_for_all_custom_confs", breakIt: (d) => append(d, "default/soc_assistant.conf", "[x]\na = b\n"), file: "default/soc_assistant.conf" },
    { rule: "check_for_trigger_stanza", breakIt: (d) => append(d, "default/app.conf", "\n[triggers]\nreload.macros = simple\n"), file: "default/app.conf", stanza: "triggers", key: "reload.macros" },
    { rule: "check_manipulation_outside_of_app_container", breakIt: (d) => append(d, "default/commands.conf", "[x]\nfilename = ../../etc/passwd\n"), file: "default/commands.conf", stanza: "x", key: "filename" },
    { rule: "check_version_is_valid_semver", breakIt: (d) => edit(d, "default/app.conf", (t) => t.replace(/(\[id\][^[]*version = )\S+/, "$11.0")), file: "default/app.conf", stanza: "id", key: "version" },
    { rule: "check_version_is_valid_semver", breakIt: (d) => edit(d, "default/app.conf", (t) => t.replace(/(\[launcher\][^[]*version = )\S+/, "$19.9.9")), file: "default/app.conf", stanza: "launcher", key: "version" },
    { rule: "check_for_valid_package_id", breakIt: (d) => edit(d, "default/app.conf", (t) => t.replace("id = soc_assistant", "id = other_app")), file: "default/app.conf", stanza: "package", key: "id" },
    { rule: "check_for_valid_package_id", breakIt: (d) => edit(d, "default/app.conf", (t) => t.replace("name = soc_assistant", "name = soc-assistant")), file: "default/app.conf", stanza: "id", key: "name" },
    { rule: "check_for_valid_ui_label", breakIt: (d) => edit(d, "default/app.conf", (t) => t.replace("label = SOC Assistant", "label = SOC")), file: "default/app.conf", stanza: "ui", key: "label" },
    { rule: "check_for_valid_ui_label", breakIt: (d) => edit(d, "default/app.conf", (t) => t.replace(/\[ui\][^[]*/, "")), file: "default/app.conf", stanza: "ui" },
    { rule: "check_that_setup_has_not_been_performed", breakIt: (d) => edit(d, "default/app.conf", (t) => t.replace("is_configured = false", "is_configured = true")), file: "default/app.conf", stanza: "install", key: "is_configured" },
    { rule: "check_no_install_source_checksum", breakIt: (d) => edit(d, "default/app.conf", (t) => t.replace("[install]", "[install]\ninstall_source_checksum = abc")), file: "default/app.conf", stanza: "install", key: "install_source_checksum" },
    { rule: "soc_app_build", breakIt: (d) => edit(d, "default/app.conf", (t) => t.replace(/build = \d+/, "build = 1.2")), file: "default/app.conf", stanza: "install", key: "build" },
    { rule: "check_meta_default_write_access", breakIt: (d) => edit(d, "metadata/default.meta", (t) => t.replace("write : [ admin, sc_admin ]", "write : [ * ]")), file: "metadata/default.meta", stanza: "", key: "access" },
    { rule: "check_kos_are_accessible", severity: "warn", breakIt: (d) => edit(d, "metadata/default.meta", (t) => t.replace("write : [ admin, sc_admin ]\nexport", "write : [ admin ]\nexport")), file: "metadata/default.meta", stanza: "", key: "access" },
    { rule: "check_lower_cased_index_names", breakIt: (d) => edit(d, "default/indexes.conf", (t) => t.replace("[soc_risk]", "[SOC_Risk]").replaceAll("$SPLUNK_DB/soc_risk/", "$SPLUNK_DB/SOC_Risk/")), file: "default/indexes.conf", stanza: "SOC_Risk" },
    { rule: "check_validate_default_indexes_not_modified", breakIt: (d) => append(d, "default/indexes.conf", "\n[main]\nhomePath = $SPLUNK_DB/main/db\ncoldPath = $SPLUNK_DB/main/colddb\nthawedPath = $SPLUNK_DB/main/thaweddb\n"), file: "default/indexes.conf", stanza: "main" },
    { rule: "check_indexes_conf_properties", breakIt: (d) => edit(d, "default/indexes.conf", (t) => t.replace("datatype = event", "datatype = event\nmaxTotalDataSizeMB = 1000")), file: "default/indexes.conf", stanza: "soc_risk", key: "maxTotalDataSizeMB" },
    { rule: "check_indexes_conf_properties", breakIt: (d) => edit(d, "default/indexes.conf", (t) => t.replace("$SPLUNK_DB/soc_risk/colddb", "/data/cold/soc_risk")), file: "default/indexes.conf", stanza: "soc_risk", key: "coldPath" },
    { rule: "check_inputs_conf_for_http_inputs", breakIt: (d) => append(d, "default/inputs.conf", "[http://soc]\ntoken = 00000000-0000-0000-0000-000000000000\n"), file: "default/inputs.conf", stanza: "http://soc" },
    { rule: "check_inputs_conf_for_http_global_usage", breakIt: (d) => append(d, "default/inputs.conf", "[http]\ndisabled = 0\n"), file: "default/inputs.conf", stanza: "http" },
    { rule: "check_for_sched_saved_searches_earliest_time", breakIt: (d) => edit(d, "default/savedsearches.conf", (t) => t.replace("dispatch.earliest_time = -15m\n", "")), file: "default/savedsearches.conf", stanza: "SOC Assistant - No scoring runs", key: "dispatch.earliest_time" },
    { rule: "check_for_sched_saved_searches_latest_time", severity: "warn", breakIt: (d) => edit(d, "default/savedsearches.conf", (t) => t.replace("dispatch.earliest_time = -15m\ndispatch.latest_time = now\n", "dispatch.earliest_time = -15m\n")), file: "default/savedsearches.conf", stanza: "SOC Assistant - No scoring runs", key: "dispatch.latest_time" },
    { rule: "check_for_gratuitous_cron_scheduling", breakIt: (d) => edit(d, "default/savedsearches.conf", (t) => t.replace("cron_schedule = 0 3 * * 0", "cron_schedule = 0 3 * * sun")), file: "default/savedsearches.conf", stanza: "SOC Assistant - Retrain when analysts labelled events", key: "cron_schedule" },
    { rule: "check_for_gratuitous_cron_scheduling", severity: "warn", breakIt: (d) => edit(d, "default/savedsearches.conf", (t) => t.replace("cron_schedule = */5 * * * *", "cron_schedule = * * * * *")), file: "default/savedsearches.conf", stanza: "SOC Assistant - No scoring runs", key: "cron_schedule" },
    { rule: "check_for_real_time_saved_searches_for_cloud", breakIt: (d) => edit(d, "default/savedsearches.conf", (t) => t.replace("dispatch.earliest_time = -15m", "dispatch.earliest_time = rt-15m")), file: "default/savedsearches.conf", stanza: "SOC Assistant - No scoring runs", key: "dispatch.earliest_time" },
    { rule: "check_for_sched_saved_searches_action_script_filename", breakIt: (d) => edit(d, "default/savedsearches.conf", (t) => t.replace("alert.severity = 4", "alert.severity = 4\naction.script.filename = run.sh")), file: "default/savedsearches.conf", stanza: "SOC Assistant - No scoring runs", key: "action.script.filename" },
    { rule: "check_for_saved_searches_populate_lookup", breakIt: (d) => edit(d, "default/savedsearches.conf", (t) => t.replace("alert.severity = 4", "alert.severity = 4\naction.populate_lookup = 1")), file: "default/savedsearches.conf", stanza: "SOC Assistant - No scoring runs", key: "action.populate_lookup" },
    { rule: "check_for_emails_in_saved_search", breakIt: (d) => edit(d, "default/savedsearches.conf", (t) => t.replace("alert.severity = 4", "alert.severity = 4\naction.email.to = soc@example.com")), file: "default/savedsearches.conf", stanza: "SOC Assistant - No scoring runs", key: "action.email.to" },
    { rule: "check_for_empty_saved_search_description", breakIt: (d) => edit(d, "default/savedsearches.conf", (t) => t.replace(/^description = Fires when no sidecar.*$/m, "description =")), file: "default/savedsearches.conf", stanza: "SOC Assistant - No scoring runs", key: "description" },
    { rule: "soc_index_through_macro", breakIt: (d) => edit(d, "default/eventtypes.conf", (t) => t.replace("search = `soc_run_events`", "search = index=soc_risk sourcetype=soc_assistant:run")), file: "default/eventtypes.conf", stanza: "soc_assistant_run", key: "search" },
    { rule: "soc_macro_defined", breakIt: (d) => edit(d, "default/eventtypes.conf", (t) => t.replace("search = `soc_run_events`", "search = `soc_run_event`")), file: "default/eventtypes.conf", stanza: "soc_assistant_run", key: "search" },
    { rule: "soc_macro_defined", breakIt: (d) => edit(d, "default/workflow_actions.conf", (t) => t.replace("`soc_object_traffic($risk_object$)`", "`soc_object_traffic($risk_object$,$dest_ip$)`")), file: "default/workflow_actions.conf", stanza: "soc_assistant_risk_object_traffic", key: "search.search_string" },
    { rule: "soc_readme", breakIt: (d) => rmSync(join(d, "README.md")), file: "README.md" },
  ];

  for (const c of cases) {
    it(`breaks ${c.rule} and reports ${c.file}${c.stanza !== undefined ? ` [${c.stanza}]` : ""}${c.key ? ` ${c.key}` : ""}`, () => {
      const fresh = stagedApp();
      try {
        c.breakIt(fresh.dir);
        const problems = lintApp(fresh.dir);
        const hit = problems.find((p: Problem) => p.rule === c.rule && p.file === c.file && (c.stanza === undefined || p.stanza === c.stanza) && (c.key === undefined || p.key === c.key));
        assert.ok(hit, `expected ${c.rule} at ${c.file}; got:\n${problems.map(formatProblem).join("\n")}`);
        assert.equal(hit.severity, c.severity ?? "fail");
      } finally {
        fresh.cleanup();
      }
    });
  }

  it("reports a folder name that starts with a digit", () => {
    const fresh = stagedApp();
    try {
      const other = join(fresh.root, "1soc");
      mkdirSync(other);
      writeFileSync(join(other, "x"), "");
      assert.ok(lintApp(other).some((p) => p.rule === "check_that_app_name_config_is_valid"));
    } finally {
      fresh.cleanup();
    }
  });
});
