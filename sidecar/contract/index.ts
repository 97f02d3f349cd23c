/**
 * The contract between the sidecar and the Splunk app: the names, types and field lists of everything the
 * sidecar writes to Splunk. The app's build, dashboards, saved searches and tests import this module.
 *
 * FROZEN: no field is renamed or dropped, and no sourcetype changes, without changing the app, the README and
 * the tests in the same commit. Adding an optional field is fine.
 *
 * Schema only: these files import nothing but each other (no `node:` modules, nothing from the sidecar), so
 * they load in any TypeScript build. `test/contract/contract.test.ts` checks that.
 */
import { LOG_SOURCETYPE } from "./log-event.ts";
import { MODEL_SOURCETYPE } from "./model-event.ts";
import { RISK_SOURCETYPE } from "./risk-event.ts";
import { RUN_SOURCETYPE } from "./run-event.ts";

export * from "./risk-event.ts";
export * from "./run-event.ts";
export * from "./model-event.ts";
export * from "./log-event.ts";

/** Every sourcetype the sidecar writes (each is also exported by name: `RISK_SOURCETYPE`, ...). */
export const SOURCETYPES = [RISK_SOURCETYPE, RUN_SOURCETYPE, MODEL_SOURCETYPE, LOG_SOURCETYPE] as const;
export type Sourcetype = (typeof SOURCETYPES)[number];
