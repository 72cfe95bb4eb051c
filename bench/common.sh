# Shared by the benchmarks in bench/: their settings, the tools they need (installed when
# missing, as .ci/run installs them), a temporary directory removed at exit with the server
# they start, and the example site and credentials they serve. Source it after setting
# BENCH_NAME (for messages and the temporary directory's name).

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

THREADS="${THREADS:-2}"
CONNS="${CONNS:-32}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.130

die() {
    echo "$BENCH_NAME: $*" >&2
    exit 1
}

# --- tools -----------------------------------------------------------------------------------
command -v wrk >/dev/null || die "wrk is missing (Debian: apt-get install -y wrk)"
command -v node >/dev/null || die "node is missing"
command -v curl >/dev/null || die "curl is missing"
[[ -x node_modules/.bin/workerd && -d node_modules/miniflare ]] || npm ci --no-audit --no-fund
rustup target list --installed | grep -qx wasm32-unknown-unknown ||
    rustup target add wasm32-unknown-unknown || die "cannot add the wasm32-unknown-unknown target"
if ! worker-build --version 2>/dev/null | grep -q "$WORKER_BUILD_VERSION"; then
    cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked
fi
# Not --locked, as in .ci/run: its lockfile pins a webpki-roots release the registry no longer
# serves.
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

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
cargo run -q --release -p generator -- -q keys --root example --dir example/keys export \
    --kv "$tmp/kv-bulk.json" --dev-vars "$tmp/dev.vars" --secret-bulk "$tmp/secrets-bulk.json"
