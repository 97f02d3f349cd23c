/**
 * The idempotency key of an event (`event_id` of the risk event, the join key of analyst labels). It lives
 * with the event because both the scoring pipeline and training (the feedback join) need the same value.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import type { NetEvent } from "./event.ts";

/**
 * Splunk events: hex SHA-256 of `index + "|" + _raw` (what SPL's `sha256(index."|"._raw)` gives). File
 * events: hex SHA-256 of `basename(file) + "|" + line number + "|" + line`; the base name, so the same file
 * scored from another directory keeps its ids.
 */
export function eventId(event: NetEvent): string {
  const o = event.origin;
  const key = o.kind === "splunk" ? `${o.index}|${o.raw}` : `${basename(o.file)}|${o.line}|${o.raw}`;
  return createHash("sha256").update(key).digest("hex");
}
