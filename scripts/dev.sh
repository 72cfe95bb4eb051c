#!/usr/bin/env bash
# The main job on the bundled example: build the site from example/, build the edge worker,
# and serve both on http://127.0.0.1:8787 under `wrangler dev` (workerd, local state in
# .wrangler/). Installs the pinned npm tools first if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/wrangler ] || npm ci --no-audit --no-fund
cargo run --release --locked -q -p generator -- build --root example --out site
export WRANGLER_SEND_METRICS=false
exec node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" "$@"
