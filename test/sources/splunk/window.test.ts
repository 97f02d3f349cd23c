// Window planning as pure functions of the position, the settings and an injected clock.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EVENT_TIME_SLACK_SECONDS, parsePosition, planWindow, positionAfter, type SplunkPosition, type WindowSettings } from "../../../sidecar/sources/splunk/window.ts";
import { SplunkSource } from "../../../sidecar/sources/splunk/source.ts";
import type { SplunkClient } from "../../../sidecar/splunk/sdk.ts";

const S: WindowSettings = { lag_seconds: 60, max_window_seconds: 3600, initial_lookback_seconds: 7200, max_lateness_seconds: 86400 };
const NOW = 1_800_000_000; // epoch seconds
const ms = (s: number) => s * 1000;

describe("Splunk window planning", () => {
  it("starts the first run at now - initial_lookback_seconds, capped at max_window_seconds", () => {
    const w = planWindow(undefined, S, ms(NOW));
    assert.deepEqual(w, { start: NOW - 7200, end: NOW - 7200 + 3600, earliest: NOW - 7200 - 86400, latest: NOW - 3600 + EVENT_TIME_SLACK_SECONDS });
  });

  it("ends a window at now - lag_seconds when less than max_window_seconds is left", () => {
    const w = planWindow({ indexed_before: NOW - 600 }, S, ms(NOW) + 999);
    assert.equal(w?.start, NOW - 600);
    assert.equal(w?.end, NOW - 60);
  });

  it("plans nothing when the checkpoint has reached now - lag_seconds", () => {
    assert.equal(planWindow({ indexed_before: NOW - 60 }, S, ms(NOW)), null);
    assert.equal(planWindow({ indexed_before: NOW - 30 }, S, ms(NOW)), null);
    assert.notEqual(planWindow({ indexed_before: NOW - 61 }, S, ms(NOW)), null);
  });

  it("takes the future-time slack from future_slack_seconds when set", () => {
    const w = planWindow({ indexed_before: NOW - 1000 }, { ...S, future_slack_seconds: 30 }, ms(NOW))!;
    assert.equal(w.latest, NOW - 60 + 30);
    assert.equal(planWindow({ indexed_before: NOW - 1000 }, { ...S, future_slack_seconds: 0 }, ms(NOW))!.latest, NOW - 60);
  });

  it("bounds event time by max_lateness_seconds before the start and a slack after the end", () => {
    const w = planWindow({ indexed_before: NOW - 1000 }, { ...S, max_lateness_seconds: 3600 }, ms(NOW))!;
    assert.equal(w.earliest, NOW - 1000 - 3600);
    assert.equal(w.latest, NOW - 60 + EVENT_TIME_SLACK_SECONDS);
  });

  it("never sends a negative earliest (a leading '-' would make it a relative time): a lateness past the epoch means all time", () => {
    const w = planWindow({ indexed_before: NOW - 1000 }, { ...S, max_lateness_seconds: 2_000_000_000 }, ms(NOW))!;
    assert.equal(w.earliest, 0);
  });

  it("commits the window end, and the next window starts there (start inclusive, end exclusive)", () => {
    const w = planWindow({ indexed_before: NOW - 1000 }, S, ms(NOW))!;
    const p = positionAfter(w);
    assert.deepEqual(p, { indexed_before: NOW - 60 });
    const later = planWindow(p, S, ms(NOW + 120))!;
    assert.equal(later.start, w.end);
  });

  it("catches up window by window: plan -> endPosition -> plan until nothing is left", () => {
    const settings = { ...S, max_window_seconds: 600 };
    let position: SplunkPosition | undefined = { indexed_before: NOW - 2 * 86400 };
    const windows: [number, number][] = [];
    for (let i = 0; i < 1000; i++) {
      const w = planWindow(position, settings, ms(NOW));
      if (w === null) break;
      windows.push([w.start, w.end]);
      position = positionAfter(w);
    }
    const covered = windows.reduce((n, [a, b]) => n + (b - a), 0);
    assert.equal(covered, 2 * 86400 - 60);
    assert.equal(windows.length, Math.ceil((2 * 86400 - 60) / 600));
    for (let i = 1; i < windows.length; i++) assert.equal(windows[i]![0], windows[i - 1]![1], "no gap, no overlap");
    assert.ok(windows.every(([a, b]) => b - a <= 600));
    assert.equal(windows.at(-1)![1], NOW - 60);
  });

  it("rejects a malformed checkpoint instead of guessing", () => {
    assert.equal(parsePosition(undefined, "conn"), undefined);
    assert.equal(parsePosition(null, "conn"), undefined);
    assert.throws(() => parsePosition({ files: {} }, "conn"), /checkpoint of Splunk search "conn"/);
    assert.throws(() => parsePosition({ indexed_before: 1.5 }, "conn"), /indexed_before/);
  });

  it("is what SplunkSource.plan and endPosition do with its clock", async () => {
    const src = new SplunkSource({
      client: {} as SplunkClient,
      search: { name: "conn", query: "index=netflow", field_map: {} },
      settings: { ...S, page_size: 100 },
      now: () => ms(NOW),
    });
    const w = await src.plan(undefined);
    assert.deepEqual(w, planWindow(undefined, S, ms(NOW)));
    assert.deepEqual(src.endPosition(w!), { indexed_before: w!.end });
    assert.equal(await src.plan({ indexed_before: NOW - 60 }), null);
  });
});
