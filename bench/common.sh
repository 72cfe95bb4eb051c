# Shared by the benchmarks in bench/: their settings, the tools they need (scripts/setup.sh
# --dev installs them when missing), a temporary directory removed at exit with the server
# they start, and the example site and credentials they serve. Source it after setting
# BENCH_NAME (for messages and the temporary directory's name).
#
# Everything a benchmark builds goes into that temporary directory ($tmp/site, the worker tree
# $tmp/site-edge beside it, which the workers serve as their assets: $assets; and the workers
# into $tmp/build/): never into site/, site-edge/ or edge-worker/build/, which a running
# scripts/dev.sh serves (replacing them under it makes every route answer 500 until it is
# restarted).

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

THREADS="${THREADS:-2}"
CONNS="${CONNS:-32}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"

die() {
    echo "$BENCH_NAME: $*" >&2
    exit 1
}

# --- tools -----------------------------------------------------------------------------------
command -v wrk >/dev/null || die "wrk is missing (Debian: apt-get install -y wrk)"
command -v node >/dev/null || die "node is missing"
command -v curl >/dev/null || die "curl is missing"
# The pinned worker build tools and npm packages, as scripts/dev.sh gets them.
scripts/setup.sh --dev || die "set-up failed"
# shellcheck source=scripts/env.sh
source scripts/env.sh # ~/.cargo/bin on PATH (worker-build, wasm-bindgen)

# --- temporary directory and the server under test -------------------------------------------
tmp="$(mktemp -d "/tmp/$BENCH_NAME.XXXXXX")"
server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
cleanup() {
    stop_server
    if [[ "${KEEP:-}" == 1 ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# --- site and credentials --------------------------------------------------------------------
echo "== building the example site and exporting the example keys into $tmp"
cargo run -q --release -p generator -- -q build --root example --out "$tmp/site" --no-cache
# The worker tree (the public files plus the edge data `_edge/`): what the worker's ASSETS
# binding serves (docs/site-layout.md).
assets="$tmp/site-edge"
cargo run -q --release -p generator -- -q keys --root example --dir example/keys export \
    --kv "$tmp/kv-bulk.json" --dev-vars "$tmp/dev.vars" --secret-bulk "$tmp/secrets-bulk.json"
