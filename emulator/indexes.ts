// Index definitions (`data/indexes`). Event counts and time ranges come from the store.

export interface IndexMeta {
  name: string;
  datatype: "event" | "metric";
  disabled: boolean;
  internal: boolean;
  /** Built-in indexes carry Splunk's system ACL; created ones the search app's. */
  system: boolean;
  params: Record<string, string>;
}

/** Splunk's index-name rule (research §5, [mem]): lowercase letters, digits, `_`, `-`; no leading `_`/`-`; no "kvstore". */
export function validIndexName(name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]*$/.test(name) && !name.includes("kvstore");
}

export class Indexes {
  private readonly map = new Map<string, IndexMeta>();

  constructor(builtins: string[]) {
    for (const n of builtins) this.map.set(n, { name: n, datatype: "event", disabled: false, internal: n.startsWith("_"), system: true, params: {} });
  }

  get(name: string): IndexMeta | undefined {
    return this.map.get(name);
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  /** Defines an index if missing (seeding, generator segments); never fails. */
  ensure(name: string): void {
    if (!this.map.has(name)) this.map.set(name, { name, datatype: "event", disabled: false, internal: name.startsWith("_"), system: false, params: {} });
  }

  create(name: string, datatype: "event" | "metric", params: Record<string, string>): IndexMeta {
    const meta: IndexMeta = { name, datatype, disabled: false, internal: false, system: false, params };
    this.map.set(name, meta);
    return meta;
  }

  delete(name: string): boolean {
    return this.map.delete(name);
  }

  list(): IndexMeta[] {
    return [...this.map.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  names(): string[] {
    return [...this.map.keys()];
  }
}
