/**
 * A parser for Splunk .conf and .meta files with splunkd's rules: `[stanza]` headers, `key = value`, a
 * trailing `\` continues the value on the next line, `#` starts a comment only at the start of a line (there
 * are no inline comments), settings before the first header belong to the default stanza. It keeps every
 * occurrence with its line number, so the linter can report duplicates and name file, stanza, key and line.
 */

export interface ConfSetting {
  key: string;
  value: string;
  /** 1-based line of the key. */
  line: number;
}

export interface ConfStanza {
  /** The name between the brackets; "" for settings before the first header. */
  name: string;
  /** 1-based line of the header (0 for the implicit default stanza). */
  line: number;
  settings: ConfSetting[];
}

export interface ConfSyntaxProblem {
  line: number;
  message: string;
}

export interface ConfFile {
  stanzas: ConfStanza[];
  /** Lines that are not a header, a setting, a comment or blank; continuation lines ending in `\ ` (whitespace after the backslash). */
  syntax: ConfSyntaxProblem[];
}

export function parseConf(text: string): ConfFile {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const stanzas: ConfStanza[] = [];
  const syntax: ConfSyntaxProblem[] = [];
  let current: ConfStanza | undefined;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i];
    const t = raw.trim();
    if (t === "" || t.startsWith("#")) continue;
    if (t.startsWith("[")) {
      const end = t.lastIndexOf("]");
      if (end < 0) {
        syntax.push({ line: lineNo, message: `stanza header without a closing ']': ${t}` });
        continue;
      }
      current = { name: t.slice(1, end), line: lineNo, settings: [] };
      stanzas.push(current);
      continue;
    }
    const eq = raw.indexOf("=");
    if (eq < 0) {
      syntax.push({ line: lineNo, message: `not a setting (no '='): ${t}` });
      continue;
    }
    const key = raw.slice(0, eq).trim();
    let value = raw.slice(eq + 1).trim();
    // Continuation: a backslash as the very last character joins the next line.
    let j = i;
    while (/\\$/.test(lines[j]) && j + 1 < lines.length) {
      value = value.replace(/\\$/, "\n");
      j++;
      value += lines[j].trim();
    }
    if (/\\[ \t]+$/.test(lines[j])) syntax.push({ line: j + 1, message: "whitespace after a line-continuation backslash: splunkd ends the value there" });
    i = j;
    if (!current) {
      current = { name: "", line: 0, settings: [] };
      stanzas.unshift(current);
    }
    current.settings.push({ key, value, line: lineNo });
  }
  return { stanzas, syntax };
}

/** The last value of `key` in the last stanza called `name` (splunkd's merge within one file). */
export function confValue(conf: ConfFile, stanza: string, key: string): string | undefined {
  let v: string | undefined;
  for (const s of conf.stanzas) if (s.name === stanza) for (const kv of s.settings) if (kv.key === key) v = kv.value;
  return v;
}

/** Stanzas merged by name, later keys winning, as splunkd reads one file. */
export function confMap(conf: ConfFile): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const s of conf.stanzas) {
    const m = out.get(s.name) ?? new Map<string, string>();
    for (const kv of s.settings) m.set(kv.key, kv.value);
    out.set(s.name, m);
  }
  return out;
}
