import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseConfig, ConfigError } from "../../sidecar/config/load.ts";
import { findTimeModifiers } from "../../sidecar/config/spl-time-modifiers.ts";

function problems(query: string): string[] {
  try {
    parseConfig(
      {
        source: { type: "splunk" },
        splunk: { url: "https://splunk:8089", token: "t", searches: [{ name: "ok", query: "index=x" }, { name: "zeek_conn", query }] },
        sink: { type: "file", file: { path: "out.jsonl" } },
      },
      "t.yaml",
      {},
    );
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  return [];
}

describe("time modifiers in splunk.searches[].query", () => {
  const rejected: [string, string[]][] = [
    ["index=zeek earliest=-24h", ["earliest=-24h"]],
    ["index=zeek latest=now", ["latest=now"]],
    ["index=zeek _index_earliest=-1h", ["_index_earliest=-1h"]],
    ["index=zeek _index_latest=@d", ["_index_latest=@d"]],
    ["EARLIEST=-1d@d index=zeek", ["EARLIEST=-1d@d"]],
    ["index=zeek earliest = -1h", ["earliest = -1h"]],
    ["index=zeek (earliest=1 OR x=2)", ["earliest=1"]],
    ["index=zeek earliest=-1h latest=now", ["earliest=-1h", "latest=now"]],
    ['index=zeek earliest="-1h"', ['earliest="-1h"']],
    ['msg="a" latest=now', ["latest=now"]],
  ];
  const accepted = [
    "index=zeek my_earliest=1",
    "index=zeek first_latest = 2",
    'index=zeek "earliest=5"',
    'index=zeek msg="x \\" latest=1 \\""',
    "index=zeek action=earliest",
    "index=zeek earliest!=3",
    "index=zeek x.latest=1",
    "index=zeek earliest_seen=1",
    "index=zeek | eval a=if(latest==1, 1, 0)",
  ];

  for (const [query, terms] of rejected) {
    it(`refuses ${query}`, () => {
      assert.deepEqual(
        findTimeModifiers(query).map((u) => u.term),
        terms,
      );
      const p = problems(query);
      assert.equal(p.length, terms.length, p.join("|"));
      terms.forEach((term, k) => {
        assert.equal(
          p[k],
          `splunk.searches.1.query: search "zeek_conn" uses the time modifier ${term}, which would replace the window's time bounds: ` +
            `the sidecar sets the window; remove ${term} from splunk.searches[1].query`,
        );
      });
    });
  }
  for (const query of accepted) {
    it(`accepts ${query}`, () => {
      assert.deepEqual(findTimeModifiers(query), []);
      assert.deepEqual(problems(query), []);
    });
  }
});
