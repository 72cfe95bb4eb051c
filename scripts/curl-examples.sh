#!/usr/bin/env bash
# One request per protocol against the local edge (scripts/dev.sh), with the example's
# credentials (docs/keys.md); the README shows the same commands. With --check, each answer
# must be the expected update, or the script fails (CI runs it so).
set -euo pipefail
base="${BASE:-http://127.0.0.1:${PORT:-8787}}"
check=; [ "${1:-}" = --check ] && check=1
expect() {   # expect NAME PATTERN: read the answer on stdin, print it, and check it
  local out; out="$(cat)"; printf '%s: %s\n' "$1" "$out"
  if [ -n "$check" ] && ! grep -q -- "$2" <<<"$out"; then echo "$1: expected $2" >&2; exit 1; fi
}

# A, hot update: X-API-Key.
curl -s -X POST "$base/api/v1/check" -H 'X-API-Key: demo-project-api-key-android' \
  -H 'content-type: application/json' -d '{"currentVersion":"1.0.0","architecture":"arm64-v8a"}' \
  | expect A '"hasUpdate":true'

# B, Zealot: newer releases of a channel than the client's build.
curl -s "$base/api/apps/latest?channel_key=demo-channel-ios-release&bundle_id=com.example.demo.ios&release_version=2.0.0&build_version=100" \
  | expect B '"release_version":"2.1.0"'

# C, license-gated: check, then the signed package.
curl -s -X POST "$base/api/v1/apps/app_desktop_pro/update/check" -H 'content-type: application/json' \
  -d '{"currentVersion":"1.2.0","licenseKey":"LIC-DEMO0ACTIVE000000000000000000001"}' \
  | expect C '"targetVersion":"1.3.0"'
curl -s "$base/api/v1/apps/app_desktop_pro/update/package/1.3.0?licenseKey=LIC-DEMO0ACTIVE000000000000000000001" \
  | expect C-package '"signature":"'

# D, toolsetlink: a signed request (fresh timestamp, single-use nonce, MD5 signature).
body='{"configurationKey":"q1hfB1VUQaK9VksTZGPU1Q","versionCode":1}'
ts="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
nonce="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
sig="$(printf 'body=%s&nonce=%s&secretKey=%s&timestamp=%s&url=%s' "$body" "$nonce" \
  demo-toolsetlink-secret-key "$ts" /v1/configuration/upgrade | md5sum | cut -c1-32)"
curl -s -X POST "$base/v1/configuration/upgrade" -H 'content-type: application/json' \
  -H "X-Timestamp: $ts" -H "X-Nonce: $nonce" -H 'X-AccessKey: AKdemo0toolsetlink' \
  -H "X-Signature: $sig" -d "$body" \
  | expect D '"code":200'

# E, tinyaii: app key in the body.
curl -s -X POST "$base/api/v1/version/check" -H 'content-type: application/json' \
  -d '{"app_key":"534a235d30f13cac","current_version":"1.0.0","platform":"windows"}' \
  | expect E '"has_update":true'
