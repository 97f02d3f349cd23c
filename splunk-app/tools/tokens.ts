/**
 * Dashboard Studio token substitution, for running a dashboard's searches outside Splunk Web: `$name$` is the
 * value as is, `$name|s$` the value as a quoted SPL string (backslashes and double quotes escaped), as the
 * framework's `s` filter does. Unknown tokens are left in place (Studio then waits for them).
 */
export function substituteTokens(query: string, tokens: Record<string, string>): string {
  return query.replace(/\$([A-Za-z0-9_.:-]+)(\|[a-z]+)?\$/g, (all, name: string, filter: string | undefined) => {
    const v = tokens[name];
    if (v === undefined) return all;
    if (filter === "|s") return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
    if (filter === "|u") return encodeURIComponent(v);
    return v;
  });
}

/** The Studio definition's data source query by id. */
export function dataSourceQuery(def: unknown, id: string): string {
  const q = (def as { dataSources?: Record<string, { options?: { query?: string } }> }).dataSources?.[id]?.options?.query;
  if (typeof q !== "string") throw new Error(`no ds.search '${id}' in the definition`);
  return q;
}
