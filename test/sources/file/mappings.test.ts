import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_MAPPINGS,
  NSL_KDD_COLUMNS,
  parseFormat,
  resolveMapping,
} from "../../../sidecar/sources/file/mappings.ts";
import { Labeler, planColumns } from "../../../sidecar/sources/file/row.ts";

describe("field mappings", () => {
  it("maps Zeek conn.log names to CIM Network_Traffic names, originator = source", () => {
    const plan = planColumns(["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
      "duration", "orig_bytes", "resp_bytes", "conn_state", "orig_pkts", "resp_pkts", "history", "label"], DEFAULT_MAPPINGS.zeek);
    assert.deepEqual(plan.fields, ["uid", "src_ip", "src_port", "dest_ip", "dest_port", "transport", "app", "duration",
      "bytes_out", "bytes_in", "conn_state", "packets_out", "packets_in", "history"]);
    assert.equal(plan.timeIndex, 0);
    assert.equal(plan.labelIndex, 15);
  });

  it("names NSL-KDD's 43 columns and drops the difficulty", () => {
    assert.equal(NSL_KDD_COLUMNS.length, 43);
    const plan = planColumns(NSL_KDD_COLUMNS, resolveMapping("nsl-kdd"));
    assert.equal(plan.fields.length, 41);
    assert.deepEqual(plan.fields.slice(0, 6), ["duration", "transport", "app", "flag", "bytes_out", "bytes_in"]);
    assert.equal(plan.labelIndex, 41);
    assert.equal(plan.names[42], null);
  });

  it("renames UNSW-NB15's direction columns and drops id and attack_cat", () => {
    const plan = planColumns(["id", "dur", "proto", "service", "state", "spkts", "dpkts", "sbytes", "dbytes", "srcip",
      "sport", "dstip", "dsport", "attack_cat", "label"], resolveMapping("unsw-nb15"));
    assert.deepEqual(plan.fields, ["duration", "transport", "app", "state", "packets_out", "packets_in", "bytes_out",
      "bytes_in", "src_ip", "src_port", "dest_ip", "dest_port"]);
  });

  it("merges overrides: rename and labels extend the defaults, other keys replace them", () => {
    const m = resolveMapping("zeek", { rename: { history: "tcp_flags" }, labels: { "Suspicious": null }, drop: ["uid"] });
    assert.equal(m.rename["id.orig_h"], "src_ip");
    assert.equal(m.rename.history, "tcp_flags");
    assert.equal(m.labels.suspicious, null);
    assert.equal(m.labels.benign, 0);
    assert.deepEqual(m.drop, ["uid"]);
    // The defaults are not touched.
    assert.equal(DEFAULT_MAPPINGS.zeek.rename.history, undefined);
    assert.deepEqual(DEFAULT_MAPPINGS.zeek.drop, []);
  });

  it("lets --label-column replace the label candidates", () => {
    const m = resolveMapping("csv", {}, "class");
    assert.deepEqual(m.label, ["class"]);
    const plan = planColumns(["bytes_in", "label", "class"], m);
    assert.equal(plan.labelIndex, 2);
    // The default label column is then an ordinary field.
    assert.deepEqual(plan.fields, ["bytes_in", "label"]);
  });

  it("maps labels case-insensitively: benign/normal/0 → 0, background/unknown → excluded, others → 1", () => {
    const l = new Labeler(DEFAULT_MAPPINGS.zeek);
    const cases: [string, 0 | 1 | null | undefined][] = [
      ["Benign", 0], ["benign", 0], ["BENIGN", 0], ["normal", 0], ["0", 0],
      ["Malicious", 1], ["attack", 1], ["1", 1], ["neptune", 1], ["flow=From-Botnet-V42-TCP-CC", 1],
      ["Background", null], ["unknown", null],
      ["-", undefined], ["", undefined], ["(empty)", undefined],
    ];
    for (const [raw, want] of cases) assert.equal(l.label(raw), want, raw);
    // KDD Cup 99 ends labels with a dot.
    assert.equal(new Labeler(resolveMapping("nsl-kdd")).label("normal."), 0);
  });

  it("refuses an unknown format, listing the valid ones", () => {
    assert.equal(parseFormat("nsl-kdd"), "nsl-kdd");
    assert.throws(() => parseFormat("parquet"), { message: 'unknown format "parquet": use --format zeek|csv|jsonl|nsl-kdd|unsw-nb15' });
  });
});
