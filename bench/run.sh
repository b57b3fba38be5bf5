#!/usr/bin/env bash
# Throughput benchmark for keysweep.
#
#   bench/run.sh              full-tree scan: keysweep vs an rg keyword floor
#                             (and peer scanners where they can be installed)
#   bench/run.sh precommit    latency of a 5-file scan, as a pre-commit hook runs it
#   bench/run.sh longline     thousands of findings on one multi-megabyte line
#                             (the case that was once quadratic)
#   bench/run.sh ratios       the three headline ratios, each from paired
#                             (interleaved) runs: full tree and 5 files against
#                             rg searching a secret alternation, and a history
#                             scan against Kingfisher
#
# Environment:
#   BENCH_TREE_MB       size of the generated tree in MB (default 500)
#   BENCH_THREADS       thread count given to every tool (default: nproc)
#   BENCH_RUNS          hyperfine runs per command (default 5; precommit: 30)
#   BENCH_SUBSET_MB     size of the subset used for slow peers (default 5)
#   BENCH_PEERS         0 to skip peer scanners (default 1)
#   BENCH_MAX_FILE      largest file copied into the tree, bytes (default 4 MiB)
#   KEYSWEEP_BIN        time this keysweep binary instead of building one
#                       (e.g. an older build, to compare before and after)
#   BENCH_PAIRS         paired rounds per ratio (default 9; 5 files: 4x that)
#   BENCH_HISTORY_REPO  repository whose history `ratios` scans (default: the
#                       one bench/history.sh generates, built if missing)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
WORK="$BENCH/work"
TREE="$WORK/tree"
SUBSET="$WORK/subset"
RES="$WORK/results"
KS="${KEYSWEEP_BIN:-$ROOT/target/release/keysweep}"

MODE="${1:-tree}"
TREE_MB="${BENCH_TREE_MB:-500}"
THREADS="${BENCH_THREADS:-$(nproc)}"
SUBSET_MB="${BENCH_SUBSET_MB:-5}"
PEERS="${BENCH_PEERS:-1}"
MAX_FILE="${BENCH_MAX_FILE:-4194304}"

mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
say() { printf '\n== %s\n' "$*"; }
note() { printf '   note: %s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 2; }

need_tools() {
    if ! command -v hyperfine >/dev/null; then
        say "installing hyperfine (apt)"
        apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null
    fi
    command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq >/dev/null; }
    command -v rg >/dev/null || { apt-get update -qq && apt-get install -y -qq ripgrep >/dev/null; }
    [ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
}

build() {
    if [ -n "${KEYSWEEP_BIN:-}" ]; then
        say "using $KS (KEYSWEEP_BIN)"
    else
        say "cargo build --release"
        (cd "$ROOT" && cargo build --release --quiet)
    fi
    [ -x "$KS" ] || die "no binary at $KS"
    "$KS" --version
}

# Quote one argument for hyperfine's --shell=none word splitting (POSIX rules).
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
cmdline() {
    local out="" a
    for a in "$@"; do out+="$(q "$a") "; done
    printf '%s' "${out% }"
}

ROWS="$WORK/rows.tsv"
ALT="$BENCH/secret-patterns.txt"

# measure NAME BYTES IGNORE_EXIT RUNS CMD...
# hyperfine for wall time (median), then one /usr/bin/time -v run for CPU and RSS.
measure() {
    local name="$1" bytes="$2" ignore="$3" runs="$4"
    shift 4
    local json="$RES/$name.json" tv="$RES/$name.time" flags=(-N --warmup 1 --runs "$runs")
    [ "$runs" -le 1 ] && flags=(-N --runs 1)
    [ "$ignore" = 1 ] && flags+=(-i)
    say "$name: $(cmdline "$@" | cut -c1-300)"
    hyperfine "${flags[@]}" --export-json "$json" "$(cmdline "$@")"
    local rc=0
    /usr/bin/time -v -o "$tv" "$@" >/dev/null 2>"$RES/$name.stderr" || rc=$?
    if [ "$rc" -ne 0 ] && [ "$ignore" != 1 ]; then
        cat "$RES/$name.stderr" >&2
        die "$name exited $rc"
    fi
    local median user sys rss
    median="$(jq -r '.results[0].median' "$json")"
    user="$(awk -F': ' '/User time \(seconds\)/ {print $2}' "$tv")"
    sys="$(awk -F': ' '/System time \(seconds\)/ {print $2}' "$tv")"
    rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$median" "$user" "$sys" "$rss" "$bytes" >>"$ROWS"
}

table() {
    local floor="$1"
    awk -F'\t' -v floor="$floor" '
        { name[NR]=$1; med[NR]=$2; cpu[NR]=$3+$4; rss[NR]=$5/1024; mb[NR]=$6/1048576
          if ($1 == floor) fmed = $2 }
        END {
          printf "\n%-30s %10s %12s %12s %10s %10s\n", "tool", "median s", "user+sys s", "peak RSS MB", "MB/s", "vs " floor
          for (i = 1; i <= NR; i++) {
            ratio = (fmed > 0) ? sprintf("%.2fx", med[i] / fmed) : "-"
            printf "%-30s %10.3f %12.2f %12.1f %10.1f %10s\n", name[i], med[i], cpu[i], rss[i], mb[i] / med[i], ratio
          }
        }' "$ROWS"
}

stdlib_dir() { python3 -c 'import sysconfig;print(sysconfig.get_paths()["stdlib"])'; }
purelib_dir() { python3 -c 'import sysconfig;print(sysconfig.get_paths()["purelib"])'; }

make_tree() {
    local marker="$WORK/tree.json"
    if [ -f "$marker" ] && [ -d "$TREE" ] &&
        [ "$(jq -r '.budget_mb' "$marker")" = "$TREE_MB" ] &&
        [ "$(jq -r '.max_file_bytes' "$marker")" = "$MAX_FILE" ]; then
        say "reusing $TREE"
    else
        say "building $TREE (${TREE_MB} MB budget)"
        rm -rf "$TREE" "$SUBSET" "$marker"
        local cargo_src="${CARGO_HOME:-$HOME/.cargo}/registry/src"
        python3 "$BENCH/make_tree.py" "$TREE" "$TREE_MB" "$MAX_FILE" \
            "$cargo_src" "$(stdlib_dir)" "$(purelib_dir)" \
            /usr/lib/python3 /usr/include /usr/share/doc >/dev/null
    fi
    TREE_BYTES="$(jq -r '.bytes' "$marker")"
    TREE_FILES="$(jq -r '.files' "$marker")"
    printf 'tree: %s  %s MB  %s files\n' "$TREE" "$(mb "$TREE_BYTES")" "$TREE_FILES"
    jq -r '.planted[] | "   planted: " + .' "$marker"
}

# A smaller tree of hard links for the peers too slow to run on the full tree.
# It holds the planted files plus the first files of the tree up to SUBSET_MB.
make_subset() {
    if [ -f "$WORK/subset.bytes" ] && [ "$(cat "$WORK/subset.mb" 2>/dev/null)" = "$SUBSET_MB" ]; then
        SUBSET_BYTES="$(cat "$WORK/subset.bytes")"
        return
    fi
    rm -rf "$SUBSET"
    SUBSET_BYTES="$(python3 - "$TREE" "$SUBSET" "$SUBSET_MB" "$WORK/tree.json" <<'EOF'
import json, os, sys
tree, out, mb, marker = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
planted = json.load(open(marker))["planted"]
budget, total = mb * 1048576, 0
def link(rel):
    global total
    dst = os.path.join(out, rel)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    os.link(os.path.join(tree, rel), dst)
    total += os.path.getsize(dst)
for rel in planted:
    link(rel)
done = False
for root, dirs, files in os.walk(tree):
    dirs.sort()
    for f in sorted(files):
        rel = os.path.relpath(os.path.join(root, f), tree)
        if rel in planted:
            continue
        link(rel)
        if total >= budget:
            done = True
            break
    if done:
        break
print(total)
EOF
)"
    echo "$SUBSET_BYTES" >"$WORK/subset.bytes"
    echo "$SUBSET_MB" >"$WORK/subset.mb"
}

# Timings are only comparable on an idle machine: say when it is not.
check_load() {
    local load
    load="$(cut -d' ' -f1 /proc/loadavg)"
    printf 'load average: %s (%s cores)\n' "$load" "$(nproc)"
    if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
        note "the machine is busy: wall times will be inflated and noisy"
    fi
}

warm_cache() {
    say "warming the page cache"
    find "$1" -type f -print0 | xargs -0 -n 1000 cat >/dev/null
}

rule_keywords() {
    "$KS" rules list --format json | jq -r '[.[].keywords[]] | unique | .[]'
}

ks_scan() {
    printf '%s\n' "$KS" scan --quiet --no-ignore --format json --output /dev/null \
        --fail-on never --max-file-size "$MAX_FILE" --threads "$THREADS"
}

PEER_VENV="$WORK/peers"
peer_venv() {
    [ -x "$PEER_VENV/bin/pip" ] || python3 -m venv "$PEER_VENV"
}

# Echo the path of a kingfisher binary, installing the PyPI wheel if needed.
find_kingfisher() {
    if command -v kingfisher >/dev/null; then command -v kingfisher; return; fi
    peer_venv
    [ -x "$PEER_VENV/bin/kingfisher" ] ||
        "$PEER_VENV/bin/pip" install -q kingfisher-bin >&2 || return 1
    echo "$PEER_VENV/bin/kingfisher"
}

find_detect_secrets() {
    if command -v detect-secrets >/dev/null; then command -v detect-secrets; return; fi
    peer_venv
    [ -x "$PEER_VENV/bin/detect-secrets" ] ||
        "$PEER_VENV/bin/pip" install -q detect-secrets >&2 || return 1
    echo "$PEER_VENV/bin/detect-secrets"
}

run_tree() {
    need_tools
    mkdir -p "$WORK" "$RES"
    build
    make_tree
    : >"$ROWS"

    mapfile -t KW < <(rule_keywords)
    [ "${#KW[@]}" -gt 0 ] || die "keysweep rules list gave no keywords"
    local rg_kw=() k
    for k in "${KW[@]}"; do rg_kw+=(-e "$k"); done
    printf 'threads: %s   runs: %s   keywords (%s): %s\n' "$THREADS" "${BENCH_RUNS:-5}" \
        "${#KW[@]}" "${KW[*]}"

    warm_cache "$TREE"
    check_load
    local runs="${BENCH_RUNS:-5}"
    mapfile -t KSCMD < <(ks_scan)
    measure keysweep "$TREE_BYTES" 0 "$runs" "${KSCMD[@]}" "$TREE"
    # rg exits 1 when nothing matches: ignore its exit status.
    measure rg-floor "$TREE_BYTES" 1 "$runs" \
        rg -i -F --no-ignore --hidden -c --max-filesize "$MAX_FILE" --threads "$THREADS" \
        "${rg_kw[@]}" "$TREE"

    measure rg-alt "$TREE_BYTES" 1 "$runs" \
        rg -uu --threads "$THREADS" -n -f "$ALT" "$TREE"

    if [ "$PEERS" = 1 ]; then
        local kf
        if kf="$(find_kingfisher)"; then
            # No validation (it would call out to providers), no update check.
            # Exit status is non-zero when it finds something: ignore it.
            measure kingfisher "$TREE_BYTES" 1 "$runs" \
                "$kf" scan --no-update-check --quiet --no-validate --no-extract-archives \
                --format json --output /dev/null -j "$THREADS" "$TREE"
        else
            note "kingfisher unavailable: skipped"
        fi
        command -v gitleaks >/dev/null &&
            measure gitleaks "$TREE_BYTES" 1 "$runs" \
                gitleaks dir --no-banner --report-path /dev/null "$TREE"
        command -v gitleaks >/dev/null || note "gitleaks not on PATH: skipped"
    fi

    # Not timed: what keysweep reports on the tree, and whether it sees the planted files.
    "${KSCMD[@]/#\/dev\/null/$RES/keysweep-findings.json}" "$TREE" >/dev/null 2>&1 || true
    say "keysweep findings on the tree: $(jq '.findings | length' "$RES/keysweep-findings.json" 2>/dev/null || echo '?')"
    local p
    while read -r p; do
        if grep -qF "$p" "$RES/keysweep-findings.json" 2>/dev/null; then
            printf '   reported: %s\n' "$p"
        else
            printf '   NOT reported: %s\n' "$p"
        fi
    done < <(jq -r '.planted[]' "$WORK/tree.json")

    say "full tree ($(mb "$TREE_BYTES") MB, $TREE_FILES files)"
    table rg-floor | tee "$RES/table-tree.txt"
    cp "$ROWS" "$RES/rows-tree.tsv"

    if [ "$PEERS" = 1 ]; then
        local ds
        if ds="$(find_detect_secrets)"; then
            make_subset
            : >"$ROWS"
            say "subset for detect-secrets: $(mb "$SUBSET_BYTES") MB (single run: it is slow)"
            warm_cache "$SUBSET"
            measure keysweep-subset "$SUBSET_BYTES" 0 "$runs" "${KSCMD[@]}" "$SUBSET"
            measure rg-floor-subset "$SUBSET_BYTES" 1 "$runs" \
                rg -i -F --no-ignore --hidden -c --max-filesize "$MAX_FILE" --threads "$THREADS" \
                "${rg_kw[@]}" "$SUBSET"
            # -n: no network verification of what it finds.
            measure detect-secrets-subset "$SUBSET_BYTES" 1 1 \
                "$ds" scan -n --all-files "$SUBSET"
            table rg-floor-subset | tee "$RES/table-subset.txt"
            cp "$ROWS" "$RES/rows-subset.tsv"
        else
            note "detect-secrets could not be installed: skipped"
        fi
    fi
    printf '\nraw results: %s\n' "$RES"
}


# paired NAME RUNS: times the commands in the arrays PA and PB in alternating
# rounds (A then B, then B then A, ...) after one warm-up round, and prints
# each one's median wall time and the median of the per-round ratios A/B.
# Interleaving puts both sides under the same background load.
paired() {
    local name="$1" runs="$2" i t0 t1 t2 out="$RES/pairs-$1.tsv"
    : >"$out"
    for ((i = 0; i <= runs; i++)); do
        if ((i % 2 == 0)); then
            t0=$EPOCHREALTIME; "${PA[@]}" >/dev/null 2>&1 || true
            t1=$EPOCHREALTIME; "${PB[@]}" >/dev/null 2>&1 || true
            t2=$EPOCHREALTIME
            ((i > 0)) && printf '%s\t%s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" \
                "$(awk -v a="$t1" -v b="$t2" 'BEGIN{print b-a}')" >>"$out"
        else
            t0=$EPOCHREALTIME; "${PB[@]}" >/dev/null 2>&1 || true
            t1=$EPOCHREALTIME; "${PA[@]}" >/dev/null 2>&1 || true
            t2=$EPOCHREALTIME
            printf '%s\t%s\n' "$(awk -v a="$t1" -v b="$t2" 'BEGIN{print b-a}')" \
                "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" >>"$out"
        fi
    done
    python3 - "$out" "$name" <<'EOF2'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
a = statistics.median(r[0] for r in rows)
b = statistics.median(r[1] for r in rows)
ratio = statistics.median(r[0] / r[1] for r in rows)
print(f"{sys.argv[2]}\t{a:.4f}\t{b:.4f}\t{ratio:.3f}\t{len(rows)}")
EOF2
}

# Peak RSS in MB of one run of the command given.
peak_mb() {
    /usr/bin/time -f '%M' -o "$RES/peak.txt" "$@" >/dev/null 2>&1 || true
    awk '{ printf "%.1f", $1 / 1024 }' "$RES/peak.txt"
}

run_ratios() {
    need_tools
    mkdir -p "$WORK" "$RES"
    build
    make_tree
    local pairs="${BENCH_PAIRS:-9}" out="$RES/ratios.tsv" ks_rss rg_rss
    : >"$out"
    warm_cache "$TREE"
    check_load
    mapfile -t KSCMD < <(ks_scan)

    say "full tree: keysweep vs rg -uu -n -f $(basename "$ALT") ($pairs paired rounds)"
    PA=("${KSCMD[@]}" "$TREE")
    PB=(rg -uu --threads "$THREADS" -n -f "$ALT" "$TREE")
    paired tree "$pairs" | tee -a "$out"
    ks_rss="$(peak_mb "${PA[@]}")"
    rg_rss="$(peak_mb "${PB[@]}")"
    printf 'peak RSS: keysweep %s MB, rg %s MB\n' "$ks_rss" "$rg_rss" | tee "$RES/ratios-rss.txt"

    local files=()
    mapfile -t files < <(five_files)
    say "5 files (pre-commit): $(printf '%s ' "${files[@]#"$ROOT"/}")"
    PA=("$KS" scan --quiet --fail-on never "${files[@]}")
    PB=(rg -uu --threads "$THREADS" -n -f "$ALT" "${files[@]}")
    paired five-files "$((pairs * 4))" | tee -a "$out"

    local repo="${BENCH_HISTORY_REPO:-}" kf
    if [ -z "$repo" ]; then
        KEYSWEEP="$KS" bash "$BENCH/history.sh" >/dev/null
        repo="$(ls -d "$WORK"/history/repo-*.git | head -n 1)"
    fi
    # The bytes keysweep reads from the history, for the throughput.
    "$KS" scan --history --allow-incomplete --format json --output "$RES/history.json" \
        --fail-on never -j "$THREADS" "$repo" >/dev/null 2>&1 || true
    local bytes
    bytes="$(jq -r '.summary.bytes_scanned' "$RES/history.json")"
    say "history of $repo ($(mb "$bytes") MB of blobs scanned)"
    if kf="$(find_kingfisher)"; then
        PA=("$KS" scan --history --allow-incomplete --format json --output /dev/null
            --fail-on never -j "$THREADS" "$repo")
        PB=("$kf" scan --no-update-check --quiet --no-validate --no-extract-archives
            --git-history full --format json --output /dev/null -j "$THREADS" "$repo")
        paired history "$(((pairs + 2) / 3))" | tee -a "$out"
    else
        note "kingfisher unavailable: history timed for keysweep alone"
        PA=("$KS" scan --history --allow-incomplete --format json --output /dev/null
            --fail-on never -j "$THREADS" "$repo")
        PB=(true)
        paired history "$(((pairs + 2) / 3))" | tee -a "$out"
    fi

    say "ratios (wall time medians of paired rounds; lower is better for keysweep)"
    awk -F'\t' -v bytes="$bytes" '
        $1 == "tree"       { printf "full tree   keysweep %8.3f s   rg-alt %8.3f s   keysweep / rg-alt      %5.2f  (%d rounds)\n", $2, $3, $4, $5 }
        $1 == "five-files" { printf "5 files     keysweep %8.1f ms  rg-alt %8.1f ms  keysweep / rg-alt      %5.2f  (%d rounds)\n", $2 * 1000, $3 * 1000, $4, $5 }
        $1 == "history"    { printf "history     keysweep %8.3f s   kingfisher %6.3f s  throughput vs kingfisher %5.2fx  (%.0f MB/s; %d rounds)\n", $2, $3, 1 / $4, bytes / 1048576 / $2, $5 }
    ' "$out" | tee "$RES/table-ratios.txt"
    cat "$RES/ratios-rss.txt"
}

# The 5 text files a pre-commit scan is timed on: the first of the demo
# fixture (sorted by path), or of the repository while it has none.
five_files() {
    if [ -d "$ROOT/fixtures/demo" ]; then
        find "$ROOT/fixtures/demo" -type f -size -256k | LC_ALL=C sort |
            while read -r f; do grep -Iq . "$f" && echo "$f"; done | head -n 5
    else
        git -C "$ROOT" ls-files | LC_ALL=C sort |
            while read -r f; do [ -f "$ROOT/$f" ] && grep -Iq . "$ROOT/$f" && echo "$ROOT/$f"; done |
            head -n 5
    fi
}

run_precommit() {
    need_tools
    mkdir -p "$WORK" "$RES"
    build
    local files=()
    mapfile -t files < <(five_files)
    [ "${#files[@]}" -eq 5 ] || die "found ${#files[@]} text files, wanted 5"
    printf '   file: %s\n' "${files[@]#"$ROOT"/}"
    : >"$ROWS"
    check_load
    local runs="${BENCH_RUNS:-30}"
    measure version 0 0 "$runs" "$KS" --version
    measure scan-5-files 0 0 "$runs" "$KS" scan --quiet --fail-on never "${files[@]}"
    measure rg-alt-5-files 0 1 "$runs" rg -uu --threads "$THREADS" -n -f "$ALT" "${files[@]}"
    say "pre-commit latency (median of $runs runs)"
    awk -F'\t' '{ printf "%-16s %8.1f ms   peak RSS %6.1f MB\n", $1, $2 * 1000, $5 / 1024 }' "$ROWS" |
        tee "$RES/table-precommit.txt"
}

run_longline() {
    need_tools
    mkdir -p "$WORK" "$RES"
    build
    local dir="$WORK/longline"
    rm -rf "$dir" && mkdir -p "$dir"
    # 2000 findings of one rule on one 4 MB line, and 2000 references with a
    # fix (whose context check reads the match's line) on another.
    python3 - "$dir" <<'EOF'
import sys, pathlib
d = pathlib.Path(sys.argv[1])
pad = "z" * 2000
(d / "long.env").write_text("".join(f" LOCALSTACK_API_KEY=7tQk2LmZ9x {pad}" for _ in range(2000)))
(d / "long.sh").write_text("".join(f" LOCALSTACK_API_KEY=${{X}} {pad}" for _ in range(2000)))
EOF
    : >"$ROWS"
    check_load
    local runs="${BENCH_RUNS:-5}" f
    for f in long.env long.sh; do
        measure "one-line-$f" "$(stat -c %s "$dir/$f")" 0 "$runs" \
            "$KS" scan --quiet --format json --output /dev/null --fail-on never "$dir/$f"
    done
    say "2000 hits on one 4 MB line (median of $runs runs)"
    awk -F'\t' '{ printf "%-20s %8.3f s   peak RSS %6.1f MB\n", $1, $2, $5 / 1024 }' "$ROWS" |
        tee "$RES/table-longline.txt"
}

case "$MODE" in
    tree) run_tree ;;
    precommit) run_precommit ;;
    longline) run_longline ;;
    ratios) run_ratios ;;
    *) die "usage: bench/run.sh [tree|precommit|longline|ratios]" ;;
esac
