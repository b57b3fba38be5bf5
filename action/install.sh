#!/usr/bin/env bash
# Puts keysweep on PATH for the GitHub Action (action.yml, step "Install").
#
# Inputs, as environment variables:
#   KS_VERSION         release to install, e.g. 0.1.0 (a leading v is accepted)
#   KS_INSTALL         release (default) | cargo | none
#   KS_CARGO_FALLBACK  true: with `release`, build with cargo when the release
#                      download fails (never after a checksum mismatch)
#   KS_RELEASE_URL     base of the download URLs (default: GitHub releases)
#   KS_CHECKSUM        optional SHA-256 the archive must also match
#   KS_TOOLCHAIN       toolchain for the cargo build (default: stable)
#   KS_INSTALL_DIR     directory the binary is kept in (the actions/cache path)
#   KS_ACTION_PATH     the action's own checkout (GITHUB_ACTION_PATH)
# and what GitHub sets: RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH,
# GITHUB_OUTPUT.
#
# Outputs: path (the binary), version, source (cache | release | cargo | path).
set -euo pipefail

version="${KS_VERSION:-}"
version="${version#v}"
mode="${KS_INSTALL:-release}"
fallback="${KS_CARGO_FALLBACK:-false}"
base_url="${KS_RELEASE_URL:-https://github.com/keysweep/keysweep/releases/download}"
base_url="${base_url%/}"
pinned="$(printf '%s' "${KS_CHECKSUM:-}" | tr 'A-F' 'a-f')"
toolchain="${KS_TOOLCHAIN:-stable}"
action_path="${KS_ACTION_PATH:-${GITHUB_ACTION_PATH:-}}"
temp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
dir="${KS_INSTALL_DIR:-$temp/keysweep-bin}"
# Git Bash on Windows: work with POSIX paths, hand Windows paths back.
native_path() { printf '%s' "$1"; }
if command -v cygpath >/dev/null 2>&1; then
    temp="$(cygpath -u "$temp")"
    dir="$(cygpath -u "$dir")"
    native_path() { cygpath -w "$1"; }
fi

error() { echo "::error title=keysweep install::$*" >&2; exit 1; }
note() { echo "keysweep install: $*"; }
output() { [ -n "${GITHUB_OUTPUT:-}" ] && echo "$1=$2" >>"$GITHUB_OUTPUT"; return 0; }

case "$mode" in
    release | cargo | none) ;;
    true) mode=release ;;
    false) mode=none ;;
    *) error "install must be release, cargo or none, not '$mode'" ;;
esac

exe=""
[ "${RUNNER_OS:-}" = Windows ] && exe=".exe"

if [ "$mode" = none ]; then
    bin="$(command -v "keysweep$exe" || true)"
    [ -n "$bin" ] || error "install: none, but there is no keysweep on PATH"
    note "using $bin ($("$bin" --version))"
    output path "$bin"
    output version "$("$bin" --version | sed 's/^keysweep //')"
    output source path
    exit 0
fi

[ -n "$version" ] || error "no version given"
case "$version" in
    *[!0-9A-Za-z.+-]*) error "'$version' is not a version" ;;
esac

bin="$dir/keysweep$exe"

finish() {
    local source="$1" got
    got="$("$bin" --version 2>/dev/null || true)"
    [ "$got" = "keysweep $version" ] || error "$bin reports '$got', expected 'keysweep $version'"
    if [ -n "${GITHUB_PATH:-}" ]; then native_path "$dir" >>"$GITHUB_PATH" && echo >>"$GITHUB_PATH"; fi
    output path "$(native_path "$bin")"
    output version "$version"
    output source "$source"
    note "keysweep $version from $source: $bin"
    exit 0
}

# A binary restored by actions/cache (or left by an earlier run).
if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null || true)" = "keysweep $version" ]; then
    finish cache
fi

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        error "neither sha256sum nor shasum is available to verify the download"
    fi
}

target=""
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) target=x86_64-unknown-linux-musl ;;
    Linux/ARM64) target=aarch64-unknown-linux-musl ;;
    macOS/X64) target=x86_64-apple-darwin ;;
    macOS/ARM64) target=aarch64-apple-darwin ;;
    Windows/X64) target=x86_64-pc-windows-msvc ;;
    Windows/ARM64) target=aarch64-pc-windows-msvc ;;
esac

work="$(mktemp -d "$temp/keysweep-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Downloads the release archive into $work. Returns 1 when it cannot be
# downloaded (no release for this runner, network); a checksum mismatch or a
# broken archive ends the script.
download_release() {
    [ -n "$target" ] || { note "no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"; return 1; }
    local archive="keysweep-$version-$target.tar.gz"
    case "$target" in *-windows-*) archive="keysweep-$version-$target.zip" ;; esac
    local url="$base_url/v$version/$archive"
    note "downloading $url"
    if ! curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 20 -o "$work/$archive" "$url" ||
        ! curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 20 -o "$work/$archive.sha256" "$url.sha256"; then
        note "download failed: $url"
        return 1
    fi
    local want got
    want="$(tr -d '\r' <"$work/$archive.sha256" | awk 'NR == 1 { print tolower($1) }')"
    got="$(sha256 "$work/$archive")"
    case "$want" in
        [0-9a-f]*) [ ${#want} -eq 64 ] || error "$archive.sha256 holds no SHA-256" ;;
        *) error "$archive.sha256 holds no SHA-256" ;;
    esac
    [ "$got" = "$want" ] || error "checksum mismatch for $archive: got $got, the release says $want"
    if [ -n "$pinned" ] && [ "$got" != "$pinned" ]; then
        error "checksum mismatch for $archive: got $got, the checksum input says $pinned"
    fi
    note "sha256 $got verified"
    mkdir -p "$work/x"
    case "$archive" in
        *.zip)
            if command -v unzip >/dev/null 2>&1; then
                unzip -q "$work/$archive" -d "$work/x" || error "cannot unpack $archive"
            else
                local py
                py="$(command -v python3 || command -v python || true)"
                [ -n "$py" ] || error "cannot unpack $archive: no unzip and no python"
                "$py" -m zipfile -e "$work/$archive" "$work/x" || error "cannot unpack $archive"
            fi
            ;;
        *) tar -xzf "$work/$archive" -C "$work/x" || error "cannot unpack $archive" ;;
    esac
    local found="$work/x/keysweep-$version-$target/keysweep$exe"
    [ -f "$found" ] || error "$archive holds no keysweep-$version-$target/keysweep$exe"
    { mkdir -p "$dir" && cp "$found" "$bin.new" && chmod +x "$bin.new" && mv -f "$bin.new" "$bin"; } ||
        error "cannot install into $dir"
    return 0
}

# Builds keysweep with cargo, with the toolchain named here and outside the
# caller's repository, so neither its rust-toolchain.toml nor its
# .cargo/config.toml nor RUSTFLAGS meant for its own build apply.
build_with_cargo() {
    command -v cargo >/dev/null 2>&1 || error "cargo is not installed on this runner"
    local src=() own=""
    if [ -n "$action_path" ] && [ -f "$action_path/Cargo.toml" ]; then
        own="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action_path/Cargo.toml" | head -n 1)"
    fi
    if [ "$own" = "$version" ]; then
        src=(--path "$action_path")
    else
        src=(keysweep --version "=$version")
    fi
    if command -v rustup >/dev/null 2>&1; then
        (cd "$work" && rustup toolchain install "$toolchain" --profile minimal --no-self-update)
    fi
    note "building keysweep $version with cargo ($toolchain): cargo install --locked ${src[*]}"
    (
        cd "$work"
        unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET CARGO_BUILD_RUSTFLAGS
        export RUSTUP_TOOLCHAIN="$toolchain"
        export CARGO_TARGET_DIR="$work/target"
        cargo install --locked --root "$work/root" "${src[@]}"
    ) || error "cargo install failed"
    mkdir -p "$dir"
    cp "$work/root/bin/keysweep$exe" "$bin.new"
    chmod +x "$bin.new"
    mv -f "$bin.new" "$bin"
}

if [ "$mode" = release ]; then
    if download_release; then
        finish release
    fi
    if [ "$fallback" != true ]; then
        error "could not download keysweep $version for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}; set cargo-fallback: true to build it with cargo instead"
    fi
    note "falling back to a cargo build"
fi
build_with_cargo
finish cargo
