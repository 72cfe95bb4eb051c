#!/usr/bin/env bash
# Time from starting `scripts/dev.sh` to its first answer, with set-up already done. See
# BENCHMARKS.md, "scripts/dev.sh time to serving".
#
#   bench/dev-startup.sh                  # cold, then warm
#   bench/dev-startup.sh warm warm warm   # any sequence of cold and warm starts
#   PORT=8796 bench/dev-startup.sh        # the port dev.sh serves on (default 8796)
#
#   cold  no state of a previous dev.sh in this checkout: site/, site-edge/, .wrangler/ (local
#         KV, D1 and the exported example keys) and edge-worker/build{,-dev}/ are removed
#         first. Cargo's build cache in target/ is kept: the generator and the worker are
#         compiled, not rebuilt.
#   warm  straight after the previous start of this script (stopped once it answered), with
#         everything it left.
#
# Each start: `PORT=$PORT scripts/dev.sh`, then every 0.2 s the README's hot-update check
# (protocol A, `POST /api/v1/check` with the example's API key) until it answers 200; prints the
# seconds from the start to that answer, then stops dev.sh (its whole process group: wrangler
# dev ignores SIGTERM). dev.sh's output, each line stamped with the seconds since the start,
# goes to target/bench/dev-startup/MODE-N.log, so that it shows where the time went.
#
# Do not run it while a scripts/dev.sh of this checkout is serving: a cold start removes that
# server's site/, site-edge/ and .wrangler/.
set -euo pipefail
set -m # dev.sh gets its own process group, stopped as a whole
cd "$(dirname "$0")/.."
root="$PWD"
PORT="${PORT:-8796}"
modes=("$@")
((${#modes[@]})) || modes=(cold warm)
for m in "${modes[@]}"; do
    [[ "$m" == cold || "$m" == warm ]] || {
        echo "dev-startup: unknown mode $m (cold or warm)" >&2
        exit 2
    }
done

scripts/setup.sh --dev --check >/dev/null || {
    echo "dev-startup: set-up is not done (this measures dev.sh without installs): run scripts/setup.sh --dev" >&2
    exit 1
}
if pgrep -f "$root/node_modules/wrangler/wrangler-dist/cli.js dev" >/dev/null; then
    echo "dev-startup: a wrangler dev of this checkout is running; stop it first" >&2
    exit 1
fi
if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo "dev-startup: something already answers on port $PORT; choose another PORT" >&2
    exit 1
fi
logs=target/bench/dev-startup
mkdir -p "$logs"

dev=""
stop_dev() {
    if [[ -n "$dev" ]]; then
        kill -s KILL -- "-$dev" 2>/dev/null || true
        wait "$dev" 2>/dev/null || true
        dev=""
    fi
}
trap stop_dev EXIT

elapsed() { # seconds since $start, two decimals
    awk -v now="$EPOCHREALTIME" -v start="$start" 'BEGIN { printf "%.2f", now - start }'
}
check() { # the README's protocol A check: prints the HTTP status
    curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/api/v1/check" \
        -H 'X-API-Key: demo-project-api-key-android' -H 'content-type: application/json' \
        -d '{"currentVersion":"1.0.0","architecture":"arm64-v8a"}' || true
}

echo "machine: $(nproc) cores; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' || echo ' + uncommitted changes')"
n=0
for mode in "${modes[@]}"; do
    n=$((n + 1))
    log="$logs/$mode-$n.log"
    if [[ "$mode" == cold ]]; then
        rm -rf site site.* site-edge .wrangler edge-worker/build edge-worker/build-dev
    fi
    start=$EPOCHREALTIME
    (
        PORT="$PORT" scripts/dev.sh 2>&1 | while IFS= read -r line; do
            printf '%7s %s\n' "$(elapsed)" "$line"
        done
    ) >"$log" &
    dev=$!
    status=""
    while :; do
        status="$(check)"
        [[ "$status" == 200 ]] && break
        if ! kill -0 "$dev" 2>/dev/null; then
            cat "$log"
            echo "dev-startup: scripts/dev.sh stopped before it answered (log: $log)" >&2
            exit 1
        fi
        if (($(elapsed | cut -d. -f1) > 900)); then
            echo "dev-startup: no 200 after 15 minutes (last status $status; log: $log)" >&2
            exit 1
        fi
        sleep 0.2
    done
    secs="$(elapsed)"
    stop_dev
    printf '%s: %s s to the first 200 (log: %s)\n' "$mode" "$secs" "$log"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
