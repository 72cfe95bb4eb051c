#!/usr/bin/env bash
# Bytes the generator reads per byte of artifacts (issue 19): a cold build and a no-change
# rebuild of a copy of the example whose desktop app (Sparkle, electron-updater and Tauri feeds
# on, both feed keys given) has its files replaced by 8 MiB of random bytes each, so that the
# artifacts dominate what is read. Counted with the kernel's per-process I/O accounting
# (`rchar` of /proc/<pid>/io: bytes through read(2) and friends, page cache or not), read
# after the process exits and before it is reaped; no strace.
# Usage: scripts/bench-reads.sh [GENERATOR_BINARY]   (default target/release/generator, built)
set -euo pipefail
cd "$(dirname "$0")/.."
gen="${1:-}"
if [ -z "$gen" ]; then
  cargo build --release --locked -q -p generator
  gen=target/release/generator
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a example "$work/repo"
python3 - "$gen" "$work" <<'PY'
import os, pathlib, subprocess, sys
gen, work = sys.argv[1], pathlib.Path(sys.argv[2])
repo = work / "repo"
files = repo / "releases/desktop-editor/files"
replaced = 0
for f in sorted(files.iterdir()):
    if f.suffix != ".sig":
        f.write_bytes(os.urandom(8 << 20))
        replaced += 1
# Every local artifact file of the repository (the other apps' are small).
artifacts = sum(f.stat().st_size for f in (repo / "releases").rglob("*")
                if f.is_file() and f.suffix not in (".toml", ".sig")
                and ".generator-cache" not in f.parts)
keys = pathlib.Path("example/keys/feeds").resolve()

def run(out):
    cmd = [gen, "-q", "build", "--root", str(repo), "--out", str(work / out),
           "--sparkle-key", str(keys / "demo-sparkle-ed25519.key"),
           "--tauri-key", str(keys / "demo-tauri.key")]
    env = dict(os.environ, TAURI_SIGNING_PRIVATE_KEY_PASSWORD="demo", GENERATOR_LOG="error")
    p = subprocess.Popen(cmd, env=env)
    # Wait for the exit without reaping, so that /proc/<pid>/io still holds the totals.
    os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
    io = dict(l.split(": ") for l in open(f"/proc/{p.pid}/io").read().splitlines())
    if p.wait() != 0:
        sys.exit(f"{out}: the build failed")
    return int(io["rchar"])

cold = run("site")
rebuild = run("site")
print(f"binary: {gen}")
print(f"artifacts: {artifacts} bytes (desktop-editor: {replaced} files of 8 MiB)")
for name, n in (("cold build", cold), ("no-change rebuild", rebuild)):
    print(f"{name}: read {n} bytes = {n / artifacts:.3f} per artifact byte")
PY
