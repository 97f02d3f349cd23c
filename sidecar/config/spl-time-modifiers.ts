/**
 * SPL time modifiers in a configured query. `earliest=`, `latest=`, `_index_earliest=` and `_index_latest=`
 * used as search terms replace the job's time bounds, so a search's query could silently widen or narrow the
 * window the sidecar reads and checkpoints (issue 8, section 3 item 4). Config validation rejects them.
 *
 * A match is the modifier as a term of its own: case-insensitive, spaces allowed around `=`, not inside a
 * double-quoted string (`"earliest=5"` is a phrase) and not the tail of another field name (`my_earliest=1`,
 * `x.latest=2`). `earliest!=`, `earliest==` and `earliest>=` are comparisons, not modifiers.
 */

export const TIME_MODIFIERS = ["earliest", "latest", "_index_earliest", "_index_latest"] as const;

export interface TimeModifierUse {
  /** The modifier as written (`earliest`, `_INDEX_LATEST`, ...). */
  modifier: string;
  /** The whole term, e.g. `earliest=-24h` or `latest = now`, for the message. */
  term: string;
  /** Offset of the term in the query. */
  at: number;
}

const TERM = /(?<![\w.:$'@-])(_index_earliest|_index_latest|earliest|latest)\s*=(?![=])\s*("(?:[^"\\]|\\.)*"?|[^\s|)\]]*)/giy;

/** Every time modifier used as a search term in `query`, in order. */
export function findTimeModifiers(query: string): TimeModifierUse[] {
  const out: TimeModifierUse[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    if (c === '"') {
      // skip the quoted string, honouring backslash escapes; an unterminated one runs to the end
      i++;
      while (i < query.length && query[i] !== '"') i += query[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    TERM.lastIndex = i;
    const m = TERM.exec(query);
    if (m) {
      out.push({ modifier: m[1]!, term: m[0].trim(), at: i });
      i = TERM.lastIndex > i ? TERM.lastIndex : i + 1;
      continue;
    }
    i++;
  }
  return out;
}
