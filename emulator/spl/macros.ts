// Search macro expansion as splunkd does it before parsing: `name` or `name(arg1, arg2)` between backticks is
// replaced by the definition of the macro `name` or `name(N)`, with `$arg$` replaced by the argument
// everywhere (inside quotes too), repeatedly until no backtick is left.

import { SplError } from "./parse.ts";

export interface MacroDef {
  /** Argument names, in order (macros.conf `args`). */
  args: string[];
  definition: string;
}

/** Macro table keyed as macros.conf stanzas are: `name` or `name(N)`. */
export type MacroTable = Map<string, MacroDef>;

/** Splits macro arguments at commas outside double quotes; surrounding whitespace is trimmed. */
export function macroArgs(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"' && s[i - 1] !== "\\") q = !q;
    if (ch === "," && !q) {
      out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

export function expandMacros(query: string, macros: MacroTable, depth = 0): string {
  if (!query.includes("`")) return query;
  if (depth > 50) throw new SplError("Error in 'SearchParser': Reached maximum recursion depth while expanding macros.");
  const out = query.replace(/`([^`]*)`/g, (_all, inner: string) => {
    const m = /^\s*([A-Za-z0-9_-]+)\s*(?:\((.*)\))?\s*$/s.exec(inner);
    if (!m) throw new SplError(`Error in 'SearchParser': The search specifies a macro '${inner}' that cannot be found.`);
    const args = m[2] === undefined ? [] : macroArgs(m[2]);
    const key = args.length > 0 ? `${m[1]}(${args.length})` : m[1];
    const def = macros.get(key);
    if (!def) throw new SplError(`Error in 'SearchParser': The search specifies a macro '${key}' that cannot be found. Reasons include: the macro name is misspelled, you do not have "read" permission for the macro, or the macro has not been shared with this application.`);
    let body = def.definition;
    def.args.forEach((name, i) => (body = body.split(`$${name}$`).join(args[i] ?? "")));
    return body;
  });
  return expandMacros(out, macros, depth + 1);
}
