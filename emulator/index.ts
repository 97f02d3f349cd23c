// Public surface of the Splunk emulator (a test instrument; see docs/adr/0007-splunk-emulator.md).
export { createEmulator, DEFAULT_HEC_TOKEN, type Emulator, type EmulatorOptions, type TlsMaterial } from "./emulator.ts";
export type { UserConfig, TokenConfig } from "./auth.ts";
export type { HecTokenConfig } from "./hec.ts";
export { HEC_CODES } from "./hec.ts";
export type { FaultBudget, PathFault, RequestLogEntry } from "./faults.ts";
export type { Settings } from "./rest/context.ts";
export { EventStore, type EventInput, type GeneratorSpec } from "./store/store.ts";
export { parseZeek, parseJsonl, parseSeed, type SeedDefaults } from "./seed.ts";
