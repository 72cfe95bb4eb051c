#!/usr/bin/env bash
# The generator's extra time for the TUF repository on the benchmark release set of
# scripts/bench-build.sh (10 apps, 10,000 releases, 300 local artifacts of 7 MiB). Two copies of
# the set share the artifact files (hard links): one plain, one with `tuf/` set up by
# `generator tuf init` (keys in the temporary directory). Measured, with a warm page cache:
#   - the first TUF build (signs targets, the 10 app roles and snapshot);
#   - cold builds (--no-cache, new output directory) without and with tuf/, interleaved, three
#     rounds: with tuf/ in CI's usual state (signed metadata reused, nothing to sign);
#   - no-change rebuilds (digest cache warm) without and with tuf/, three rounds.
# Usage: scripts/bench-tuf-build.sh [DATA_DIR]   (default bench-data/, made by bench-build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-bench-data}"
[ -f "$data/.complete" ] || {
  echo "no $data: run scripts/bench-build.sh first (it generates the release set)" >&2
  exit 1
}
cargo build -q --release -p generator
gen="$PWD/target/release/generator"
tmp="$(mktemp -d /tmp/bench-tuf.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

for v in plain tuf; do
  mkdir -p "$tmp/$v"
  cp -al "$data/apps" "$data/releases" "$tmp/$v/"
  if [ -f "$data/site.toml" ]; then cp "$data/site.toml" "$tmp/$v/"; fi
done
"$gen" -q tuf --root "$tmp/tuf" --keys "$tmp/keys" --keystore "$tmp/keystore" \
  --now 2026-11-01T00:00:00Z init >/dev/null
cat "$data"/releases/*/files/* >/dev/null # warm the page cache

secs() { /usr/bin/time -f %e -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || {
  cat "$tmp/err" >&2
  exit 1
}; cat "$tmp/t"; }
build() { # VARIANT OUT [extra args]: the seconds of one build into OUT
  local v="$1" out="$2" keys=()
  shift 2
  [ "$v" = tuf ] && keys=(--tuf-keys "$tmp/keys" --now 2026-11-01T00:00:00Z)
  secs "$gen" -q build --root "$tmp/$v" --out "$out" "${keys[@]}" "$@"
}
cold() { # VARIANT: a cold build into a new directory
  rm -rf "$tmp/site-$1" "$tmp/site-$1-edge"
  build "$1" "$tmp/site-$1" --no-cache
}

echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "first build with tuf/ (signs everything): $(cold tuf)s"
echo "metadata: $(find "$tmp/site-tuf/metadata" -type f | wc -l) files, $(du -sb "$tmp/site-tuf/metadata" | cut -f1) bytes; hash-prefixed index.json copies: $(find "$tmp/site-tuf" -name '[0-9a-f]*.index.json' | wc -l)"
for round in 1 2 3; do
  p="$(cold plain)"
  t="$(cold tuf)"
  echo "cold round $round: plain ${p}s  tuf ${t}s"
done
build plain "$tmp/site-plain" --cache "$tmp/cache-plain" >/dev/null
build tuf "$tmp/site-tuf" --cache "$tmp/cache-tuf" >/dev/null
for round in 1 2 3; do
  p="$(build plain "$tmp/site-plain" --cache "$tmp/cache-plain")"
  t="$(build tuf "$tmp/site-tuf" --cache "$tmp/cache-tuf")"
  echo "no-change rebuild round $round: plain ${p}s  tuf ${t}s"
done
