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
worker-build --release "$@"
