#!/usr/bin/env bash
# Times whole `ssocreds-cli credential-process` processes, as the AWS CLI and the SDKs run them: a valid
# SSO token in the cache, the release fake with 40 ms latency on every request. Each run is process
# start, token read, one GetRoleCredentials call (one 40 ms round trip), the JSON printed. Prints the
# median and p90 of RUNS runs, and checks that the output is the credential_process JSON.
#
#   cargo build --release -p ssocreds-cli -p fake-identity-center
#   tests/bench/credential-process.sh [RUNS]      # default 31; target: median <= 100 ms
#
# Binaries are taken from $CARGO_TARGET_DIR/release (default: target/release of the repository).
# Exits 1 when the median misses its target.
set -euo pipefail

runs=${1:-31}
target_ms=100
# shellcheck source=tests/bench/release-fake.sh
source "$(dirname "$0")/release-fake.sh"

# The fake, in the background, until this script ends.
start_fake --accounts 3 --roles ReadOnly --latency-ms 40 --approve-after-polls 1
export HOME=$work/home
mkdir -p "$HOME"
start_url=https://d-1234567890.awsapps.com/start
"$cli" login --environment Bench --start-url "$start_url" --region us-east-1 --use-device-code --no-browser \
    >/dev/null 2>&1

command=("$cli" credential-process --environment Bench --start-url "$start_url" --region us-east-1
    --account-id 100000000000 --role-name ReadOnly)
output=$("${command[@]}")
if ! grep -Eq '^\{"Version":1,"AccessKeyId":"[^"]+","SecretAccessKey":"[^"]+","SessionToken":"[^"]+","Expiration":"[0-9T:-]+Z"\}$' <<<"$output"; then
    echo "credential-process printed something else than the credential_process JSON" >&2
    exit 2
fi

now_us() { echo $(($(date +%s%N) / 1000)); }
# Times RUNS runs of the command line given (its exit code ignored); sets `times`, `median` and `p90`.
time_runs() {
    times=()
    for ((r = 0; r < runs; r++)); do
        s=$(now_us)
        "$@" >/dev/null 2>&1 || true
        e=$(now_us)
        times+=($(((e - s) / 1000)))
    done
    local sorted
    sorted=$(printf '%s\n' "${times[@]}" | sort -n)
    median=$(awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }' <<<"$sorted")
    p90=$(awk '{ a[NR] = $1 } END { i = int(NR * 0.9 + 0.999); if (i > NR) i = NR; print a[i] }' <<<"$sorted")
}

time_runs "${command[@]}"
met=yes
((median <= target_ms)) || met=no
echo "| credential-process (40 ms latency) | runs | median (ms) | p90 (ms) | target | met |"
echo "|---|---|---|---|---|---|"
echo "| one role, valid token | $runs | $median | $p90 | <= $target_ms | $met |"
valid_runs="${times[*]}"

# No token (another environment): the failure that names the command that logs in; within a second.
no_token=("$cli" credential-process --environment NeverLoggedIn --account-id 100000000000 --role-name ReadOnly)
if "${no_token[@]}" >/dev/null 2>&1; then
    echo "credential-process succeeded without a token" >&2
    exit 2
fi
time_runs "${no_token[@]}"
failed_met=yes
((median <= 1000)) || failed_met=no
echo "| no token: fails, exit code 2 | $runs | $median | $p90 | <= 1000 | $failed_met |"
echo "all runs, valid token (ms): $valid_runs"
[[ $met == yes && $failed_met == yes ]]
