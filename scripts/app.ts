/**
 * `npm run app:package`: builds dist/soc_assistant-<version>.tar.gz (refuses when the app fails validation).
 * `npm run app:lint`: stages the app into build/ and prints every problem; exits 1 on a failure.
 */
import { join } from "node:path";
import { formatProblem, hasFailures, lintApp } from "../splunk-app/tools/lint.ts";
import { APP_ID, buildPackage, REPO_ROOT, stageApp, ValidationError } from "../splunk-app/tools/package.ts";

const cmd = process.argv[2];
const buildDir = join(REPO_ROOT, "build");
if (cmd === "lint") {
  const staged = stageApp({ outDir: buildDir });
  const problems = lintApp(staged, { appId: APP_ID });
  for (const p of problems) console.log(formatProblem(p));
  console.log(`${APP_ID}: ${problems.filter((p) => p.severity === "fail").length} failures, ${problems.filter((p) => p.severity === "warn").length} warnings`);
  process.exitCode = hasFailures(problems) ? 1 : 0;
} else if (cmd === "package") {
  try {
    const r = buildPackage({ distDir: join(REPO_ROOT, "dist"), buildDir });
    for (const p of r.warnings) console.log(formatProblem(p));
    console.log(`wrote ${r.file} (sha256 ${r.sha256})`);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    for (const p of e.problems) console.error(formatProblem(p));
    console.error(`no package written: ${e.message}`);
    process.exitCode = 1;
  }
} else {
  console.error("usage: node --import tsx scripts/app.ts lint|package");
  process.exitCode = 2;
}
