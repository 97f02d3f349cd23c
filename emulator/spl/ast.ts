// The SPL subset the emulator understands, as data.

/** A search-command expression (the part after `search`). */
export type SearchExpr =
  | { k: "and"; items: SearchExpr[] }
  | { k: "or"; items: SearchExpr[] }
  | { k: "not"; item: SearchExpr }
  | { k: "cmp"; field: string; op: "=" | "!=" | "<" | ">" | "<=" | ">="; value: string }
  | { k: "term"; value: string }
  | { k: "true" };

/** An eval/where expression. */
export type Expr =
  | { k: "num"; v: number }
  | { k: "str"; v: string }
  | { k: "field"; name: string }
  | { k: "call"; fn: string; args: Expr[] }
  | { k: "bin"; op: string; l: Expr; r: Expr }
  | { k: "not"; e: Expr }
  | { k: "neg"; e: Expr };

export interface StatsAgg {
  fn: "count" | "dc" | "sum" | "avg" | "min" | "max" | "values";
  field?: string;
  as: string;
}

export type Command =
  | { k: "search"; expr: SearchExpr }
  | { k: "head"; n: number }
  | { k: "fields"; remove: boolean; names: string[] }
  | { k: "table"; names: string[] }
  | { k: "eval"; assigns: { field: string; expr: Expr }[] }
  | { k: "where"; expr: Expr }
  | { k: "stats"; aggs: StatsAgg[]; by: string[] }
  | { k: "rename"; pairs: { from: string; to: string }[] }
  | { k: "dedup"; names: string[] }
  | { k: "sort"; limit: number; keys: { field: string; desc: boolean }[] }
  | { k: "outputlookup"; name: string; append: boolean; keyField?: string }
  /** `span` in seconds; undefined: chosen from the data's time range. */
  | { k: "timechart"; span?: number; limit: number; aggs: StatsAgg[]; by?: string }
  | { k: "top"; limit: number; fields: string[]; by: string[] }
  | { k: "bin"; field: string; span: number; as: string }
  | { k: "mvexpand"; field: string };

/** Time bounds written in the search itself (`earliest=`, `latest=`, `_index_earliest=`, `_index_latest=`). */
export interface SearchTimeTerms {
  earliest?: string;
  latest?: string;
  indexEarliest?: string;
  indexLatest?: string;
}

/** Generating commands (`| makeresults`, `| inputlookup <lookup>`, `| rest <path>`). */
export type Generator = { k: "makeresults"; count: number } | { k: "inputlookup"; name: string } | { k: "rest"; path: string };

export interface Pipeline {
  /** The base search (first command); `{k:"true"}` for a bare `search`. */
  base: SearchExpr;
  /** Time modifiers found in the base search (removed from `base`). */
  time: SearchTimeTerms;
  /** Index patterns mentioned positively in the base search (empty: the default indexes). */
  indexPatterns: string[];
  commands: Command[];
  /** A generating command instead of an event search (`| makeresults`). */
  generator?: Generator;
}
