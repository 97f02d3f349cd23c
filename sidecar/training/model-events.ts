/**
 * The audit trail of a model: every retraining decision, promotion and rollback as a `soc_assistant:model`
 * event, appended to `<registry>/<name>/events.jsonl` (what `models list` shows, with the actors) and sent to
 * the sink (the run sink with sourcetype `soc_assistant:model`), when there is one.
 *
 * Contract: `record` never throws for the sink: a sink that refuses is logged (`model_event_failed`) and the
 * registry file still holds the event. A registry file that cannot be written throws (the caller's audit
 * would otherwise be silently lost).
 */
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MODEL_SOURCETYPE, type ModelActor, type ModelEvent } from "../contract/index.ts";
import { logEvent } from "../telemetry/log.ts";

const EVENTS = "events.jsonl";

export type ModelEventSend = (event: ModelEvent & { sourcetype: typeof MODEL_SOURCETYPE }) => Promise<void>;

export class ModelEventLog {
  constructor(
    private readonly registryDir: string,
    private readonly send?: ModelEventSend,
  ) {}

  async record(event: ModelEvent): Promise<void> {
    const dir = join(this.registryDir, event.model_name);
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, EVENTS), `${JSON.stringify(event)}\n`);
    logEvent("model_event", { action: event.action, model: event.model_name, version: event.version, decision: event.decision, actor: event.actor.kind, reason: event.reason });
    if (!this.send) return;
    try {
      await this.send({ ...event, sourcetype: MODEL_SOURCETYPE });
    } catch (e) {
      logEvent("model_event_failed", { action: event.action, error: (e as Error).message });
    }
  }
}

/** The model events of `name`, oldest first; lines that are not JSON are skipped. */
export function readModelEvents(registryDir: string, name: string): ModelEvent[] {
  let text: string;
  try {
    text = readFileSync(join(registryDir, name, EVENTS), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const out: ModelEvent[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line) as ModelEvent);
    } catch {
      // a torn last line after a crash: skipped
    }
  }
  return out;
}

/** A model event with every field; `fields` fills what is known. */
export function modelEvent(fields: Partial<ModelEvent> & Pick<ModelEvent, "action" | "model_name" | "reason" | "actor">): ModelEvent {
  return {
    _time: Date.now() / 1000,
    model_kind: "supervised",
    version: null,
    previous_version: null,
    champion_version: null,
    challenger_version: null,
    metric: null,
    champion_metrics: null,
    challenger_metrics: null,
    decision: null,
    trigger: null,
    data: null,
    duration_seconds: null,
    ...fields,
  };
}

/** `cli:alice`, `api`, ... */
export function actorText(a: ModelActor | { kind: string; user?: string } | undefined): string {
  if (!a) return "-";
  return a.user ? `${a.kind}:${a.user}` : a.kind;
}
