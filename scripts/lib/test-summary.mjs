// Sums the JSON reports of one `npm test` run (vitest: numPassedTests/numFailedTests; Playwright:
// stats.expected/unexpected/flaky) into one line: "N passed, M failed[, K skipped]".
// Failed tests are named above that line with the head of their error, because a CI log is often
// read only from its tail: the runner's own report of the failure has scrolled away by then.
// Usage: node scripts/lib/test-summary.mjs <report.json>...
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";

const MAX_LISTED = 10;
const MESSAGE_LINES = 6;

let passed = 0;
let failed = 0;
let skipped = 0;
/** @type {{ report: string; where: string; title: string; message: string }[]} */
const failures = [];

// eslint-disable-next-line no-control-regex -- ANSI colour codes are control characters
const stripAnsi = (text) => text.replace(/\u001b\[[0-9;]*m/g, "");
const head = (text) =>
  stripAnsi(text ?? "")
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "")
    .slice(0, MESSAGE_LINES)
    .join("\n");

function vitestFailures(report, name) {
  for (const file of report.testResults ?? []) {
    const where = file.name?.replace(/^.*?\/(test|e2e|src|agent)\//, "$1/") ?? "?";
    const failedTests = (file.assertionResults ?? []).filter((t) => t.status === "failed");
    for (const test of failedTests) {
      failures.push({ report: name, where, title: test.fullName, message: head(test.failureMessages?.join("\n")) });
    }
    // A file that failed outside any test (an import error, a hook) has no failed assertion.
    if (file.status === "failed" && failedTests.length === 0) {
      failures.push({ report: name, where, title: "(file)", message: head(file.message) });
    }
  }
}

function playwrightFailures(suites, name, titles = []) {
  for (const suite of suites ?? []) {
    const path = suite.title && !suite.title.endsWith(".ts") ? [...titles, suite.title] : titles;
    for (const spec of suite.specs ?? []) {
      if (spec.ok) continue;
      const results = spec.tests.flatMap((t) => t.results);
      const last = results.at(-1);
      failures.push({
        report: name,
        where: `${spec.file}:${spec.line}`,
        title: [...path, spec.title].join(" › "),
        message: head(last?.errors?.map((e) => e.message).join("\n")),
      });
    }
    playwrightFailures(suite.suites, name, path);
  }
}

for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) continue;
  const name = basename(file, ".json");
  const report = JSON.parse(readFileSync(file, "utf8"));
  if (report.stats) {
    passed += (report.stats.expected ?? 0) + (report.stats.flaky ?? 0);
    failed += report.stats.unexpected ?? 0;
    skipped += report.stats.skipped ?? 0;
    playwrightFailures(report.suites, name);
  } else {
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    vitestFailures(report, name);
  }
}

if (failures.length > 0) {
  console.log("\n=== failed tests");
  for (const { report, where, title, message } of failures.slice(0, MAX_LISTED)) {
    console.log(`✗ [${report}] ${where} › ${title}`);
    if (message) console.log(message.replace(/^/gm, "    "));
  }
  if (failures.length > MAX_LISTED) console.log(`  … and ${failures.length - MAX_LISTED} more`);
  console.log("");
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
