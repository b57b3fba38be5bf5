#!/usr/bin/env bash
# History-scan benchmark: builds a repository with a long generated history
# (git fast-import) and measures `keysweep scan --history` on it.
#
#   bench/history.sh            build the repo if missing, then measure
#   bench/history.sh rebuild    regenerate the repo first
#
# The repo is real source text (crate sources from the local cargo registry,
# one commit per crate, up to HISTORY_REAL_MB) followed by HISTORY_COMMITS
# commits of churn with side branches, merges, and planted fabricated tokens
# that are deleted again a few commits later.
#
# Environment:
#   HISTORY_COMMITS   churn commits (default 5000)
#   HISTORY_REAL_MB   MB of real source text imported first (default 100)
#   HISTORY_PLANT     plant a token every N churn commits (default 250)
#   HISTORY_SOURCE    directory of source text (default: the cargo registry sources)
#   BENCH_THREADS     -j given to keysweep (default: nproc)
#   KEYSWEEP          binary to measure (default: target/release/keysweep, built if missing)
#
# Prints commits, distinct blobs, MB, wall time, blobs/s, MB/s and peak RSS.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$ROOT/bench/work/history"
COMMITS="${HISTORY_COMMITS:-5000}"
REAL_MB="${HISTORY_REAL_MB:-100}"
PLANT="${HISTORY_PLANT:-250}"
REPO="$WORK/repo-${COMMITS}c-${REAL_MB}mb-p${PLANT}.git"
THREADS="${BENCH_THREADS:-$(nproc)}"
KS="${KEYSWEEP:-$ROOT/target/release/keysweep}"
SOURCE="${HISTORY_SOURCE:-$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ 2>/dev/null | head -n1)}"

die() { printf 'bench/history: %s\n' "$*" >&2; exit 2; }
command -v git >/dev/null || die "git is needed to build the repository"
command -v python3 >/dev/null || die "python3 is needed to generate history"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

if [ "${1:-}" = rebuild ] || [ ! -d "$REPO" ]; then
    rm -rf "$REPO"
    mkdir -p "$WORK"
    git init -q --bare "$REPO"
    echo "== generating $COMMITS churn commits after ${REAL_MB} MB of source text from ${SOURCE:-nowhere}"
    start=$(date +%s)
    python3 "$ROOT/bench/history_gen.py" "${SOURCE:-/nonexistent}" "$REAL_MB" "$COMMITS" "$PLANT" \
        2>"$REPO.planted" | git -C "$REPO" fast-import --quiet --done
    git -C "$REPO" symbolic-ref HEAD refs/heads/main
    # Pack as a clone would have it, so reads go through deltas.
    git -C "$REPO" repack -adq
    echo "   built in $(( $(date +%s) - start )) s: $(cat "$REPO.planted")"
fi

if [ -z "${KEYSWEEP:-}" ]; then
    (cd "$ROOT" && cargo build --release --quiet)
fi
[ -x "$KS" ] || die "no binary at $KS"

commits=$(git -C "$REPO" rev-list --all | wc -l)
pack_mb=$(du -sm "$REPO/objects" | cut -f1)
echo "== repo: $commits commits, ${pack_mb} MB of packed objects, $(git -C "$REPO" for-each-ref | wc -l) refs"

/usr/bin/time -v "$KS" scan --history --format json --fail-on never -j "$THREADS" \
    --output "$WORK/report.json" "$REPO" 2>"$WORK/time.txt" &
time_pid=$!
# Peak RSS includes the memory-mapped pack files; sample the anonymous part
# (heap: ids, paths, findings, read buffers) separately from /proc.
max_anon=0
max_file=0
while kill -0 "$time_pid" 2>/dev/null; do
    ks_pid=$(pgrep -P "$time_pid" | head -n1 || true)
    if [ -n "$ks_pid" ] && [ -r "/proc/$ks_pid/status" ]; then
        read -r anon file < <(awk '/RssAnon/{a=$2} /RssFile/{f=$2} END{print a+0, f+0}' "/proc/$ks_pid/status" 2>/dev/null || echo "0 0")
        [ "${anon:-0}" -gt "$max_anon" ] && max_anon=$anon
        [ "${file:-0}" -gt "$max_file" ] && max_file=$file
    fi
    sleep 0.05
done
wait "$time_pid" || die "keysweep failed: $(cat "$WORK/time.txt")"
echo "$max_anon $max_file" > "$WORK/rss-split.txt"

python3 - "$WORK/report.json" "$WORK/time.txt" "$REPO.planted" "$WORK/rss-split.txt" <<'EOF'
import json, re, sys
report = json.load(open(sys.argv[1]))
time_txt = open(sys.argv[2]).read()
planted = int(re.search(r"planted (\d+)", open(sys.argv[3]).read()).group(1))
s = report["summary"]
rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_txt).group(1))
wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", time_txt).group(1)
cpu = sum(float(re.search(rf"{k} time \(seconds\): ([0-9.]+)", time_txt).group(1)) for k in ("User", "System"))
secs = max(s["elapsed_ms"] / 1000, 1e-3)
mb = s["bytes_scanned"] / 1e6
leaks = [f for f in report["findings"] if f["path"].startswith("leaks/")]
print(f"commits walked     {s['history']['commits']}")
print(f"distinct blobs     {s['history']['blobs']} ({s['files_scanned']} scanned, skipped {s['skipped']})")
print(f"content scanned    {mb:.1f} MB")
print(f"scan time          {secs:.2f} s (walk {s['history']['walk_ms'] / 1000:.2f} s; wall incl. startup {wall})")
print(f"throughput         {s['files_scanned'] / secs:.0f} blobs/s, {mb / secs:.1f} MB/s")
print(f"CPU time           {cpu:.2f} s user+sys ({mb / max(cpu, 1e-3):.1f} MB per CPU-second)")
anon_kb, file_kb = (int(x) for x in open(sys.argv[4]).read().split())
print(f"peak RSS           {rss_kb / 1024:.1f} MiB (sampled: {anon_kb / 1024:.1f} MiB anonymous, {file_kb / 1024:.1f} MiB mapped files: packs and the binary)")
print(f"findings           {s['findings']} ({len(leaks)} of {planted} planted tokens found)")
if len(leaks) != planted:
    sys.exit("bench/history: planted tokens missing from the report")
EOF
