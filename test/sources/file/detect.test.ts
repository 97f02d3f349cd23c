import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { detectFormat, formatOfLine, resolveFormat } from "../../../sidecar/sources/file/detect.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/sources/file");
const fixture = (name: string): string => join(FIXTURES, name);
const dir = mkdtempSync(join(tmpdir(), "detect-"));

function write(name: string, data: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

describe("detectFormat", () => {
  it("detects each fixture from its content", async () => {
    const cases: [string, string][] = [
      ["stratosphere-008.conn.labeled", "zeek"],
      ["iot23-34-1.conn.labeled", "zeek"],
      ["iot23-34-1.conn.labeled.gz", "zeek"],
      ["splunk-export.jsonl", "jsonl"],
      ["network_traffic.csv", "csv"],
      ["splunk-export.csv", "csv"],
      ["unsw-nb15.csv", "unsw-nb15"],
      ["KDDTrain+.head.txt", "nsl-kdd"],
    ];
    for (const [name, format] of cases) assert.equal(await detectFormat(fixture(name)), format, name);
  });

  it("looks past leading empty lines, and not at the name", async () => {
    assert.equal(await detectFormat(write("data.csv", '\n\n{"src_ip":"10.0.0.1"}\n')), "jsonl");
    assert.equal(await detectFormat(write("conn.log.txt", gzipSync("\n#fields\tts\n1\n"))), "zeek");
  });

  it("applies the line rules", () => {
    assert.equal(formatOfLine("#separator \\x09"), "zeek");
    assert.equal(formatOfLine('  {"result":{}}'), "jsonl");
    assert.equal(formatOfLine('"_time","src_ip"'), "csv");
    assert.equal(formatOfLine("0,udp," + "0,".repeat(39) + "normal"), "nsl-kdd");
    // Numbers first but not NSL-KDD's shape: no rule.
    assert.equal(formatOfLine("1,2,3"), null);
    assert.equal(formatOfLine("just some text"), null);
  });

  it("fails on an unknown content, quoting it and listing --format", async () => {
    const file = write("odd.txt", "1,2,3\n4,5,6\n");
    await assert.rejects(detectFormat(file), {
      message:
        `${file}: cannot tell the input format from its first line "1,2,3"; expected a Zeek log (#separator), ` +
        "JSON lines ({...}), a CSV file with a header row, or header-less NSL-KDD rows: " +
        "pass --format zeek|csv|jsonl|nsl-kdd|unsw-nb15",
    });
    await assert.rejects(detectFormat(write("x.bz2", Buffer.from([0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x00, 0x01]))), /\(bzip2 data; only gzip is read\)/);
  });

  it("detects an empty file as null", async () => {
    assert.equal(await detectFormat(write("empty.log", "\n\n")), null);
  });

  it("lets an explicit format win, and refuses an unknown one", async () => {
    assert.equal(await resolveFormat(fixture("network_traffic.csv"), "nsl-kdd"), "nsl-kdd");
    await assert.rejects(resolveFormat(fixture("network_traffic.csv"), "xlsx"), {
      message: 'unknown format "xlsx": use --format zeek|csv|jsonl|nsl-kdd|unsw-nb15',
    });
  });
});
