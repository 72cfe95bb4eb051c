#!/usr/bin/env bash
# Benchmarks `generator build` on a synthetic release set: ~2.1 GB of artifacts in 300 files and
# 10,000 release manifests. Reports, in one run and against baselines measured in the same run:
#   - the cold build against `sha256sum` then `md5sum` over the same files;
#   - the cold build against the machine's hashing limit (bytes / openssl's sha256 and md5 rates,
#     shared over the cores);
#   - a no-change rebuild against the cold build.
# Every measurement is with a warm page cache (the files are read once before timing).
# Usage: scripts/bench-build.sh [DATA_DIR]   (default bench-data/, git-ignored; reused if present)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-bench-data}"
apps=10 per_app=1000 local_per_app=30 file_mib=7

if [ ! -f "$data/.complete" ]; then
  echo "generating $data (once) ..." >&2
  rm -rf "$data"
  python3 - "$data" "$apps" "$per_app" "$local_per_app" "$file_mib" <<'PY'
import os, sys
data, apps, per_app, local_per_app, file_mib = sys.argv[1], *map(int, sys.argv[2:])
os.makedirs(f"{data}/apps")
for a in range(apps):
    app = f"bench-{a}"
    with open(f"{data}/apps/{app}.toml", "w") as f:
        f.write(f'id = "{app}"\nname = "Bench {a}"\nplatform = "android"\n'
                '[[architectures]]\nkey = "arm64-v8a"\nname = "ARM64"\ndefault = true\n'
                '[[architectures]]\nkey = "x86_64"\nname = "x86_64"\n'
                '[[channels]]\nkey = "stable"\nname = "Stable"\n'
                f'[protocols.toolsetlink]\napk_key = "bench-key-{a}"\n')
    rel = f"{data}/releases/{app}"
    os.makedirs(f"{rel}/files")
    for i in range(per_app):
        lines = [f'app = "{app}"', f'version = "1.{i}.0"', f'version_code = {i + 1}',
                 f'published_at = "2026-01-01T00:00:00Z"', f'changelog = "Release {i} of {app}"']
        if i < local_per_app:
            name = f"{app}-1.{i}.0.apk"
            with open(f"{rel}/files/{name}", "wb") as out:
                for _ in range(file_mib):
                    out.write(os.urandom(1 << 20))
            lines += ['[[artifacts]]', 'arch = "arm64-v8a"', f'file = "files/{name}"']
        else:
            lines += ['[[artifacts]]', 'arch = "arm64-v8a"',
                      f'url = "https://cdn.example.com/{app}/1.{i}.0.apk"',
                      f'sha256 = "{(i + 1):064x}"', 'size = 1000']
        lines += ['[[artifacts]]', 'arch = "x86_64"',
                  f'url = "https://cdn.example.com/{app}/1.{i}.0-x86_64.apk"',
                  f'sha256 = "{(i + 7):064x}"', 'size = 1000']
        with open(f"{rel}/1.{i}.0.toml", "w") as f:
            f.write("\n".join(lines) + "\n")
open(f"{data}/.complete", "w").close()
PY
fi

cargo build --release --locked -q -p generator
gen=target/release/generator
mapfile -t files < <(find "$data/releases" -type f ! -name '*.toml' | sort)
bytes=$(cat "${files[@]}" | wc -c)
manifests=$(find "$data/releases" -name '*.toml' | wc -l)
cores=$(nproc)

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.3f}')"; }

cat "${files[@]}" > /dev/null   # warm the page cache

t0=$(now); sha256sum "${files[@]}" > /dev/null; t1=$(now); md5sum "${files[@]}" > /dev/null; t2=$(now)
sha_s=$(secs "$t0" "$t1"); md5_s=$(secs "$t1" "$t2"); coreutils=$(secs "$t0" "$t2")

# openssl speed: bytes/s at 16 KiB blocks (its largest standard size) for each digest.
rate() { openssl speed -evp "$1" -bytes 16384 -seconds 2 2>/dev/null | awk -v a="$1" '$1 == a { v=$NF; sub(/k$/, "", v); print v * 1000 }'; }
sha_rate=$(rate sha256); md5_rate=$(rate md5)
limit=$(python3 -c "print(f'{($bytes / $sha_rate + $bytes / $md5_rate) / $cores:.3f}')")

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rm -rf "$data/.generator-cache"
t0=$(now); "$gen" -q build --root "$data" --out "$out/site"; t1=$(now)
cold=$(secs "$t0" "$t1")
t0=$(now); "$gen" -q build --root "$data" --out "$out/site"; t1=$(now)
rebuild=$(secs "$t0" "$t1")

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
cat <<REPORT
machine: $cores cores, $(uname -m); openssl sha256 $(python3 -c "print(f'{$sha_rate/1e6:.0f}')") MB/s, md5 $(python3 -c "print(f'{$md5_rate/1e6:.0f}')") MB/s (16 KiB blocks)
input: ${#files[@]} artifact files, $(python3 -c "print(f'{$bytes/1e9:.2f}')") GB; $manifests release manifests
sha256sum: ${sha_s}s  md5sum: ${md5_s}s  together: ${coreutils}s
hashing limit (bytes / openssl rates / $cores cores): ${limit}s
cold build: ${cold}s  = $(ratio "$cold" "$coreutils")x the coreutils passes, $(ratio "$cold" "$limit")x the hashing limit
no-change rebuild: ${rebuild}s = $(ratio "$rebuild" "$cold")x the cold build
REPORT
