#!/usr/bin/env bash
# Runs keysweep for the GitHub Action (action.yml, step "Scan").
#
# Inputs, as environment variables:
#   KS_PATHS              files or directories to scan (shell-quoted words; default .)
#   KS_FAIL_ON            --fail-on for the gate (empty: keysweep.toml, else low)
#   KS_BASELINE           --baseline FILE
#   KS_CONFIG             --config FILE
#   KS_ARGS               more `keysweep scan` arguments (shell-quoted words),
#                         appended last, so they override the defaults above
#   KS_SARIF              where the full SARIF report is written (default:
#                         RUNNER_TEMP/keysweep/keysweep.sarif)
#   KS_UPLOAD             true: prepare the code scanning upload
#   KS_UPLOAD_SUPPRESSED  true: keep suppressed results in the upload
#   KS_SUMMARY            true: write the job summary
# and what GitHub sets: GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP.
#
# One scan: the human report for the log (its exit code is the gate) and,
# with `--report sarif=FILE`, the SARIF report, from which report.py derives
# the counts, the job summary and the upload file.
#
# Outputs: exit-code, findings, suppressed, sarif-file, sarif-upload-file.
# Exits 0 when keysweep ran (findings or not: the "Fail" step gates), 2 when
# keysweep reported an error, 1 when this script could not do its job.
# keysweep's exit code is data here: no errexit, whoever started the script.
set +e
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
temp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
if command -v cygpath >/dev/null 2>&1; then temp="$(cygpath -u "$temp")"; fi

fatal() { echo "::error title=keysweep::$*" >&2; exit 1; }
output() { [ -n "${GITHUB_OUTPUT:-}" ] && echo "$1=$2" >>"$GITHUB_OUTPUT"; return 0; }

py=""
for p in python3 python; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 6))' 2>/dev/null; then
        py="$p"
        break
    fi
done
[ -n "$py" ] || fatal "the action needs python3 on the runner"
command -v keysweep >/dev/null 2>&1 || fatal "keysweep is not on PATH"

# Splits a string into words the way a POSIX shell would (quotes respected,
# no expansion), NUL-separated.
split_words() {
    "$py" -c 'import shlex, sys; sys.stdout.write("".join(w + "\0" for w in shlex.split(sys.argv[1])))' "$1" ||
        fatal "cannot split into words: $1"
}

paths=()
while IFS= read -r -d '' w; do paths+=("$w"); done < <(split_words "${KS_PATHS:-.}")
[ ${#paths[@]} -gt 0 ] || paths=(.)
extra=()
while IFS= read -r -d '' w; do extra+=("$w"); done < <(split_words "${KS_ARGS:-}")

common=()
[ -n "${KS_BASELINE:-}" ] && common+=(--baseline "$KS_BASELINE")
[ -n "${KS_CONFIG:-}" ] && common+=(--config "$KS_CONFIG")
gate=()
[ -n "${KS_FAIL_ON:-}" ] && gate+=(--fail-on "$KS_FAIL_ON")

# By default the report goes outside the workspace: a later scan of the same
# tree (a self-hosted runner, a second job step) must not scan the report.
sarif="${KS_SARIF:-$temp/keysweep/keysweep.sarif}"
case "$sarif" in */*) mkdir -p "${sarif%/*}" ;; esac

# The human report in the log, the SARIF report beside it. The user's args
# come last, so `--fail-on`, `--format` or `--color` in them win; the SARIF
# report's destination is the action's (`--report` is repeatable).
keysweep scan "${paths[@]}" "${common[@]+"${common[@]}"}" --format human --color always \
    "${gate[@]+"${gate[@]}"}" "${extra[@]+"${extra[@]}"}" --report "sarif=$sarif"
code=$?
output exit-code "$code"

if [ "$code" -ge 2 ]; then
    echo "::error title=keysweep::keysweep exited with $code: a usage, configuration or read error, see the log above"
    exit 2
fi
[ -s "$sarif" ] || fatal "keysweep wrote no SARIF report to $sarif"

sarif_abs="$(cd "$(dirname "$sarif")" && pwd)/$(basename "$sarif")"
output sarif-file "$sarif_abs"

report_args=("$sarif_abs" --exit-code "$code" --outputs "${GITHUB_OUTPUT:-/dev/null}")
if [ "${KS_UPLOAD:-true}" = true ]; then
    # upload-sarif reads the file from here whatever the sarif-file input was
    # (a path outside the workspace included).
    mkdir -p "$temp/keysweep"
    upload="$temp/keysweep/upload.sarif"
    report_args+=(--upload "$upload")
    [ "${KS_UPLOAD_SUPPRESSED:-false}" = true ] && report_args+=(--keep-suppressed)
fi
if [ "${KS_SUMMARY:-true}" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    report_args+=(--summary "$GITHUB_STEP_SUMMARY")
fi
"$py" "$here/report.py" "${report_args[@]}" || fatal "report.py failed on $sarif_abs"
exit 0
