/**
 * The app's knowledge objects as the emulator takes them (`createEmulator({ app })`): macros from macros.conf,
 * KV store collections from collections.conf, and lookup definitions of `external_type = kvstore` from
 * transforms.conf. Read from the app source (splunk-app/app) or any staged or extracted app folder.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MacroTable } from "../../emulator/spl/macros.ts";
import { confMap, parseConf } from "./conf.ts";

export interface AppKnowledge {
  macros: MacroTable;
  collections: string[];
  lookups: Record<string, string>;
  /** Field names per collection (collections.conf `field.<name>`), for the field checks. */
  collectionFields: Record<string, string[]>;
}

function read(dir: string, rel: string): Map<string, Map<string, string>> {
  const p = join(dir, rel);
  return existsSync(p) ? confMap(parseConf(readFileSync(p, "utf8"))) : new Map();
}

export function appKnowledge(dir: string): AppKnowledge {
  const macros: MacroTable = new Map();
  for (const [name, kv] of read(dir, "default/macros.conf")) {
    if (name === "") continue;
    const args = (kv.get("args") ?? "").split(",").map((a) => a.trim()).filter((a) => a !== "");
    macros.set(name, { args, definition: kv.get("definition") ?? "" });
  }
  const collections: string[] = [];
  const collectionFields: Record<string, string[]> = {};
  for (const [name, kv] of read(dir, "default/collections.conf")) {
    if (name === "") continue;
    collections.push(name);
    collectionFields[name] = [...kv.keys()].filter((k) => k.startsWith("field.")).map((k) => k.slice("field.".length));
  }
  const lookups: Record<string, string> = {};
  for (const [name, kv] of read(dir, "default/transforms.conf")) {
    if (kv.get("external_type") === "kvstore" && kv.get("collection")) lookups[name] = kv.get("collection")!;
  }
  return { macros, collections, lookups, collectionFields };
}
