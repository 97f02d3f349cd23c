import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

describe("npm run emulator (emulator/main.ts)", () => {
  it("starts on free ports with a seed file, prints its URLs and serves searches until SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "emulator/main.ts", "--port", "0", "--hec-port", "0", "--seed", "data/sample/conn.sample.log", "--index", "netflow", "--user", "analyst:s3cret"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let out = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /hec: +(http:\/\/\S+)/.test(out) ? /management: (http:\/\/\S+)/.exec(out) : null;
          if (m) resolve(m[1]);
        });
        child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      assert.match(out, /seeded 3400 events from data\/sample\/conn.sample.log/);
      const auth = `Basic ${Buffer.from("analyst:s3cret").toString("base64")}`;
      const r = await fetch(`${url}/services/search/v2/jobs?output_mode=json_rows`, {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ search: "search index=netflow | stats count", exec_mode: "oneshot" }).toString(),
      });
      assert.deepEqual(((await r.json()) as { rows: string[][] }).rows, [["3400"]]);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("exits 2 with the usage on a bad argument", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "emulator/main.ts", "--port", "abc"], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise((r) => child.once("exit", r));
    assert.equal(code, 2);
    assert.match(err, /--port must be a non-negative integer/);
    assert.match(err, /Usage: npm run emulator/);
  });
});
