#!/usr/bin/env bash
# Heartbeats per second that the edge worker sustains against a local D1 (Miniflare), next to
# protocol E's version check (which writes nothing) in the same run. See BENCHMARKS.md,
# "Telemetry throughput (D1, Miniflare)".
#
#   bench/telemetry-throughput.sh            # THREADS=2 CONNS=32 DURATION=10s WARMUP=3s RING=100
#   KEEP=1 bench/telemetry-throughput.sh     # keep the temporary directory (logs, wrk output, D1)
#
# Steps: build the example site and export the example credentials (the secret bulk file
# carries telemetry_salt); build the edge worker with scripts/build-worker.sh (into the
# temporary directory, not edge-worker/build/); serve it with
# bench/serve-telemetry.mjs (Miniflare 4 from Node: assets, KV, EDGE_SECRETS and the TELEMETRY
# D1 with migrations/ applied, its SQLite file under the temporary directory); check one answer
# of each route with curl; then, on that one server, run wrk with bench/wrk-telemetry.lua:
#
#   check      POST /api/v1/version/check (app 534a235d30f13cac, 1.0.0, windows): reads only
#   unique     heartbeats, a new machine_id per request: one row each
#   repeat     heartbeats cycling through RING machine ids: after the first RING, the upsert
#              finds the row unchanged and writes nothing
#
# Heartbeats go through the telemetry queues (serve-telemetry.mjs binds wrangler.toml's
# producers and consumers): the request sends one message; the worker's queue consumer writes
# each batch (up to 100) to D1 with one statement. So the rows are counted once the queues
# have drained, and the D1 work the consumer does per batch is shown by the "one statement"
# checks.
#   check(end) the version check again, so that drift shows
#
# Each row: a warm-up with the same settings, then machine_days is emptied (through the control
# port of serve-telemetry.mjs), then the measurement, then machine_days is counted and compared
# with the machine ids sent: `unique` must leave between (answered) and (sent) rows, one per
# id; `repeat` exactly RING. Every answer that is not a 200 with the expected JSON is counted
# ("bad"). Ratios are against the mean of the two version-check rows.
#
# Needs what bench/edge-throughput.sh needs: wrk, node + `npm ci`, worker-build 0.8.7, the
# wasm-bindgen CLI 0.2.130, the wasm32 target.
set -euo pipefail

BENCH_NAME=telemetry-throughput
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

RING="${RING:-100}"

grep -q telemetry_salt "$tmp/secrets-bulk.json" || die "no telemetry_salt in the exported secrets"

# --- worker --------------------------------------------------------------------------------
echo "== building the edge worker (scripts/build-worker.sh)"
# Into $tmp/worker, not edge-worker/build/: a running scripts/dev.sh serves that one.
scripts/build-worker.sh --out-dir "$tmp/worker" >"$tmp/build-edge.log" 2>&1 || {
    cat "$tmp/build-edge.log"
    die "edge worker build failed"
}
f="$tmp/worker/index_bg.wasm"
printf 'edge-worker wasm: raw %d B, gzip -9 %d B\n' "$(stat -c %s "$f")" "$(gzip -9 -c "$f" | wc -c)"
echo "source: HEAD $(git rev-parse --short HEAD); uncommitted changes in edge-worker/ update-protocol/ migrations/: $(git status --porcelain -- edge-worker update-protocol migrations | wc -l) files"

# --- machine ---------------------------------------------------------------------------------
echo "== machine"
echo "cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "workerd $(node_modules/.bin/workerd --version | awk '{print $2}'), miniflare $(node -p 'require("./node_modules/miniflare/package.json").version'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), node $(node --version)"
echo "D1 file system: $(df -T "$tmp" | awk 'NR==2{print $2" ("$1")"}')"
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency (warm-up -d$WARMUP, same settings); RING=$RING"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "started: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# --- server ----------------------------------------------------------------------------------
port="$(free_port)"
cport="$(free_port)"
base="http://127.0.0.1:$port"
ctl="http://127.0.0.1:$cport"
node bench/serve-telemetry.mjs --script "$tmp/worker/index.js" --port "$port" \
    --control-port "$cport" --site "$assets" --kv-bulk "$tmp/kv-bulk.json" \
    --secret-bulk "$tmp/secrets-bulk.json" --d1-persist "$tmp/d1" >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do
    grep -q '^ready ' "$tmp/server.log" && break
    kill -0 "$server_pid" 2>/dev/null || {
        cat "$tmp/server.log"
        die "server exited"
    }
    sleep 0.25
done
grep -q '^ready ' "$tmp/server.log" || die "server did not start"
grep '^applied ' "$tmp/server.log" || die "no migration applied"
workerd_pid="$(pgrep -P "$server_pid" workerd || true)"
[[ -n "$workerd_pid" ]] || die "no workerd under serve-telemetry.mjs"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, 1/100 s
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
wbytes() { awk '/^write_bytes/{print $2}' "/proc/$1/io"; } # bytes sent to the block layer
count() { curl -sf "$ctl/count"; }
# drained: the count once the queues' consumer has written everything (heartbeats reach D1 a
# second or so after they were answered): polled until it stays the same for 8 s (at most 90 s).
drained() {
    local last="" now same=0
    for _ in $(seq 1 360); do
        now="$(count)"
        if [[ "$now" == "$last" ]]; then same=$((same + 1)); else same=0; fi
        ((same >= 32)) && break
        last="$now"
        sleep 0.25
    done
    echo "$now"
}
reset() { curl -sf -X POST "$ctl/reset" >/dev/null; }

# --- checks ----------------------------------------------------------------------------------
post() { # PATH BODY → "STATUS BODY"
    local out="$tmp/post-body" status
    status="$(curl -s -o "$out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -d "$2" "$base$1")"
    echo "$status $(cat "$out")"
}
r="$(post /api/v1/version/check '{"app_key":"534a235d30f13cac","current_version":"1.0.0","platform":"windows"}')"
[[ "$r" == 200\ *'"code":200,'* ]] || die "version check: $r"
echo "check version: ${r:0:140}"
r="$(post /api/v1/user/heartbeat '{"app_key":"534a235d30f13cac","machine_id":"curl-check","version":"1.1.0"}')"
[[ "$r" == 200\ *'"recorded":true'* ]] || die "heartbeat: $r"
echo "check heartbeat: $r"
echo "check D1 (the queue drained): $(drained)"
# What D1 itself counts for the consumer's heartbeat statement (HEARTBEATS of
# edge-worker/src/ingest.rs: one per kind per batch, reading the batch's rows from one JSON
# array), sent here through the control port for a batch of 100 new machines, the same batch
# again, and the batch with every version changed.
upsert="INSERT INTO machine_days (app, day, machine, version, platform) SELECT j.value ->> 'app', j.value ->> 'day', j.value ->> 'machine', j.value ->> 'version', j.value ->> 'platform' FROM json_each(?1) AS j WHERE true ON CONFLICT (app, day, machine) DO UPDATE SET version = excluded.version, platform = excluded.platform WHERE version <> excluded.version OR platform <> excluded.platform"
grep -qF "$upsert" <(tr -d '\\\n"' <edge-worker/src/ingest.rs | tr -s ' ') ||
    echo "note: the heartbeat statement of edge-worker/src/ingest.rs differs from the one checked here"
meta() { # SQL PARAMS-JSON → D1 meta, abridged
    node -e 'process.stdout.write(JSON.stringify({sql: process.argv[1], params: JSON.parse(process.argv[2])}))' "$1" "$2" |
        curl -sf -X POST "$ctl/sql" --data-binary @- |
        node -e 'const m=JSON.parse(require("fs").readFileSync(0));console.log(`changes=${m.changes} rows_read=${m.rows_read} rows_written=${m.rows_written} changed_db=${m.changed_db}`)'
}
day=$(($(date +%s) / 86400))
batch() { # VERSION → the params: one JSON array of 100 heartbeats
    node -e 'const [day, v] = process.argv.slice(1); console.log(JSON.stringify([JSON.stringify(Array.from({length: 100}, (_, i) => ({app: "bench-app", day: Number(day), machine: `m-meta-${i}`, version: v, platform: "windows"})))]))' "$day" "$1"
}
echo "check one statement, 100 new machines:     $(meta "$upsert" "$(batch 1.1.0)")"
echo "check one statement, the same 100 again:   $(meta "$upsert" "$(batch 1.1.0)")"
echo "check one statement, 100 versions changed: $(meta "$upsert" "$(batch 1.2.0)")"
reset

# --- runs ------------------------------------------------------------------------------------
# bench NAME KIND: warm-up, reset, measurement, count; appends a row to $tmp/rows.
bench() {
    local name="$1" kind="$2" f="$tmp/$1" tag
    tag="$(date +%s)-$RANDOM"
    wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s bench/wrk-telemetry.lua "$base" \
        -- "$kind" "warm-$tag" "$RING" >"$f-warm.wrk"
    drained >/dev/null # the warm-up's heartbeats written before the table is emptied
    reset
    local w0 n0 b0 io0 w1 n1 b1 io1 wrk_cpu out rows machines
    w0=$(ticks "$workerd_pid") n0=$(ticks "$server_pid") b0=$(busy) io0=$(wbytes "$workerd_pid")
    /usr/bin/time -f 'WRKCPU %U %S' -o "$f.time" \
        wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/wrk-telemetry.lua "$base" \
        -- "$kind" "m-$tag" "$RING" >"$f.wrk"
    w1=$(ticks "$workerd_pid") n1=$(ticks "$server_pid") b1=$(busy) io1=$(wbytes "$workerd_pid")
    wrk_cpu=$(awk '/^WRKCPU/{printf "%d", ($2 + $3) * 100}' "$f.time")
    out="$(grep '^RESULT' "$f.wrk")" || {
        cat "$f.wrk"
        die "$name: no result from wrk"
    }
    grep '^BADSAMPLE' "$f.wrk" | sed "s/^/$name: first bad answer: /" || true
    drained >"$f.count" # the requests still in flight, and the queues' consumer, finish
    rows="$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).rows' "$f.count")"
    machines="$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).machines' "$f.count")"
    echo "$name: ${out#RESULT } d1_rows=$rows d1_machines=$machines"
    echo "$name: D1 groups $(node -p 'JSON.stringify(JSON.parse(require("fs").readFileSync(process.argv[1])).groups)' "$f.count")"
    local requests sent bad verdict
    requests="$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$out")"
    sent="$(sed -E 's/.* sent=([0-9]+).*/\1/' <<<"$out")"
    bad="$(sed -E 's/.* bad=([0-9]+).*/\1/' <<<"$out")"
    case "$kind" in
    check) verdict="$([[ "$rows" == 0 ]] && echo ok || echo "UNEXPECTED: $rows rows")" ;;
    unique)
        if ((rows == machines && rows >= requests - bad && rows <= sent)); then verdict=ok; else
            verdict="MISMATCH: $rows rows, $machines machines, $requests answered, $bad bad, $sent sent"
        fi
        ;;
    repeat)
        local want=$((sent < RING ? sent : RING))
        if ((rows == want && machines == want)); then verdict=ok; else
            verdict="MISMATCH: $rows rows, $machines machines, expected $want"
        fi
        ;;
    esac
    echo "$name: D1 check $verdict"
    echo "name=$name ${out#RESULT } rows=$rows verdict=${verdict%%:*} workerd_t=$((w1 - w0)) node_t=$((n1 - n0)) wrk_t=$wrk_cpu other_t=$((b1 - b0 - (w1 - w0) - (n1 - n0) - wrk_cpu)) wbytes=$((io1 - io0))" >>"$tmp/rows"
}

echo
bench check check
bench "heartbeat unique" unique
bench "heartbeat repeat" repeat
bench "check(end)" check
reset
stop_server
if grep -iE 'error|panic|exception|uncaught' "$tmp/server.log" |
    grep -v 'Request.cf' >"$tmp/errors.log"; then
    echo "server log: $(wc -l <"$tmp/errors.log") error lines, first ones:"
    head -5 "$tmp/errors.log"
else
    echo "server log: no errors"
fi

# --- report ----------------------------------------------------------------------------------
echo
awk -F'\t' -v conns="$CONNS" '
    {
        line[NR] = $0
        n = split($0, f, " ")
        for (i = 1; i <= n; i++) if (f[i] ~ /^rps=/) { sub(/^rps=/, "", f[i]); rps[NR] = f[i] }
    }
    END {
        base = (rps[1] + rps[NR]) / 2
        printf "== results (ratio: against the mean of the two version-check rows, %.0f req/s)\n", base
        print "| run | req/s | ratio | p50 | p90 | p99 | wrk avg | c/rps | non-2xx | bad | socket errors | D1 rows (sent) | D1 check | workerd CPU/req | workerd write B/req | CPU-s workerd / node / wrk / other |"
        print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|"
        for (r = 1; r <= NR; r++) {
            delete v
            n = split(line[r], f, " ")
            name = ""
            for (i = 1; i <= n; i++) {
                if (split(f[i], kv, "=") == 2) v[kv[1]] = kv[2]; else name = name " " f[i]
            }
            v["name"] = v["name"] name
            printf "| %s | %.0f | %.2f | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %d | %d | %d | %d (%d) | %s | %.0f µs | %.0f | %.1f / %.1f / %.1f / %.1f |\n",
                v["name"], v["rps"], v["rps"] / base, v["p50_us"] / 1000, v["p90_us"] / 1000,
                v["p99_us"] / 1000, v["avg_us"] / 1000, conns * 1000 / v["rps"], v["non2xx3xx"],
                v["bad"], v["connect"] + v["read"] + v["write"] + v["timeout"], v["rows"],
                v["sent"], v["verdict"], v["workerd_t"] * 10000 / v["requests"],
                v["wbytes"] / v["requests"], v["workerd_t"] / 100, v["node_t"] / 100,
                v["wrk_t"] / 100, v["other_t"] / 100
        }
    }' "$tmp/rows"
cat <<'EOF'
wrk latency: wrk 4 corrects its samples for coordinated omission, so stalls weigh heavily in
avg and p99; c/rps (connections / requests per second) is the mean time a request spent in
flight. CPU/req: workerd's CPU time (all its threads: the entry worker, the asset router, the
edge worker and the D1 Durable Object) over requests. write B/req: workerd's write_bytes
(/proc/PID/io, what reached the block layer) over requests. D1 rows: machine_days after the
measurement (emptied after the warm-up), sent: machine ids the Lua script built.
EOF
echo "D1 files at the end (machine_days emptied):"
find "$tmp/d1" -type f -printf '  %P %s B\n' 2>/dev/null | sort | head -10
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
