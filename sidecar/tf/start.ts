import { logEvent } from "../telemetry/log.ts";
import { initBackend, type BackendPreference } from "./backend.ts";

/** Initializes the TensorFlow.js backend and logs the choice (and why the preferred ones were not taken). */
export async function startBackend(preference: BackendPreference): Promise<string> {
  const choice = await initBackend(preference);
  for (const t of choice.tried) if (t.error) logEvent("backend_unavailable", { backend: t.name, reason: t.error });
  logEvent("backend_selected", { backend: choice.backend });
  return choice.backend;
}
