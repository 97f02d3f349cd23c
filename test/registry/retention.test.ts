import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ModelRegistry } from "../../sidecar/registry/registry.ts";
import { addVersion, makeRegistry, MODEL } from "../helpers/models.ts";

describe("registry retention", () => {
  it("keeps the current, the previous and the newest N versions, and never the one a pointer names", () => {
    const dir = makeRegistry(["good", "good", "good", "good", "good", "good"]);
    const r = new ModelRegistry(dir);
    r.promote(MODEL, "v0002");
    r.promote(MODEL, "v0003");
    assert.deepEqual(r.prune(MODEL, 2), ["v0001", "v0004"]);
    assert.deepEqual(r.versions(MODEL), ["v0002", "v0003", "v0005", "v0006"], "current v0003, previous v0002, newest two");
    assert.equal(r.rollbackTarget(MODEL), "v0002");
    addVersion(dir, "v0007", "good");
    assert.deepEqual(r.prune(MODEL, 0), ["v0005", "v0006", "v0007"]);
    assert.deepEqual(r.versions(MODEL), ["v0002", "v0003"]);
  });
});
