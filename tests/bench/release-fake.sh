# Sourced by the whole-process benches (measure-cli.sh, credential-process.sh): the release binaries
# ($CARGO_TARGET_DIR/release, default target/release of the repository) as $cli and $fake, a work
# folder $work removed at exit, and start_fake, which runs the fake in the background until the
# script ends and points both IAM Identity Center endpoints at it.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${CARGO_TARGET_DIR:-$repo/target}/release
cli=$bin/ssocreds-cli
fake=$bin/fake-identity-center
for b in "$cli" "$fake"; do
    [[ -x $b ]] || { echo "missing $b: cargo build --release -p ssocreds-cli -p fake-identity-center" >&2; exit 2; }
done

work=$(mktemp -d)
fake_pid=
cleanup() {
    [[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# start_fake ARGS...: the fake with ARGS; its URL is the first line it prints.
start_fake() {
    mkfifo "$work/fake.out"
    "$fake" "$@" >"$work/fake.out" &
    fake_pid=$!
    local first_line url
    read -r first_line <"$work/fake.out"
    url=$(sed -E 's/.*"url":"([^"]+)".*/\1/' <<<"$first_line")
    export AWS_ENDPOINT_URL_SSO_OIDC=$url AWS_ENDPOINT_URL_SSO=$url
}
