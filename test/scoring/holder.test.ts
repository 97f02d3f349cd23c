import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ModelHolder } from "../../sidecar/scoring/holder.ts";
import { useWasm } from "./helpers.ts";
import { currentOf, makeRegistry, MODEL, setCurrentByHand } from "../helpers/models.ts";

function holder(dir: string, checkInput?: ConstructorParameters<typeof ModelHolder>[0]["checkInput"]): ModelHolder {
  return new ModelHolder({ registryDir: dir, name: MODEL, backend: "wasm", workers: 0, checkInput });
}

describe("ModelHolder", () => {
  it("hands each run the current version and picks up a promotion at the next acquire", async () => {
    await useWasm();
    const h = holder(makeRegistry());
    await h.start();
    assert.equal(h.notReadyReason(), null);
    const first = (await h.acquire())!;
    assert.equal(first.model.version, "v0001");
    first.release();
    await h.promote("v0002", "cli");
    const second = (await h.acquire())!;
    assert.equal(second.model.version, "v0002");
    second.release();
    await h.shutdown();
  });

  it("lets a run in flight finish on the version it started with, and closes that version only when it is released", async () => {
    await useWasm();
    const h = holder(makeRegistry());
    await h.start();
    const inFlight = (await h.acquire())!;
    let closed = false;
    const close = inFlight.model.close.bind(inFlight.model);
    inFlight.model.close = async () => {
      closed = true;
      await close();
    };
    await h.promote("v0002");
    assert.equal(inFlight.model.version, "v0001");
    const x = new Float32Array(inFlight.model.width);
    const [p] = await inFlight.model.score(x, 1);
    assert.ok(Number.isFinite(p), "the old version still scores");
    assert.equal(closed, false, "not closed while leased");
    inFlight.release();
    assert.equal(closed, true, "closed once released");
    assert.equal((await h.acquire())!.model.version, "v0002");
    await h.shutdown();
  });

  it("refuses to promote a version whose outputs are not finite, and leaves the pointer where it was", async () => {
    await useWasm();
    const dir = makeRegistry(["good", "nan"]);
    const h = holder(dir);
    await h.start();
    await assert.rejects(h.promote("v0002"), /output on a probe batch is NaN/);
    assert.equal(currentOf(dir), "v0001");
    assert.equal((await h.acquire())!.model.version, "v0001");
    assert.equal(h.notReadyReason(), null);
    await h.shutdown();
  });

  it("refuses to promote a version that does not load, or that the input cannot feed", async () => {
    await useWasm();
    const dir = makeRegistry(["good", "width", "good"]);
    const h = holder(dir, (m) => (m.version === "v0003" ? Promise.reject(new Error("input lacks fields that model reads: conn_state")) : Promise.resolve()));
    await h.start();
    await assert.rejects(h.promote("v0002"), /takes rows of \d+ values but .* describes \d+ feature columns/);
    await assert.rejects(h.promote("v0003"), /lacks fields/);
    assert.equal(currentOf(dir), "v0001");
    await h.shutdown();
  });

  it("keeps the last good version scoring when the pointer is moved by hand to a broken one, and says why", async () => {
    await useWasm();
    const dir = makeRegistry(["good", "nan"]);
    const h = holder(dir);
    await h.start();
    setCurrentByHand(dir, "v0002");
    const lease = (await h.acquire())!;
    assert.equal(lease.model.version, "v0001");
    lease.release();
    assert.match(h.notReadyReason() ?? "", /zeek-conn@v0002 \(the registry's current version\) cannot be used: .*NaN.*Still scoring with v0001/);
    setCurrentByHand(dir, "v0001");
    await h.refresh();
    assert.equal(h.notReadyReason(), null, "ready again once the pointer is fixed");
    await h.shutdown();
  });

  it("is not ready with the reason when no version can load at start", async () => {
    await useWasm();
    const dir = makeRegistry(["nan"]);
    const h = holder(dir);
    await h.start();
    assert.equal(await h.acquire(), null);
    assert.match(h.notReadyReason() ?? "", /model zeek-conn@v0001 .* cannot be used: .*NaN/);
    await h.shutdown();
  });

  it("rolls back to the previous verified version and refuses a rollback onto a broken one", async () => {
    await useWasm();
    const dir = makeRegistry(["good", "good"]);
    const h = holder(dir);
    await h.start();
    await h.promote("v0002");
    const r = await h.rollback();
    assert.deepEqual([r.from, r.to], ["v0002", "v0001"]);
    assert.equal((await h.acquire())!.model.version, "v0001");
    await h.shutdown();

    const broken = makeRegistry(["nan", "good"]);
    setCurrentByHand(broken, "v0002");
    const h2 = holder(broken);
    await h2.start();
    // The history says v0001 then (by hand) v0002: rolling back would land on the NaN version.
    await assert.rejects(h2.rollback(), /NaN/);
    assert.equal(currentOf(broken), "v0002");
    await h2.shutdown();
  });
});
