#!/usr/bin/env bash
# The README's test command: set-up (scripts/setup.sh: installs only what is missing), then
# every test of the workspace, with what the tests need on PATH and in the environment.
#
#   scripts/test.sh                                   cargo test --workspace --locked
#   scripts/test.sh -p e2e-tests --test tuf_clients   cargo test --locked ARGS (some tests)
#
# Those who have the tools can run `cargo test --workspace` directly; without
# GENERATOR_REAL_PACKAGES the real-package test then says it checked nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh   # ~/.cargo/bin (worker-build, wasm-bindgen) and .venv/bin on PATH
export GENERATOR_REAL_PACKAGES="$real_packages_dir/tests"   # fdroidserver's APKs and IPA
export WRANGLER_SEND_METRICS=false
echo "test: cargo test --locked ${*:---workspace}"
if (($#)); then
    exec cargo test --locked "$@"
fi
exec cargo test --workspace --locked --no-fail-fast   # every failure reported, still a failing run
