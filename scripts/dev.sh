#!/usr/bin/env bash
# The main job on the bundled example: build the site from example/, load the example's keys
# and licenses into local KV and its secrets into .dev.vars, create the local telemetry
# database (D1 migrations), build the edge worker, and serve
# both on http://127.0.0.1:8787 under `wrangler dev` (workerd, local state in .wrangler/).
# Runs `scripts/setup.sh --dev` first: it installs the pinned tools this needs (the Rust
# toolchain with wasm32, worker-build, wasm-bindgen-cli, npm ci) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
# shellcheck source=scripts/env.sh
source scripts/env.sh # ~/.cargo/bin on PATH: wrangler runs scripts/build-worker.sh
export WRANGLER_SEND_METRICS=false
gen() { cargo run --release --locked -q -p generator -- "$@"; }
gen build --root example --out site
out=.wrangler/example-keys
gen keys --root example --dir example/keys export \
  --kv "$out/kv-bulk.json" --dev-vars "$out/dev.vars" --secret-bulk "$out/secrets-bulk.json"
node_modules/.bin/wrangler kv bulk put "$out/kv-bulk.json" --binding KEYS --local
CI=1 node_modules/.bin/wrangler d1 migrations apply TELEMETRY --local   # schema; CI=1: no prompt
# .dev.vars is the worker's local secrets: replace it only when it is ours (or missing).
if [ ! -e .dev.vars ] || head -n1 .dev.vars | grep -q 'Written by `generator keys`'; then
  cp "$out/dev.vars" .dev.vars
else
  echo "dev.sh: keeping your own .dev.vars; the example's secrets are in $out/dev.vars" >&2
fi
exec node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" "$@"
