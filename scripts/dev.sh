#!/usr/bin/env bash
# The main job on the bundled example: build the site from example/ (site/, the public files,
# and site-edge/, the worker tree: the public files plus the edge data), load the example's keys
# and licenses into local KV and its secrets into .dev.vars, create the local telemetry
# database (D1 migrations), build the edge worker, and serve
# both on http://127.0.0.1:8787 under `wrangler dev` (workerd, local state in .wrangler/), the
# worker tree as its assets. While it serves, it watches example/ (once a second) and rebuilds
# when a file there changes, and loads changed keys (created, rotated or revoked under
# example/keys/) into local KV and .dev.vars; wrangler serves the new files. A rebuild that fails prints the
# generator's error and the old trees stay served (docs/site-layout.md: a rebuild updates both
# in place).
# Runs `scripts/setup.sh --dev` first: it installs the pinned tools this needs (the Rust
# toolchain with wasm32, worker-build, wasm-bindgen-cli, npm ci) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
# shellcheck source=scripts/env.sh
source scripts/env.sh # ~/.cargo/bin on PATH: scripts/build-worker.sh needs worker-build
export WRANGLER_SEND_METRICS=false
gen() { cargo run --release --locked -q -p generator -- "$@"; }
repo=example
# The repository's files with their sizes and modification times, as one line; the hash cache
# is left out (every build writes it).
listing() {
  { find "$repo" -path "$repo/.generator-cache" -prune -o -printf '%P %s %T@\n' 2>/dev/null || :; } |
    sort | cksum
}
# Rebuilds site/ and site-edge/ whenever the listing differs from $2, until process $1 (this script, once
# exec'd into wrangler) exits. The listing is taken before each build, so an edit made while
# a build runs is built next; a build that re-signs TUF metadata into the repository gives one
# more build, which changes nothing.
watch_repo() {
  local seen="$2" now
  while kill -0 "$1" 2>/dev/null; do
    sleep 1
    now="$(listing)"
    [ "$now" != "$seen" ] || continue
    seen="$now"
    echo "dev.sh: $repo/ changed; rebuilding site/ and site-edge/" >&2
    if gen build --root "$repo" --out site && load_keys; then
      echo "dev.sh: site/ and site-edge/ rebuilt, keys loaded; wrangler serves them once it has reloaded" >&2
    else
      echo "dev.sh: the build failed (above); still serving the previous site-edge/" >&2
    fi
  done
}
out=.wrangler/example-keys
# Exports the example's keys and loads what changed: KV records put (and those no longer
# exported, a revoked key, deleted), and the secrets into .dev.vars when it is ours (and into
# the copy wrangler dev reads, which restarts the worker with them). Run at start and after
# every rebuild, so a key created or revoked under example/keys/ takes effect while serving.
load_keys() {
  local before=""
  [ -f "$out/kv-bulk.json" ] && before="$(cat "$out/kv-bulk.json")"
  gen keys --root example --dir example/keys export \
    --kv "$out/kv-bulk.json" --dev-vars "$out/dev.vars" --secret-bulk "$out/secrets-bulk.json"
  if [ "$before" != "$(cat "$out/kv-bulk.json")" ]; then
    node_modules/.bin/wrangler kv bulk put "$out/kv-bulk.json" --binding KEYS --local
    if [ -n "$before" ]; then
      printf '%s' "$before" >"$out/kv-before.json"
      node -e '
        const [was, now, gone] = process.argv.slice(1);
        const fs = require("fs"), keys = (f) => JSON.parse(fs.readFileSync(f)).map((r) => r.key);
        const kept = new Set(keys(now));
        fs.writeFileSync(gone, JSON.stringify(keys(was).filter((k) => !kept.has(k))));
      ' "$out/kv-before.json" "$out/kv-bulk.json" "$out/kv-gone.json"
      if [ "$(cat "$out/kv-gone.json")" != "[]" ]; then
        node_modules/.bin/wrangler kv bulk delete "$out/kv-gone.json" --binding KEYS --local --force
      fi
    fi
  fi
  # .dev.vars is the worker's local secrets: replace it only when it is ours (or missing).
  if [ ! -e .dev.vars ] || head -n1 .dev.vars | grep -q 'Written by `generator keys`'; then
    cmp -s "$out/dev.vars" .dev.vars || cp "$out/dev.vars" .dev.vars
  else
    echo "dev.sh: keeping your own .dev.vars; the example's secrets are in $out/dev.vars" >&2
  fi
  if [ -d .wrangler/dev ] && ! cmp -s .dev.vars .wrangler/dev/.dev.vars; then
    cp .dev.vars .wrangler/dev/.dev.vars
  fi
}
seen="$(listing)"
gen build --root "$repo" --out site
rm -f "$out/kv-bulk.json" # a fresh start loads every record
load_keys
CI=1 node_modules/.bin/wrangler d1 migrations apply TELEMETRY --local   # schema; CI=1: no prompt
# wrangler dev reloads the worker when its assets change (and then serves the new files and
# the new edge data) only when it bundled the worker itself: with a custom [build] it never
# does (wrangler 4.86). So the worker is built here, and wrangler dev runs wrangler.toml
# without [build] (paths made absolute, the assets directory site-edge/ included, since the
# copy is in .wrangler/dev/; local state and secrets from where the commands above put them).
# It is built into its own directory, edge-worker/build-dev/, so that the tests' and `wrangler
# deploy`'s builds (edge-worker/build/) never replace the worker this serves, and without
# wasm-opt (--no-opt): the same code, about 20% larger, and half a minute less to a first start
# (BENCHMARKS.md).
scripts/build-worker.sh --out-dir build-dev --no-opt
mkdir -p .wrangler/dev
sed -e '/^\[build\]$/d' -e '/^command = /d' \
  -e "s|^main = \"edge-worker/build/|main = \"$PWD/edge-worker/build-dev/|" -e "s|^directory = \"./|directory = \"$PWD/|" \
  -e "s|^migrations_dir = \"|migrations_dir = \"$PWD/|" wrangler.toml >.wrangler/dev/wrangler.toml
cp .dev.vars .wrangler/dev/.dev.vars
watch_repo "$$" "$seen" &
exec node_modules/.bin/wrangler dev --config .wrangler/dev/wrangler.toml --persist-to .wrangler/state \
  --ip 127.0.0.1 --port "${PORT:-8787}" "$@"
