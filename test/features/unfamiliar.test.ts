import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_FEATURE_CONFIG } from "../../sidecar/features/defaults.ts";
import { compileFeaturizer, featurizeRows } from "../../sidecar/features/featurize.ts";
import { fitFeatureSpec } from "../../sidecar/features/fit.ts";
import type { FeatureSpec } from "../../sidecar/features/spec.ts";
import { Scorer } from "../../sidecar/scoring/scorer.ts";
import type { Fields } from "../../sidecar/sources/event.ts";
import { buildModel, useWasm } from "../scoring/helpers.ts";

/** Zeek-like flows over every default feature, with a rare `app` value (`irc`, seen once). */
const flows: Fields[] = Array.from({ length: 60 }, (_, i) => ({
  duration: String((i % 7) * 0.25),
  bytes_in: String(i * 37),
  bytes_out: String(i * 11 + 1),
  packets_in: String(i % 5),
  packets_out: String((i % 3) + 1),
  missed_bytes: "0",
  orig_ip_bytes: String(i * 11 + 41),
  resp_ip_bytes: String(i * 37 + 40),
  transport: i % 4 === 0 ? "udp" : "tcp",
  app: i === 7 ? "irc" : i % 3 === 0 ? "dns" : i % 3 === 1 ? "http" : "-",
  conn_state: ["SF", "S0", "REJ"][i % 3],
  history: ["ShADadFf", "S", "Sr"][i % 3],
  dest_port: [53, 80, 5355, 443][i % 4],
}));

function row(spec: FeatureSpec, f: Fields): Float32Array {
  const out = new Float32Array(spec.columns.length);
  compileFeaturizer(spec)(f, out, 0);
  return out;
}

function without(f: Fields, ...fields: string[]): Fields {
  const copy = { ...f };
  for (const k of fields) delete copy[k];
  return copy;
}

describe("unfamiliar inputs (unfamiliar_as_missing)", () => {
  const spec = fitFeatureSpec(flows, DEFAULT_FEATURE_CONFIG);

  it("is on in the default feature config, and remembers the rare values", () => {
    assert.equal(spec.config.unfamiliar_as_missing, true);
    assert.deepEqual(spec.categorical.find((c) => c.field === "app")!.rare, ["irc"]);
  });

  it("reads a categorical value never seen in training as missing, and a rare one as :oov", () => {
    for (let i = 0; i < flows.length; i += 5) {
      const base = flows[i]!;
      assert.deepEqual(row(spec, { ...base, app: "llmnr", transport: "sctp", conn_state: "weird" }), row(spec, without(base, "app", "transport", "conn_state")));
    }
    const oov = spec.columns.findIndex((c) => c.name === "app:oov");
    assert.equal(row(spec, { ...flows[0]!, app: "IRC" })[oov], 1, "a rare training value keeps its :oov column");
  });

  it("reads numbers far outside the training range as missing, in their columns and in derived features", () => {
    for (let i = 0; i < flows.length; i += 5) {
      const base = flows[i]!;
      const far = { ...base, bytes_out: "1e15", duration: 1e9, packets_in: -1e12 };
      assert.deepEqual(row(spec, far), row(spec, without(base, "bytes_out", "duration", "packets_in")));
    }
    // Inside the widened range a number is still a number.
    const near = row(spec, { ...flows[1]!, bytes_out: "1000" });
    assert.equal(near[spec.columns.findIndex((c) => c.name === "bytes_out:missing")], 0);
  });

  it("leaves a spec fitted without the option as before: unseen categories go to :oov", () => {
    const old = fitFeatureSpec(flows, { ...DEFAULT_FEATURE_CONFIG, unfamiliar_as_missing: undefined });
    assert.equal(old.categorical[0]!.rare, undefined);
    const oov = old.columns.findIndex((c) => c.name === "app:oov");
    assert.equal(row(old, { ...flows[2]!, app: "llmnr" })[oov], 1);
  });

  describe("scored", () => {
    before(async () => {
      await useWasm();
    });

    it("scores events with unseen categories or far-out numbers no higher than the same events with those fields missing", () => {
      const width = spec.columns.length;
      for (const seed of [1, 2, 3]) {
        const scorer = Scorer.fromModel(buildModel(width, [{ units: 16, activation: "relu" }, { units: 1, activation: "sigmoid" }], seed), { calibration: { method: "platt", a: 1, b: 0 } });
        try {
          const unfamiliar = flows.map((f) => ({ ...f, app: "llmnr", conn_state: "OTH-new", bytes_in: "1e14" }));
          const missing = flows.map((f) => without(f, "app", "conn_state", "bytes_in"));
          const a = scorer.score(featurizeRows(spec, unfamiliar), flows.length);
          const b = scorer.score(featurizeRows(spec, missing), flows.length);
          for (let i = 0; i < flows.length; i++) assert.ok(a[i]! <= b[i]!, `seed ${seed} row ${i}: ${a[i]} > ${b[i]}`);
        } finally {
          scorer.dispose();
        }
      }
    });
  });
});
