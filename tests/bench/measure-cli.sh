#!/usr/bin/env bash
# Times whole `ssocreds-cli refresh` processes at first contact: a fresh HOME for every run, with the
# SSO token already in its cache and nothing learnt about the portal, against the release fake with
# 40 ms latency that answers 429 above 16 requests in flight. Prints the median of RUNS runs for
# each profile count, and what a process costs before its first request (start-up).
#
#   cargo build --release -p ssocreds-cli -p fake-identity-center
#   tests/bench/measure-cli.sh [RUNS]        # default 11; targets: 20 profiles <= 0.20 s, 50 <= 0.30 s
#
# Binaries are taken from $CARGO_TARGET_DIR/release (default: target/release of the repository).
# Exits 1 when a median misses its target.
set -euo pipefail

runs=${1:-11}
# shellcheck source=tests/bench/release-fake.sh
source "$(dirname "$0")/release-fake.sh"

# The fake, in the background, until this script ends.
start_fake --accounts 50 --roles ReadOnly --latency-ms 40 --max-in-flight 16 --approve-after-polls 1

# One login into a template HOME; each run gets a copy of its token cache, and nothing else.
template=$work/template
mkdir -p "$template"
HOME=$template "$cli" login --environment Bench --start-url https://d-1234567890.awsapps.com/start \
    --region us-east-1 --use-device-code --no-browser >/dev/null 2>&1
if compgen -G "$template/.aws/sso/cache/ssocreds-portal-rates*" >/dev/null; then
    echo "the login wrote a learnt portal rate: runs would not be first contact" >&2
    exit 2
fi

accounts_file() { # N: the CSV of the first N generated accounts (ids 100000000000 + i)
    echo "Profile,AccountId,RoleName"
    for ((i = 0; i < $1; i++)); do echo "p$i,$((100000000000 + i)),ReadOnly"; done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Milliseconds of one run of "$@" in a fresh copy of the template HOME.
timed_run() {
    local home=$work/home
    rm -rf "$home" && cp -a "$template" "$home"
    local started ended
    started=$(now_ms)
    HOME=$home "$@" >/dev/null
    ended=$(now_ms)
    echo $((ended - started))
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

missed=0
# Start-up: the process with nothing to send (every profile still valid, no client built).
accounts_file 20 >"$work/20.csv"
HOME=$template "$cli" refresh --environment Bench --accounts "$work/20.csv" >/dev/null
startup=$(for ((r = 0; r < runs; r++)); do
    s=$(now_ms); HOME=$template "$cli" refresh --environment Bench --accounts "$work/20.csv" >/dev/null; e=$(now_ms)
    echo $((e - s))
done | median)
version=$(for ((r = 0; r < runs; r++)); do
    s=$(now_ms); "$cli" --version >/dev/null; e=$(now_ms); echo $((e - s))
done | median)
echo "start-up: ssocreds-cli --version ${version} ms; refresh with nothing to do (20 current profiles) ${startup} ms"

echo "| profiles | median of $runs (ms) | all runs (ms) | target | met |"
echo "|---|---|---|---|---|"
for spec in 20:200 50:300; do
    count=${spec%%:*} target=${spec##*:}
    accounts_file "$count" >"$work/$count.csv"
    times=()
    for ((r = 0; r < runs; r++)); do
        times+=("$(timed_run "$cli" refresh --environment Bench --accounts "$work/$count.csv" --force)")
    done
    med=$(printf '%s\n' "${times[@]}" | median)
    met=yes
    ((med <= target)) || { met=no; missed=1; }
    echo "| $count | $med | ${times[*]} | <= $target | $met |"
done
exit $missed
