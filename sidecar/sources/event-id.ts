/**
 * The idempotency key of an event (`event_id` of the risk event, the join key of analyst labels). It lives
 * with the event because both the scoring pipeline and training (the feedback join) need the same value.
 */
import * as crypto from "node:crypto";
import type { NetEvent } from "./event.ts";

/**
 * Splunk events: hex SHA-256 of `index + "|" + _raw` (what SPL's `sha256(index."|"._raw)` gives). File
 * events: hex SHA-256 of `line number + "|" + line`: what travels with the line when its file is rotated,
 * renamed, moved or compressed, so a re-read archive gives the ids the live file gave. The file's name is
 * left out on purpose; ADR 0016 lists what can collide (the same line at the same number in two files).
 */
export function eventId(event: NetEvent): string {
  const o = event.origin;
  const key = o.kind === "splunk" ? `${o.index}|${o.raw}` : `${o.line}|${o.raw}`;
  return sha256Hex(key);
}

/** One-shot `crypto.hash` where Node has it (20.12+; no Hash object per event), else createHash. */
const sha256Hex: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === "function"
    ? (text) => (crypto as unknown as { hash(alg: string, data: string, enc: "hex"): string }).hash("sha256", text, "hex")
    : (text) => crypto.createHash("sha256").update(text).digest("hex");
