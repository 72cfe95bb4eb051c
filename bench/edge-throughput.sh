#!/usr/bin/env bash
# Throughput of the edge worker's update checks under workerd run directly (not behind the
# `wrangler dev` proxy), against a trivial workers-rs worker built the same way, in the same
# run. See BENCHMARKS.md, "Edge worker throughput (workerd direct)".
#
#   bench/edge-throughput.sh                 # THREADS=2 CONNS=32 DURATION=10s WARMUP=3s
#   MODES=workerd bench/edge-throughput.sh   # only the plain workerd config (default: both)
#   KEEP=1 bench/edge-throughput.sh          # keep the temporary directory (logs, wrk output)
#
# Steps: build the example site and export the example credentials; build both workers with
# worker-build (offline: pinned wasm-bindgen, npm's wasm-opt and esbuild) into the temporary
# directory (never edge-worker/build/, which a running scripts/dev.sh serves); print their sizes;
# then, in each mode, serve each worker, check one answer of each route with curl (and that a
# replayed D nonce is refused), and run wrk (warm-up, then the measurement) with
# bench/wrk-requests.lua, which counts every answer that is not a 200 with the expected body.
#
# Modes:
#   workerd    `workerd serve CONFIG.capnp` with a config written here: the worker on the
#              socket, ASSETS a disk service on the worker tree, KEYS a kvNamespace binding
#              served by bench/kv-memory.js (in memory, seeded from the bulk file),
#              NONCE_SHARDS a durableObjectNamespace binding of the worker's own SQLite-backed
#              class NonceShard (enableSql, stored with localDisk in a writable disk service
#              in the server's temporary directory, as Miniflare does), EDGE_SECRETS a text
#              binding, ROLLOUT_CONTROL the worker's SQLite-backed class RolloutControl, the
#              three rate limiters of wrangler.toml as wrapped bindings of Miniflare's
#              rate-limit module (limits out of reach), and TELEMETRY_QUEUE_0..3 queue bindings
#              to a stand-in service that takes each send and drops it (raw workerd has no
#              queue broker). The trivial worker gets the same config (it has its own small
#              classes of those names).
#   miniflare  bench/serve.mjs: Miniflare 4 from Node (the same workerd binary listens on the
#              port), with its entry worker, the assets router (wrangler.toml's
#              run_worker_first) and its SQLite-backed KV simulator in the path (KEYS; the
#              Durable Objects are workerd's own, as in the other mode), its rate limiters and
#              its real queues with their consumers (bench/bindings.mjs reads them from
#              wrangler.toml): what `wrangler dev` runs, minus wrangler's Node proxy.
#
# Order in each mode: trivial, trivial+nonce (D's requests to the trivial worker, which then
# does D's nonce claim, one fetch to a NonceShard Durable Object that runs D's one SQL
# statement, and nothing else), edge A, C, D, T (GET /metadata/timestamp.json, the
# edge-signed TUF timestamp), trivial again. Ratios are
# against the mean of the two trivial runs of the same mode; both are printed so that drift
# from other work shows.
#
# Needs: wrk (Debian: apt-get install -y wrk), node + `npm ci`, worker-build 0.8.7 and the
# wasm-bindgen CLI 0.2.130 (installed with cargo when missing), the wasm32 target.
set -euo pipefail

BENCH_NAME=edge-throughput
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

MODES="${MODES:-workerd miniflare}"
seconds() { # "10s" / "1m" / "10" → seconds
    case "$1" in
    *m) echo $((${1%m} * 60)) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
    esac
}

# The timestamp route (T) signs for the example's own TUF repository (example/tuf/, demo keys;
# the timestamp key is in the example's secrets).
[[ -f "$assets/_edge/tuf.json" ]] || die "the example's worker tree has no _edge/tuf.json (example/tuf/ missing?)"

compat_date="$(sed -nE 's/^compatibility_date *= *"([^"]+)".*/\1/p' wrangler.toml)"
[[ -n "$compat_date" ]] || die "no compatibility_date in wrangler.toml"

# --- workers -------------------------------------------------------------------------------
echo "== building the workers (worker-build --release)"
# The same tools and settings as scripts/build-worker.sh, which builds the edge worker.
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$root/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$root/node_modules/.bin/esbuild}"
# Into $tmp/build/, not edge-worker/build/: a running scripts/dev.sh serves that one.
edge_build="$tmp/build/edge-worker" trivial_build="$tmp/build/trivial-worker"
scripts/build-worker.sh --out-dir "$edge_build" >"$tmp/build-edge.log" 2>&1 || {
    cat "$tmp/build-edge.log"
    die "edge worker build failed"
}
(cd bench/trivial-worker && worker-build --release --out-dir "$trivial_build") >"$tmp/build-trivial.log" 2>&1 || {
    cat "$tmp/build-trivial.log"
    die "trivial worker build failed"
}

echo "== sizes (build/index_bg.wasm)"
for w in edge-worker:"$edge_build" bench/trivial-worker:"$trivial_build"; do
    f="${w#*:}/index_bg.wasm"
    printf '%-22s raw %9d B   gzip -9 %9d B\n' "${w%%:*}" "$(stat -c %s "$f")" "$(gzip -9 -c "$f" | wc -c)"
done

# --- machine ---------------------------------------------------------------------------------
echo "== machine"
echo "cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "workerd $(node_modules/.bin/workerd --version | awk '{print $2}'), miniflare $(node -p 'require("./node_modules/miniflare/package.json").version'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), node $(node --version)"
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency (warm-up -d$WARMUP, same settings)"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# The three rate limiters of wrangler.toml as wrapped bindings of Miniflare's module, limits
# raised out of reach (the binding is called on every request, as deployed; a benchmark sends
# far more from one address than any client).
ratelimit_bindings() {
    local name
    for name in $(sed -nE '/^\[\[ratelimits\]\]/,/^$/s/^name = "([^"]+)"/\1/p' wrangler.toml); do
        printf '    (name = "%s", wrapped = (moduleName = "cloudflare-internal:ratelimit:module", innerBindings = [(name = "namespaceId", json = "\\"%s\\""), (name = "limit", json = "1000000000"), (name = "period", json = "60")])),\n' "$name" "$name"
    done
}

# write_config DIR PORT: the plain workerd config of the worker copied into DIR; its Durable
# Objects' SQLite files go into DIR/do.
write_config() {
    local dir="$1" port="$2"
    cat >"$dir/config.capnp" <<EOF
# Written by bench/edge-throughput.sh.
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .main),
    (name = "site", disk = (path = "$assets")),
    (name = "kv-keys", worker = .kvKeys),
    (name = "do-storage", disk = (path = "$dir/do", writable = true)),
    (name = "queue-sink", worker = .queueSink),
  ],
  # Miniflare's rate-limiting binding module (node_modules/miniflare), as wrapped bindings.
  extensions = [ (modules = [ (name = "cloudflare-internal:ratelimit:module",
                               esModule = embed "ratelimit.worker.js", internal = true) ]) ],
  sockets = [ (name = "http", address = "127.0.0.1:$port", http = (), service = "main") ],
);
const main :Workerd.Worker = (
  modules = [
    (name = "index.js", esModule = embed "index.js"),
    (name = "index_bg.wasm", wasm = embed "index_bg.wasm"),
  ],
  compatibilityDate = "$compat_date",
  bindings = [
    (name = "ASSETS", service = "site"),
    (name = "KEYS", kvNamespace = "kv-keys"),
    (name = "NONCE_SHARDS", durableObjectNamespace = "NonceShard"),
    (name = "ROLLOUT_CONTROL", durableObjectNamespace = "RolloutControl"),
    (name = "EDGE_SECRETS", text = embed "edge-secrets.txt"),
$(ratelimit_bindings)
    (name = "TELEMETRY_QUEUE_0", queue = "queue-sink"),
    (name = "TELEMETRY_QUEUE_1", queue = "queue-sink"),
    (name = "TELEMETRY_QUEUE_2", queue = "queue-sink"),
    (name = "TELEMETRY_QUEUE_3", queue = "queue-sink"),
  ],
  durableObjectNamespaces = [
    (className = "NonceShard", uniqueKey = "update-edge-bench-NonceShard", enableSql = true),
    (className = "RolloutControl", uniqueKey = "update-edge-bench-RolloutControl", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "do-storage"),
);
const queueSink :Workerd.Worker = (
  modules = [ (name = "queue-sink.js", esModule = embed "queue-sink.js") ],
  compatibilityDate = "$compat_date",
);
const kvKeys :Workerd.Worker = (
  modules = [ (name = "kv-memory.js", esModule = embed "kv-memory.js") ],
  compatibilityDate = "$compat_date",
  bindings = [ (name = "SEED", json = embed "kv-bulk.json") ],
);
EOF
}

# start_server MODE NAME BUILD_DIR: serves the worker built in BUILD_DIR (index.js and
# index_bg.wasm) with the example's bindings; sets port, base, server_pid and workerd_pid.
start_server() {
    local mode="$1" name="$2" build="$3" dir="$tmp/$2"
    port="$(free_port)"
    base="http://127.0.0.1:$port"
    mkdir -p "$dir"
    if [[ "$mode" == workerd ]]; then
        cp "$build/index.js" "$build/index_bg.wasm" bench/kv-memory.js "$tmp/kv-bulk.json" "$dir/"
        cp node_modules/miniflare/dist/src/workers/ratelimit/ratelimit.worker.js "$dir/"
        # A stand-in for the queues' broker: takes every send and drops it (raw workerd has no
        # queues; the miniflare mode has the real ones).
        echo 'export default { async fetch(req) { await req.arrayBuffer(); return new Response(null, { status: 200 }); } };' >"$dir/queue-sink.js"
        node -e 'const fs = require("fs");
            fs.writeFileSync(process.argv[2], JSON.parse(fs.readFileSync(process.argv[1])).EDGE_SECRETS)' \
            "$tmp/secrets-bulk.json" "$dir/edge-secrets.txt"
        mkdir -p "$dir/do"
        write_config "$dir" "$port"
        node_modules/.bin/workerd serve "$dir/config.capnp" >"$dir/server.log" 2>&1 &
        server_pid=$!
        workerd_pid=$server_pid
    else
        node bench/serve.mjs --script "$build/index.js" --port "$port" --site "$assets" \
            --kv-bulk "$tmp/kv-bulk.json" --secret-bulk "$tmp/secrets-bulk.json" \
            >"$dir/server.log" 2>&1 &
        server_pid=$!
    fi
    local up=""
    for _ in $(seq 1 240); do
        if [[ "$mode" == workerd ]]; then
            curl -s -o /dev/null "$base/" && up=1
        else
            grep -q '^ready ' "$dir/server.log" && up=1
        fi
        [[ -n "$up" ]] && break
        kill -0 "$server_pid" 2>/dev/null || {
            cat "$dir/server.log"
            die "$name: server exited"
        }
        sleep 0.25
    done
    [[ -n "$up" ]] || die "$name: server did not start"
    if [[ "$mode" == miniflare ]]; then
        workerd_pid="$(pgrep -P "$server_pid" workerd || true)"
        [[ -n "$workerd_pid" ]] || die "$name: no workerd under serve.mjs"
    fi
}

ticks() { # utime + stime of a process, in clock ticks (1/100 s)
    awk '{print $14 + $15}' "/proc/$1/stat"
}
busy() { # all CPUs' non-idle ticks
    awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}

# check NAME ROUTE MARKER: one request with curl; a 200 whose body contains MARKER.
check() {
    local name="$1" route="$2" marker="$3" args status body="$tmp/check-$1"
    mapfile -t args < <(node bench/requests.mjs curl "$route")
    status="$(curl -s -o "$body" -w '%{http_code}' "${args[@]:0:2}" "$base${args[2]}" "${args[@]:3}")"
    if [[ "$status" != 200 ]] || ! grep -qF "$marker" "$body"; then
        die "$name: expected a 200 with $marker, got $status: $(cat "$body")"
    fi
    echo "check $name: $status $(head -c 110 "$body")"
    if [[ "$route" == D ]]; then # the same signed request again: its nonce is now used
        status="$(curl -s -o "$body" -w '%{http_code}' "${args[@]:0:2}" "$base${args[2]}" "${args[@]:3}")"
        grep -q 'nonce already used' "$body" ||
            die "$name replay: expected a nonce rejection, got $status: $(cat "$body")"
        echo "check $name replay: $status $(cat "$body")"
    fi
}

# bench MODE NAME ROUTE MARKER: warm-up then measurement; appends a row to $tmp/rows-MODE.
bench() {
    local mode="$1" name="$2" route="$3" marker="$4" n_main=1 n_warm=1 out
    if [[ "$route" == D ]]; then
        # Enough distinct signed requests for the trivial worker's rate (an upper bound) with
        # half as much again; wrk-requests.lua reports any wrap-around (a reused nonce).
        local rate
        rate="$(head -1 "$tmp/trivial-rps-$mode")"
        rate="${rate%.*}"
        n_main=$(((rate * $(seconds "$DURATION") * 3 / 2) + 1000))
        n_warm=$(((rate * $(seconds "$WARMUP") * 3 / 2) + 1000))
    fi
    local f="$tmp/$mode-$name"
    node bench/requests.mjs raw "$route" "127.0.0.1:$port" "$n_warm" "$f-warm.req"
    node bench/requests.mjs raw "$route" "127.0.0.1:$port" "$n_main" "$f.req"
    wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s bench/wrk-requests.lua "$base" \
        -- "$f-warm.req" "$marker" "$THREADS" >"$f-warm.wrk"
    local w0 n0=0 b0 w1 n1=0 b1 wrk_cpu
    w0=$(ticks "$workerd_pid") b0=$(busy)
    [[ "$mode" == miniflare ]] && n0=$(ticks "$server_pid")
    /usr/bin/time -f 'WRKCPU %U %S' -o "$f.time" \
        wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/wrk-requests.lua "$base" \
        -- "$f.req" "$marker" "$THREADS" >"$f.wrk"
    w1=$(ticks "$workerd_pid") b1=$(busy)
    [[ "$mode" == miniflare ]] && n1=$(ticks "$server_pid")
    wrk_cpu=$(awk '/^WRKCPU/{printf "%d", ($2 + $3) * 100}' "$f.time")
    out="$(grep '^RESULT' "$f.wrk")" || {
        cat "$f.wrk"
        die "$name: no result from wrk"
    }
    grep '^BADSAMPLE' "$f.wrk" | sed "s/^/$name: first bad answer: /" || true
    echo "$name: ${out#RESULT }"
    # Row: name, then RESULT's key=value fields, then CPU ticks during the measurement.
    echo "name=$name ${out#RESULT } workerd_t=$((w1 - w0)) node_t=$((n1 - n0)) wrk_t=$wrk_cpu other_t=$((b1 - b0 - (w1 - w0) - (n1 - n0) - wrk_cpu))" >>"$tmp/rows-$mode"
    if [[ "$route" == trivial ]]; then sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$out" >>"$tmp/trivial-rps-$mode"; fi
}

# --- runs ------------------------------------------------------------------------------------
for mode in $MODES; do
    echo
    echo "== mode $mode: trivial worker"
    start_server "$mode" trivial-"$mode" "$trivial_build"
    check trivial A '"code":200'
    bench "$mode" trivial trivial '"code":200'
    # D's signed requests: the trivial worker adds only D's nonce claim in a Durable Object
    # (see its lib.rs).
    bench "$mode" "trivial+nonce" D '"code":200'
    stop_server

    echo "== mode $mode: edge worker"
    start_server "$mode" edge-"$mode" "$edge_build"
    check A A '"version":"1.2.0"'
    check C C '"targetVersion":"1.3.0"'
    check D D '"code":200,'
    check T T '"_type":"timestamp"'
    bench "$mode" A A '"version":"1.2.0"'
    bench "$mode" C C '"targetVersion":"1.3.0"'
    bench "$mode" D D '"code":200,'
    bench "$mode" T T '"_type":"timestamp"'
    stop_server
    if grep -iE 'error|panic|exception|uncaught' "$tmp/edge-$mode/server.log" |
        grep -v 'Request.cf' >"$tmp/edge-$mode/errors.log"; then
        echo "edge worker log: $(wc -l <"$tmp/edge-$mode/errors.log") error lines, first ones:"
        head -5 "$tmp/edge-$mode/errors.log"
    else
        echo "edge worker log: no errors"
    fi

    echo "== mode $mode: trivial worker again"
    start_server "$mode" trivial2-"$mode" "$trivial_build"
    bench "$mode" "trivial(end)" trivial '"code":200'
    stop_server
done

# --- report ----------------------------------------------------------------------------------
for mode in $MODES; do
    echo
    awk -v mode="$mode" -v conns="$CONNS" '
        NR == FNR { trivial[++n] = $1; next }
        FNR == 1 {
            base = (trivial[1] + trivial[2]) / 2
            printf "== results, mode %s (ratio: against the mean of the two trivial runs, %.0f req/s)\n", mode, base
            print "| run | req/s | ratio | wrk latency avg | p50 | p99 | c/rps | non-2xx | bad answers | reused nonces | socket errors | workerd CPU/req | CPU-s workerd / node / wrk / other |"
            print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
        }
        {
            delete v
            for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            printf "| %s | %.0f | %.2f | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %d | %d | %d | %d | %.0f µs | %.1f / %.1f / %.1f / %.1f |\n",
                v["name"], v["rps"], v["rps"] / base, v["avg_us"] / 1000, v["p50_us"] / 1000,
                v["p99_us"] / 1000, conns * 1000 / v["rps"], v["non2xx3xx"], v["bad"], v["wrapped"],
                v["connect"] + v["read"] + v["write"] + v["timeout"],
                v["workerd_t"] * 10000 / v["requests"], v["workerd_t"] / 100, v["node_t"] / 100,
                v["wrk_t"] / 100, v["other_t"] / 100
        }' "$tmp/trivial-rps-$mode" "$tmp/rows-$mode"
done
cat <<'EOF'
wrk latency: wrk 4 corrects its latency samples for coordinated omission (stats_correct: a
response that took longer than twice the mean interval per connection adds synthetic samples),
so stalls weigh heavily in avg and p99. c/rps (connections / requests per second) is the mean
time a request actually spent in flight (Little's law). CPU/req: workerd's CPU time (all its
threads, with the nonce Durable Objects, and in workerd mode the in-memory KV service too) over
requests; "other" is the rest of the machine's busy time during the measurement (other work
running concurrently).
EOF
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
