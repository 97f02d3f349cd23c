import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { APP_ID, APP_SRC, buildNumber, buildPackage, lintArchive, packageVersion, ValidationError } from "../../splunk-app/tools/package.ts";
import { readTarGz, tarGz, type TarEntry } from "../../splunk-app/tools/tar.ts";
import { parseConf, confValue } from "../../splunk-app/tools/conf.ts";
import { edit } from "./helpers.ts";

describe("app package", () => {
  let tmp: string;
  let file: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), "soc-pkg-test-"));
    file = buildPackage({ distDir: join(tmp, "dist"), buildDir: join(tmp, "build") }).file;
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("writes dist/soc_assistant-<version>.tar.gz with one top folder that tar itself lists", () => {
    const version = packageVersion();
    assert.equal(file, join(tmp, "dist", `${APP_ID}-${version}.tar.gz`));
    const listing = execFileSync("tar", ["tzf", file], { encoding: "utf8" }).trim().split("\n");
    assert.deepEqual([...new Set(listing.map((p) => p.split("/")[0]))], [APP_ID]);
    assert.ok(listing.every((p) => !p.startsWith("./")));
    for (const must of ["README.md", "LICENSE", "default/app.conf", "default/indexes.conf", "metadata/default.meta", "static/appIcon.png", "default/data/ui/nav/default.xml"]) {
      assert.ok(listing.includes(`${APP_ID}/${must}`), `missing ${must}`);
    }
    assert.ok(!listing.some((p) => p.split("/").some((x) => x.startsWith("."))), "no dotfiles");
    assert.ok(existsSync(`${file}.sha256`));
  });

  it("stamps app.conf with package.json's version and a build number that rises with it", () => {
    const entries = readTarGz(readFileSync(file));
    const app = parseConf(entries.find((e) => e.path === `${APP_ID}/default/app.conf`)!.data!.toString("utf8"));
    const version = packageVersion();
    assert.equal(confValue(app, "id", "version"), version);
    assert.equal(confValue(app, "launcher", "version"), version);
    assert.equal(confValue(app, "install", "build"), String(buildNumber(version)));
    assert.ok(buildNumber("0.1.1") > buildNumber("0.1.0") && buildNumber("0.2.0") > buildNumber("0.1.999") && buildNumber("1.0.0") > buildNumber("0.999.999"));
  });

  it("sets directories 0755 and files 0644, owner root, and is byte-for-byte reproducible", () => {
    for (const e of readTarGz(readFileSync(file))) assert.equal(e.mode, e.type === "dir" ? 0o755 : 0o644, e.path);
    const again = buildPackage({ distDir: join(tmp, "dist2"), buildDir: join(tmp, "build2") }).file;
    assert.deepEqual(readFileSync(again), readFileSync(file));
  });

  it("passes the linter when re-opened", () => {
    assert.deepEqual(lintArchive(file), []);
  });

  it("refuses to write an archive for an app that fails validation, and names each problem", () => {
    const src = mkdtempSync(join(tmpdir(), "soc-src-"));
    try {
      cpSync(APP_SRC, src, { recursive: true });
      edit(src, "default/indexes.conf", (t) => t.replace("datatype = event", "datatype = event\nmaxTotalDataSizeMB = 10"));
      const dist = join(tmp, "refused");
      assert.throws(() => buildPackage({ distDir: dist, buildDir: join(tmp, "build3"), appSrc: src }), (e: unknown) => {
        assert.ok(e instanceof ValidationError);
        assert.ok(e.problems.some((p) => p.file === "default/indexes.conf" && p.stanza === "soc_risk" && p.key === "maxTotalDataSizeMB"));
        return true;
      });
      assert.equal(existsSync(dist), false);
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });

  describe("archive rules", () => {
    const good = (): TarEntry[] => readTarGz(readFileSync(file));
    const write = (name: string, buf: Buffer): string => {
      const p = join(tmp, name);
      writeFileSync(p, buf);
      return p;
    };
    const rules: { name: string; rule: string; make: () => Buffer }[] = [
      { name: "not gzip", rule: "check_that_splunk_app_package_valid_compressed_file", make: () => Buffer.from("not a tarball") },
      { name: "empty", rule: "check_that_splunk_app_package_valid_compressed_file", make: () => tarGz([], 0) },
      { name: "corrupt tar inside gzip", rule: "check_that_splunk_app_package_valid_compressed_file", make: () => gzipSync(Buffer.alloc(512, 7)) },
      { name: "two top folders", rule: "check_that_splunk_app_package_does_not_contain_files_outside_of_app", make: () => tarGz([...good(), { path: "other/", type: "dir", mode: 0o755 }], 0) },
      { name: "./ prefixes", rule: "check_that_extracted_splunk_app_does_not_contain_prohibited_directories_or_files", make: () => tarGz(good().map((e) => ({ ...e, path: `./${e.path}` })), 0) },
      { name: "hidden top folder", rule: "check_that_splunk_app_package_extracts_to_visible_directory", make: () => tarGz(good().map((e) => ({ ...e, path: `.${e.path}` })), 0) },
      { name: "top folder is not the app id", rule: "check_for_valid_package_id", make: () => tarGz(good().map((e) => ({ ...e, path: e.path.replace(/^soc_assistant/, "soc_assistant2") })), 0) },
      { name: "a dotfile", rule: "check_that_extracted_splunk_app_does_not_contain_prohibited_directories_or_files", make: () => tarGz([...good(), { path: `${APP_ID}/.env`, type: "file", mode: 0o644, data: Buffer.from("x") }], 0) },
      { name: "an executable outside bin/", rule: "check_for_bin_files", make: () => tarGz(good().map((e) => (e.path.endsWith("README.md") ? { ...e, mode: 0o755 } : e)), 0) },
      { name: "a file the owner cannot read", rule: "check_that_extracted_splunk_app_does_not_contain_files_with_invalid_permissions", make: () => tarGz(good().map((e) => (e.path.endsWith("LICENSE") ? { ...e, mode: 0o244 } : e)), 0) },
    ];
    for (const r of rules) {
      it(`fails an archive with ${r.name} (${r.rule})`, () => {
        const problems = lintArchive(write(`${r.name.replace(/\W+/g, "_")}.tar.gz`, r.make()));
        assert.ok(problems.some((p) => p.rule === r.rule && p.severity === "fail"), JSON.stringify(problems, null, 1));
      });
    }
  });
});
