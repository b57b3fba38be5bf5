#!/usr/bin/env bash
# Builds keysweep's release archives, the same way locally and in
# .github/workflows/release.yml (which runs it once per target).
#
#   scripts/release.sh [--target TRIPLE]... [--out DIR] [--wheel] [--no-build]
#
# For each target it runs `cargo build --release --locked --target TRIPLE`
# and writes to DIR (default dist/):
#
#   keysweep-VERSION-TRIPLE.tar.gz         (.zip for Windows targets) holding
#                                          keysweep-VERSION-TRIPLE/{keysweep,
#                                          README.md, CHANGELOG.md, LICENSE-*}
#   keysweep-VERSION-TRIPLE.tar.gz.sha256  "HEX  NAME", for `sha256sum -c`
#
# Linux targets are musl builds and must come out fully static and stripped:
# the script checks `file` and `ldd` and fails otherwise. A binary the host
# can run is run (`--version` must print VERSION). --wheel also builds the
# PyPI wheel for each target with maturin into DIR/wheels, reusing the
# cargo build. Without --target it builds what this host can: the x86_64
# and aarch64 musl targets on Linux (aarch64 links with rust-lld when no
# cross gcc is installed), the host target on macOS and Windows.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

targets=()
out="dist"
build=1
wheel=0
while [ $# -gt 0 ]; do
    case "$1" in
        --target) targets+=("$2"); shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --wheel) wheel=1; shift ;;
        -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "release.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

die() { echo "release.sh: $*" >&2; exit 1; }
say() { printf '==> %s\n' "$*"; }

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
[ -n "$version" ] || die "no version in Cargo.toml"

host="$(rustc -vV | sed -n 's/^host: //p')"
if [ ${#targets[@]} -eq 0 ]; then
    case "$host" in
        *-linux-*) targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl) ;;
        *) targets=("$host") ;;
    esac
fi

python=""
for p in python3 python; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null; then
        python="$p"
        break
    fi
done

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        "$python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"
    fi
}

size_of() { wc -c <"$1" | tr -d ' '; }
mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }

# The environment variable that names cargo's linker for a target.
linker_var() {
    local t
    t="$(printf '%s' "$1" | tr 'a-z-' 'A-Z_')"
    printf 'CARGO_TARGET_%s_LINKER' "$t"
}

# Static, stripped, no interpreter: what `file` and `ldd` say about a Linux
# release binary. Both are needed: `file` alone has printed "dynamically
# linked" for static-pie binaries on old versions, and ldd alone cannot
# inspect a foreign architecture.
check_static() {
    local bin="$1" f l
    command -v file >/dev/null 2>&1 || die "\`file\` is required to check $bin (apt-get install file)"
    f="$(file -b "$bin")"
    echo "    file: $f"
    case "$f" in
        *"statically linked"* | *"static-pie linked"*) ;;
        *) die "$bin is not statically linked: $f" ;;
    esac
    case "$f" in
        *", stripped"*) ;;
        *) die "$bin is not stripped: $f" ;;
    esac
    if command -v ldd >/dev/null 2>&1; then
        l="$(ldd "$bin" 2>&1 | sed "s/^[[:space:]]*//" || true)"
        echo "    ldd:  $l"
        case "$l" in
            *"not a dynamic executable"* | *"statically linked"*) ;;
            *) die "ldd finds dynamic dependencies in $bin: $l" ;;
        esac
    fi
}

mkdir -p "$out"
out="$(cd "$out" && pwd)"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"

for target in "${targets[@]}"; do
    say "keysweep $version for $target"
    exe=""
    case "$target" in *-windows-*) exe=".exe" ;; esac

    env_args=()
    case "$target" in
        *-windows-msvc)
            # Link the C runtime statically: no VC++ redistributable needed.
            t="$(printf '%s' "$target" | tr 'a-z-' 'A-Z_')"
            env_args+=("CARGO_TARGET_${t}_RUSTFLAGS=-C target-feature=+crt-static")
            ;;
        x86_64-unknown-linux-musl)
            # mimalloc (the default allocator) is C: it needs a C compiler for
            # musl, which Debian's and Ubuntu's musl-tools package provides.
            if [ -z "${CC_x86_64_unknown_linux_musl:-}" ] &&
                ! command -v x86_64-linux-musl-gcc >/dev/null 2>&1; then
                command -v musl-gcc >/dev/null 2>&1 ||
                    die "building $target needs a musl C compiler for mimalloc: install musl-tools (musl-gcc), or set CC_x86_64_unknown_linux_musl"
                env_args+=("CC_x86_64_unknown_linux_musl=musl-gcc")
            fi
            ;;
        aarch64-unknown-linux-musl)
            var="$(linker_var "$target")"
            if [ "$host" != "aarch64-unknown-linux-gnu" ] && [ "$host" != "$target" ] &&
                [ -z "${!var:-}" ] && ! command -v aarch64-linux-musl-gcc >/dev/null 2>&1; then
                # Rust ships musl's C runtime for this target; its own lld can
                # link a static binary without a cross toolchain.
                env_args+=("$var=rust-lld")
            elif [ -z "${!var:-}" ] && command -v aarch64-linux-musl-gcc >/dev/null 2>&1; then
                env_args+=("$var=aarch64-linux-musl-gcc")
            fi
            ;;
    esac

    if [ "$build" = 1 ]; then
        if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx "$target"; then
            rustup target add "$target"
        fi
        env "${env_args[@]+"${env_args[@]}"}" cargo build --release --locked --target "$target"
    fi
    bin="$target_dir/$target/release/keysweep$exe"
    [ -f "$bin" ] || die "no binary at $bin"

    case "$target" in
        *-linux-*) check_static "$bin" ;;
    esac
    echo "    size: $(size_of "$bin") bytes ($(mib "$(size_of "$bin")"))"

    # Run it when the host can.
    runs=0
    case "$target" in
        "$host") runs=1 ;;
        x86_64-unknown-linux-musl) [ "$host" = x86_64-unknown-linux-gnu ] && runs=1 ;;
        aarch64-unknown-linux-musl) [ "$host" = aarch64-unknown-linux-gnu ] && runs=1 ;;
    esac
    if [ "$runs" = 1 ]; then
        v="$("$bin" --version)"
        echo "    runs: $v"
        [ "$v" = "keysweep $version" ] || die "$bin --version printed '$v', expected 'keysweep $version'"
    else
        echo "    runs: not on this host ($host)"
    fi

    name="keysweep-$version-$target"
    stage="$(mktemp -d)"
    mkdir "$stage/$name"
    cp "$bin" "$stage/$name/"
    cp README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE "$stage/$name/"
    case "$target" in
        *-windows-*)
            archive="$name.zip"
            rm -f "$out/$archive"
            [ -n "$python" ] || die "python is required to write $archive"
            (cd "$stage" && "$python" -m zipfile -c "$out/$archive" "$name")
            ;;
        *)
            archive="$name.tar.gz"
            # GNU tar: fixed order, owner and times, so a rebuild of the same
            # binary gives the same archive; gzip -n leaves out its timestamp.
            tar_flags=()
            if tar --version 2>/dev/null | grep -q 'GNU tar'; then
                tar_flags=(--sort=name --owner=0 --group=0 --numeric-owner --mtime=@0)
            fi
            (cd "$stage" && tar "${tar_flags[@]+"${tar_flags[@]}"}" -cf - "$name") | gzip -n -9 >"$out/$archive"
            ;;
    esac
    rm -rf "$stage"
    (cd "$out" && printf '%s  %s\n' "$(sha256 "$archive")" "$archive" >"$archive.sha256")
    echo "    archive: $out/$archive ($(size_of "$out/$archive") bytes), sha256 $(cut -d' ' -f1 "$out/$archive.sha256")"

    if [ "$wheel" = 1 ]; then
        command -v maturin >/dev/null 2>&1 || die "--wheel needs maturin on PATH (pip install 'maturin>=1,<2')"
        compat=()
        case "$target" in
            # A static musl binary runs on any Linux of its architecture:
            # tag the wheel for glibc and musl systems alike.
            *-linux-musl) compat=(--compatibility manylinux2014 musllinux_1_2) ;;
        esac
        env "${env_args[@]+"${env_args[@]}"}" maturin build --release --locked --target "$target" \
            "${compat[@]+"${compat[@]}"}" --out "$out/wheels"
    fi
done

say "done: $out"
ls -l "$out"
