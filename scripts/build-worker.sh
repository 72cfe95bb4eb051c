#!/usr/bin/env bash
# Builds the edge worker into edge-worker/build/ with worker-build, offline: worker-build would
# download wasm-bindgen, wasm-opt and esbuild from GitHub, so point it at the pinned copies
# (cargo-installed wasm-bindgen, npm's binaryen and esbuild). wrangler runs this as [build].
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$root/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$root/node_modules/.bin/esbuild}"
cd "$root/edge-worker"
# Test processes build in parallel: one build at a time writes edge-worker/build/.
mkdir -p "$root/target"
exec 9>"$root/target/.build-worker.lock"
flock 9
worker-build --release "$@"
