# Sourced (not run) by scripts/setup.sh, scripts/dev.sh, scripts/test.sh and bench/common.sh:
# puts the tools that scripts/setup.sh installs on PATH, for this shell and its children.
#
#   - `cargo install` writes worker-build and wasm-bindgen to $CARGO_HOME/bin (~/.cargo/bin);
#     scripts/build-worker.sh, which wrangler runs, finds them on PATH.
#   - The tests' Python packages live in .venv/ when set-up had to install them there (see
#     docs/setup.md); the tests run `python3`, so .venv/bin goes first.
# shellcheck shell=bash

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case ":$PATH:" in
*":${CARGO_HOME:-$HOME/.cargo}/bin:"*) ;;
*) export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH" ;;
esac
if [ -x "$repo_root/.venv/bin/python3" ]; then
    case ":$PATH:" in
    *":$repo_root/.venv/bin:"*) ;;
    *) export PATH="$repo_root/.venv/bin:$PATH" ;;
    esac
fi
# Real APKs and an IPA for generator/tests/real_packages.rs (fdroidserver's test data, which
# scripts/setup.sh downloads).
real_packages_version=2.4.5
real_packages_dir="$repo_root/target/real-packages/fdroidserver-$real_packages_version"
