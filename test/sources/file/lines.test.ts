import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { isGzipFile, readLines, type LineBatch } from "../../../sidecar/sources/file/lines.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/sources/file");
const dir = mkdtempSync(join(tmpdir(), "lines-"));

async function collect(file: string, chunkBytes?: number): Promise<{ lines: string[]; batches: LineBatch[] }> {
  const batches: LineBatch[] = [];
  for await (const b of readLines(file, { chunkBytes })) batches.push(b);
  return { lines: batches.flatMap((b) => b.lines), batches };
}

function write(name: string, data: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

describe("readLines", () => {
  it("strips a UTF-8 BOM and CRLF endings, and keeps a last line without a newline", async () => {
    const f = write("bom.csv", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("a,b\r\n1,2\r\n\r\n3,4")]));
    const { lines } = await collect(f);
    assert.deepEqual(lines, ["a,b", "1,2", "", "3,4"]);
  });

  it("with holdUnterminated, leaves a plain file's unfinished last line for the next read, but not a gzip's", async () => {
    const f = write("live.log", "a\nb\nhalf a li");
    const held: string[] = [];
    for await (const b of readLines(f, { holdUnterminated: true, chunkBytes: 4 })) held.push(...b.lines);
    assert.deepEqual(held, ["a", "b"]);
    const g = write("done.log.gz", gzipSync("a\nlast"));
    const gz: string[] = [];
    for await (const b of readLines(g, { holdUnterminated: true })) gz.push(...b.lines);
    assert.deepEqual(gz, ["a", "last"]);
  });

  it("numbers lines from 1 across batches, whatever the chunk size", async () => {
    const text = Array.from({ length: 500 }, (_, i) => `line ${i + 1} ${"x".repeat(i % 37)}`).join("\n") + "\n";
    const f = write("many.txt", text);
    for (const chunk of [7, 64, 1000, 1 << 20]) {
      const { lines, batches } = await collect(f, chunk);
      assert.equal(lines.length, 500);
      assert.equal(lines[499], `line 500 ${"x".repeat(499 % 37)}`);
      let expected = 1;
      for (const b of batches) {
        assert.equal(b.first, expected);
        assert.equal(b.lines[0].split(" ")[1], String(expected));
        expected += b.lines.length;
      }
    }
  });

  it("decodes a multi-byte character split across chunks", async () => {
    const f = write("utf8.txt", "héllo wörld ✓\nnext\n");
    for (const chunk of [1, 2, 3, 5]) assert.deepEqual((await collect(f, chunk)).lines, ["héllo wörld ✓", "next"]);
  });

  it("gunzips by the magic bytes, not the file name", async () => {
    const f = write("looks-plain.log.txt", gzipSync("#fields\ta\n1\n2\n"));
    assert.equal(await isGzipFile(f), true);
    assert.deepEqual((await collect(f)).lines, ["#fields\ta", "1", "2"]);
    assert.equal(await isGzipFile(join(FIXTURES, "iot23-34-1.conn.labeled")), false);
  });

  it("reads concatenated gzip members as one text", async () => {
    const f = write("members.gz", Buffer.concat([gzipSync("a\nb\n"), gzipSync("c\n")]));
    assert.deepEqual((await collect(f)).lines, ["a", "b", "c"]);
  });

  it("yields every complete line of a truncated gzip, then fails naming the last one", async () => {
    const seen: string[] = [];
    const file = join(FIXTURES, "iot23-34-1.truncated.gz");
    await assert.rejects(
      (async () => {
        for await (const b of readLines(file)) seen.push(...b.lines);
      })(),
      { message: `${file}: gzip stream is truncated after line 182` },
    );
    // 182 lines is what `zcat` recovers too; the cut-off 183rd line is not yielded.
    assert.equal(seen.length, 182);
    assert.ok(seen[181].endsWith("-   Malicious   C&C"), seen[181]);
    assert.equal(seen[181].split("\t").length, 21);
  });

  it("reports a missing file by name", async () => {
    await assert.rejects(collect(join(dir, "nope.log")), { message: `${join(dir, "nope.log")}: no such file` });
  });

  it("yields nothing for an empty file", async () => {
    assert.deepEqual((await collect(write("empty.txt", ""))).lines, []);
  });
});
