#!/usr/bin/env bash
# Runs every test of the project: Rust (engine, C ABI loaded dynamically, C client, header drift,
# fake, CLI demo), the checks that need no PowerShell (PowerShell syntax, C# interop under Mono,
# DllImport vs header), and the Pester tests when pwsh is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
PYTHON="${PYTHON:-python3}"
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

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

echo "== checks without PowerShell: syntax, Mono interop, DllImport vs header"
export SSOCREDS_LIB="$CARGO_TARGET_DIR/debug/libssocreds.so"
export FAKE_IDC_BIN="$CARGO_TARGET_DIR/debug/fake-identity-center"
"$PYTHON" -m pytest tests/python -q 2>&1 | tee -a "$LOG"

echo "== Pester"
if command -v pwsh >/dev/null 2>&1; then
    pwsh -NoProfile -NonInteractive -File ./build.ps1 -Task Build,Test
else
    echo "SKIPPED: pwsh is not installed here, so the Pester tests (tests/*.Tests.ps1) did not run."
    echo "         They run in GitHub Actions (.github/workflows/ci.yml) and on any machine with pwsh."
fi

# One closing line for everything that ran (a failure above has already stopped the script).
passed=$(grep -Eo '(ok\. )?[0-9]+ passed' "$LOG" | awk '{ sum += $(NF-1) } END { print sum + 0 }')
echo "all tests: ${passed} passed, 0 failed"
