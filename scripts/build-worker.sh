#!/usr/bin/env bash
# Builds the edge worker into edge-worker/build/ with worker-build, offline: worker-build would
# download wasm-bindgen, wasm-opt and esbuild from GitHub, so point it at the pinned copies
# (cargo-installed wasm-bindgen, npm's binaryen and esbuild). wrangler runs this as [build].
# scripts/setup.sh installs those tools.
#
#   scripts/build-worker.sh                  into edge-worker/build/ (what wrangler.toml serves)
#   scripts/build-worker.sh --out-dir DIR    into DIR (absolute, or relative to edge-worker/):
#                                            the benchmarks build there, so that a running
#                                            scripts/dev.sh keeps serving its own build
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh" # ~/.cargo/bin on PATH (worker-build, wasm-bindgen)
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$root/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$root/node_modules/.bin/esbuild}"
cd "$root/edge-worker"
# Test processes build in parallel: one build at a time (writes edge-worker/build/, and the
# cargo build under it is shared anyway).
mkdir -p "$root/target"
exec 9>"$root/target/.build-worker.lock"
flock 9

# worker-build runs wasm-bindgen and wasm-opt again (a minute or more on 2 cores) even when
# cargo has nothing to rebuild, and wrangler runs this script at every start of `wrangler dev`
# (scripts/dev.sh), sometimes twice. So build with cargo first, exactly as worker-build does
# (same command and environment: cargo's cache is shared), and keep the output directory when
# it already holds the build of this very wasm with the same tools, settings and arguments.
out_dir=build
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
    -d | --out-dir) out_dir="${args[i + 1]:-build}" ;;
    --out-dir=*) out_dir="${args[i]#--out-dir=}" ;;
    esac
done
case "$out_dir" in /*) ;; *) out_dir="$root/edge-worker/$out_dir" ;; esac
WASM_BINDGEN_USE_JS_SYS=1 cargo build --lib --release --target wasm32-unknown-unknown --quiet
target_dir="$(cargo metadata --format-version 1 --no-deps | node -p 'JSON.parse(require("fs").readFileSync(0)).target_directory')"
sums="$(sha256sum "$target_dir/wasm32-unknown-unknown/release/edge_worker.wasm" \
    "$root/edge-worker/Cargo.toml" "$root/scripts/build-worker.sh" | cut -d' ' -f1)"
key="$({
    echo "$sums"
    worker-build --version
    "$WASM_BINDGEN_BIN" --version
    "$WASM_OPT_BIN" --version
    "$ESBUILD_BIN" --version
    printf '%s\n' "$@"
} | sha256sum | cut -d' ' -f1)"
stamp="$out_dir/.build-worker-key"
if [ -f "$out_dir/index.js" ] && [ -f "$out_dir/index_bg.wasm" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
    echo "build-worker: the edge worker is unchanged since the build in $out_dir; keeping it"
    exit 0
fi
rm -f "$stamp"
worker-build --release "$@"
echo "$key" >"$stamp"
