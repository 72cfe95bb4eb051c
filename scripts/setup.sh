#!/usr/bin/env bash
# The set-up that the README's two commands run first (scripts/dev.sh and scripts/test.sh).
# It installs only what is missing or at the wrong version, prints one line before each install
# saying what and why, and ends with one line: what it installed, or that nothing was missing.
# A second run installs nothing.
#
#   scripts/setup.sh           everything scripts/test.sh needs
#   scripts/setup.sh --dev     only what scripts/dev.sh needs (no Python packages, test data,
#                              Chromium or rsync)
#   scripts/setup.sh --check   install nothing: name what is missing and exit 1 if anything is
#                              (also with --dev)
#
# What it installs, and where (nothing needs root but the two system packages):
#   the Rust toolchain of rust-toolchain.toml, its components and the wasm32 target  rustup
#   worker-build 0.8.7 and wasm-bindgen-cli (the version of wasm-bindgen in Cargo.lock)
#                                                    cargo install, into ~/.cargo/bin
#   the npm packages of package-lock.json            npm ci, into node_modules/
#   the Python packages of requirements-test.txt     nothing if python3 has them, else .venv/
#   fdroidserver's test data (real APKs, an IPA)     target/real-packages/
#   chromium and rsync (Debian packages)             apt-get when root, else an error naming them
# Why each, and why .venv/: docs/setup.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

scope=test
check=
for arg in "$@"; do
    case "$arg" in
    --dev) scope=dev ;;
    --check) check=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "setup: unknown option $arg (see scripts/setup.sh --help)" >&2
        exit 2
        ;;
    esac
done

WORKER_BUILD_VERSION=0.8.7
# The wasm-bindgen CLI must equal the wasm-bindgen library in Cargo.lock exactly, or the worker
# build fails with a schema-version mismatch.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"

installed=() # what this run installed
missing=()   # with --check: what it would install
errors=()    # what it cannot install (a system package without root)

# will_install WHAT WHY: one line before an install. With --check, records WHAT as missing and
# returns 1, so that the caller installs nothing.
will_install() {
    if [ -n "$check" ]; then
        echo "setup: missing $1 ($2)"
        missing+=("$1")
        return 1
    fi
    echo "setup: installing $1 ($2)"
    installed+=("$1")
}

# has_version VERSION COMMAND...: COMMAND --version prints VERSION as its last word
# ("worker-build 0.8.7" prints "0.8.7", "wasm-bindgen" prints "wasm-bindgen 0.2.130").
has_version() {
    local want="$1"
    shift
    [ "$("$@" --version 2>/dev/null | head -n1 | awk '{ print $NF }')" = "$want" ]
}

# --- commands the scripts need and set-up does not install -----------------------------------
needed=(rustup cargo node npm flock curl)
[ "$scope" = test ] && needed+=(python3 sha256sum md5sum)
absent=()
for tool in "${needed[@]}"; do
    command -v "$tool" >/dev/null || absent+=("$tool")
done
if ((${#absent[@]})); then
    for tool in "${absent[@]}"; do
        case "$tool" in
        rustup | cargo) hint="install rustup from https://rustup.rs (it reads rust-toolchain.toml)" ;;
        node | npm) hint="install Node.js 20.18 or later with npm (https://nodejs.org)" ;;
        python3) hint="Debian: apt-get install -y python3 python3-venv" ;;
        flock) hint="Debian: apt-get install -y util-linux" ;;
        sha256sum | md5sum) hint="Debian: apt-get install -y coreutils" ;;
        *) hint="Debian: apt-get install -y $tool" ;;
        esac
        echo "setup: $tool is missing and set-up does not install it: $hint" >&2
    done
    exit 1
fi
# package.json's engines: wrangler 4.86 runs on Node 20; undici (wrangler's) needs 20.18.1.
node_ok="$(node -p 'const [a, b, c] = process.versions.node.split(".").map(Number);
    (a === 20 && (b > 18 || (b === 18 && c >= 1))) || (a === 22 && b >= 9) || a > 22')"
if [ "$node_ok" != true ]; then
    echo "setup: Node.js $(node --version) is too old: package.json needs ^20.18.1 || >=22.9.0" >&2
    exit 1
fi

# --- Rust: the toolchain of rust-toolchain.toml, its components and targets -----------------
toml_list() { # KEY: a list of rust-toolchain.toml as words (`components = ["a", "b"]` → a b)
    sed -n "s/^$1 *= *\[\(.*\)\]\$/\1/p" rust-toolchain.toml | tr -d '"' | tr ',' ' '
}
channel="$(sed -n 's/^channel *= *"\(.*\)"$/\1/p' rust-toolchain.toml)"
read -r -a components <<<"$(toml_list components)"
read -r -a targets <<<"$(toml_list targets)"
[[ " ${targets[*]} " == *" wasm32-unknown-unknown "* ]] || targets+=(wasm32-unknown-unknown)
if ! rustup toolchain list | grep -q "^$channel-"; then
    if will_install "the Rust toolchain $channel with ${components[*]} and ${targets[*]}" \
        "pinned by rust-toolchain.toml; rustup downloads it, a minute or two"; then
        comma() { local IFS=,; echo "$*"; }
        rustup toolchain install "$channel" --profile minimal --no-self-update \
            --component "$(comma "${components[@]}")" --target "$(comma "${targets[@]}")"
    fi
else
    have_components="$(rustup component list --installed --toolchain "$channel")"
    for c in "${components[@]}"; do
        if ! grep -q "^$c-" <<<"$have_components" &&
            will_install "the Rust component $c" "listed in rust-toolchain.toml"; then
            rustup component add --toolchain "$channel" "$c"
        fi
    done
    have_targets="$(rustup target list --installed --toolchain "$channel")"
    for t in "${targets[@]}"; do
        if ! grep -qx "$t" <<<"$have_targets" &&
            will_install "the Rust target $t" "the edge worker compiles to WASM"; then
            rustup target add --toolchain "$channel" "$t"
        fi
    done
fi

# --- worker-build and the wasm-bindgen CLI ----------------------------------------------------
# worker-build would download wasm-bindgen, wasm-opt and esbuild from GitHub; scripts/
# build-worker.sh points it at this wasm-bindgen and npm's wasm-opt and esbuild instead.
if ! has_version "$WORKER_BUILD_VERSION" worker-build &&
    will_install "worker-build $WORKER_BUILD_VERSION" \
        "builds the edge worker to WASM; cargo install compiles it, about 5 minutes"; then
    cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked
fi
# Not --locked: wasm-bindgen-cli's own lockfile pins a webpki-roots release that the registry no
# longer serves.
if ! has_version "$WASM_BINDGEN_VERSION" wasm-bindgen &&
    will_install "wasm-bindgen-cli $WASM_BINDGEN_VERSION" \
        "worker-build runs it; it must equal wasm-bindgen in Cargo.lock; cargo install compiles it, about 5 minutes"; then
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
if [ -z "$check" ]; then # an older copy earlier on PATH would still win
    has_version "$WORKER_BUILD_VERSION" worker-build ||
        errors+=("$(command -v worker-build) is not worker-build $WORKER_BUILD_VERSION: put ${CARGO_HOME:-$HOME/.cargo}/bin first on PATH")
    has_version "$WASM_BINDGEN_VERSION" wasm-bindgen ||
        errors+=("$(command -v wasm-bindgen) is not wasm-bindgen $WASM_BINDGEN_VERSION: put ${CARGO_HOME:-$HOME/.cargo}/bin first on PATH")
fi

# --- npm packages -----------------------------------------------------------------------------
# The stamp records the package-lock.json that the last `npm ci` here installed: npm ci runs
# again only when node_modules/ is missing or the lock file has changed since.
stamp=node_modules/.setup-npm-ci
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -L node_modules ]; then
    # Another checkout's node_modules: `npm ci` would replace it under that checkout.
    [ -x node_modules/.bin/wrangler ] ||
        errors+=("node_modules links to $(readlink node_modules), which has no wrangler: remove the link (rm node_modules) and run scripts/setup.sh again")
elif [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
    if [ ! -d node_modules ]; then why="node_modules/ is missing"; else why="package-lock.json is not the one last installed"; fi
    if will_install "the npm packages of package-lock.json" \
        "$why; npm ci: wrangler, miniflare, esbuild, binaryen, tuf-js, electron-updater; about a minute"; then
        npm ci --no-audit --no-fund
        echo "$lock_sum" >"$stamp"
    fi
fi

if [ "$scope" = test ]; then
    # --- Python packages of the tests ---------------------------------------------------------
    # Prints the requirements of requirements-test.txt that the python3 on PATH does not meet.
    unmet() {
        python3 - requirements-test.txt <<'PY'
import importlib.metadata as md, re, sys
for line in open(sys.argv[1]):
    req = line.split("#")[0].strip()
    if not req:
        continue
    name, want = re.split(r"\s*==\s*", req)
    try:
        have = md.version(name)
    except md.PackageNotFoundError:
        have = None
    if have != want:
        print(req)
PY
    }
    py_out="$(unmet)" # (a failing python3 stops set-up here)
    mapfile -t py_unmet < <(printf '%s' "$py_out" | sed '/^$/d')
    if ((${#py_unmet[@]})); then
        if [ ! -x .venv/bin/python3 ] &&
            will_install ".venv/ (python3 -m venv)" \
                "a virtual environment for the tests' Python packages: no root, and python3 on PATH lacks ${py_unmet[*]}"; then
            python3 -m venv .venv || {
                echo "setup: python3 -m venv failed (Debian: apt-get install -y python3-venv)" >&2
                exit 1
            }
        fi
        if will_install "${py_unmet[*]} into .venv/" \
            "requirements-test.txt: the tests' Python clients, python-tuf and the toolsetlink SDK"; then
            .venv/bin/python3 -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
            export PATH="$repo_root/.venv/bin:$PATH"
            py_out="$(unmet)"
            mapfile -t py_unmet < <(printf '%s' "$py_out" | sed '/^$/d')
            ((${#py_unmet[@]} == 0)) || errors+=("python3 still lacks ${py_unmet[*]} after installing them into .venv/")
        fi
    fi

    # --- fdroidserver's test data: real APKs and an IPA for the package reader's tests --------
    if [ ! -f "$real_packages_dir/tests/repo/index-v1.json" ] &&
        will_install "fdroidserver $real_packages_version's test data into target/real-packages/" \
            "real APKs and an IPA for generator/tests/real_packages.rs; pip download of its sdist"; then
        mkdir -p target/real-packages
        # The sdist carries tests/. `--no-binary fdroidserver`, not `:all:`: with `:all:` pip
        # also builds setuptools and wheel from source to read the metadata (5.5 minutes here,
        # against 52 s).
        python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary fdroidserver \
            "fdroidserver==$real_packages_version" -d target/real-packages
        tar -xzf "target/real-packages/fdroidserver-$real_packages_version.tar.gz" -C target/real-packages
    fi

    # --- system packages: Chromium renders the portal (tests/tests/pages.rs), rsync copies a
    # site as a mirror does (generator/tests/verify.rs) ----------------------------------------
    apt_updated=
    for pkg in chromium rsync; do
        if [ "$pkg" = chromium ] && [ -n "${CHROMIUM:-}" ] && [ -f "$CHROMIUM" ]; then continue; fi
        command -v "$pkg" >/dev/null && continue
        case "$pkg" in
        chromium) why="the page tests render the download portal in headless Chromium" ;;
        rsync) why="the verify tests copy a site with rsync, as a mirror does" ;;
        esac
        if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
            if [ -n "$check" ]; then
                echo "setup: missing $pkg ($why)"
                missing+=("$pkg")
            else
                errors+=("$pkg is missing ($why) and set-up installs system packages only as root with apt-get: run \`sudo apt-get install -y $pkg\` (or your system's package manager), then scripts/setup.sh again")
            fi
            continue
        fi
        if will_install "$pkg (the Debian package)" "$why; apt-get, a minute or more"; then
            [ -n "$apt_updated" ] || { apt-get update -qq && apt_updated=1; }
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg"
        fi
    done
fi

# --- the one line at the end -----------------------------------------------------------------
if ((${#errors[@]})); then
    printf 'setup: %s\n' "${errors[@]}" >&2
    exit 1
fi
if [ -n "$check" ]; then
    if ((${#missing[@]})); then
        flag=
        if [ "$scope" = dev ]; then flag=" --dev"; fi
        echo "setup: missing ${#missing[@]}: run scripts/setup.sh$flag to install them"
        exit 1
    fi
    echo "setup: nothing is missing"
elif ((${#installed[@]})); then
    echo "setup: done; installed ${#installed[@]}: $(printf '%s; ' "${installed[@]}" | sed 's/; $//')"
else
    echo "setup: nothing is missing; nothing installed"
fi
