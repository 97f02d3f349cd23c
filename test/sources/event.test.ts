import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { toNumber, type FieldValue } from "../../sidecar/sources/event.ts";
import { mulberry32 } from "../../sidecar/training/random.ts";

describe("toNumber", () => {
  const numbers: [FieldValue, number][] = [
    ["12", 12],
    [12, 12],
    [" 12 ", 12],
    ["\t80\n", 80],
    ["1e3", 1000],
    ["-0.5", -0.5],
    [".5", 0.5],
    ["5.", 5],
    ["007", 7],
    ["0", 0],
    [0, 0],
    ["-0", -0],
    ["0.000004", 0.000004],
    ["+3", 3],
    [-1.25, -1.25],
    ["12345678901234567890", 1.2345678901234567e19],
  ];
  for (const [v, x] of numbers) {
    it(`reads ${JSON.stringify(v)} as ${x}`, () => {
      assert.ok(Object.is(toNumber(v), x), `got ${toNumber(v)}`);
    });
  }

  const missing: [string, FieldValue | undefined][] = [
    ["absent", undefined],
    ["empty", ""],
    ["blank", "  "],
    ["tab and newline", "\t\n"],
    ["Zeek's unset", "-"],
    ["a word", "abc"],
    ["a number with a tail", "12abc"],
    ["the string NaN", "NaN"],
    ["the string Infinity", "Infinity"],
    ["-Infinity", "-Infinity"],
    ["an overflow", "1e999"],
    ["a lone dot", "."],
    ["two dots", "1.2.3"],
    ["a double minus", "--1"],
    ["a placeholder", "(empty)"],
    ["a thousands separator", "1,234"],
    ["the number NaN", NaN],
    ["the number Infinity", Infinity],
    ["the number -Infinity", -Infinity],
  ];
  for (const [what, v] of missing) {
    it(`gives undefined, never 0, for ${what} (${JSON.stringify(v) ?? String(v)})`, () => {
      assert.equal(toNumber(v), undefined);
    });
  }

  it("gives undefined for what a loose JSON source may hold that is not a string or a number", () => {
    assert.equal(toNumber(true as unknown as string), undefined, "a boolean");
    assert.equal(toNumber(null as unknown as string), undefined, "null is not 0");
    assert.equal(toNumber({} as unknown as string), undefined, "an object");
  });

  it("gives exactly the double JavaScript parses, bit for bit, on random decimals", () => {
    const r = mulberry32(5);
    for (let i = 0; i < 20000; i++) {
      const int = String(Math.floor(r() * 10 ** Math.floor(r() * 16)));
      const frac = r() < 0.6 ? "." + String(Math.floor(r() * 10 ** Math.floor(r() * 9))).padStart(Math.floor(r() * 8), "0") : "";
      const s = (r() < 0.2 ? "-" : "") + int + frac;
      assert.ok(Object.is(toNumber(s), +s), s);
      const x = +s;
      assert.ok(Object.is(toNumber(x), x), s);
    }
  });
});
