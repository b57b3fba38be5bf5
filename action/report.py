#!/usr/bin/env python3
"""Turns keysweep's SARIF report into what the GitHub Action publishes.

    report.py SARIF [--upload OUT [--keep-suppressed]] [--summary FILE]
              [--outputs FILE] [--exit-code N]

--upload     writes the file handed to upload-sarif. GitHub code scanning
             ignores SARIF `suppressions` and would open an alert for every
             baseline-accepted or inline-ignored finding, so results with a
             non-empty `suppressions` array are left out unless
             --keep-suppressed is given.
--summary    appends a Markdown job summary (counts by severity, the top
             findings) to FILE, GITHUB_STEP_SUMMARY in a workflow. It stays
             far below GitHub's 1 MiB step summary limit.
--outputs    appends findings=, suppressed=, one count per severity and
             sarif-upload-file= to FILE, GITHUB_OUTPUT in a workflow.

Standard library only: it runs on the runner's own python3.
"""

import argparse
import json
import os
import sys
from urllib.parse import unquote

SEVERITIES = ["critical", "high", "medium", "low", "info"]
LEVEL_SEVERITY = {"error": "high", "warning": "medium", "note": "low", "none": "info"}
# Rows of the top-findings table, and a hard cap on the whole summary.
TOP = 20
SUMMARY_CAP = 64 * 1024
CELL_CAP = 160


def severity(result):
    sev = (result.get("properties") or {}).get("severity")
    if sev in SEVERITIES:
        return sev
    return LEVEL_SEVERITY.get(result.get("level", "warning"), "medium")


def suppressed(result):
    return bool(result.get("suppressions"))


def cell(text, code=False):
    """One Markdown table cell: a single line, bounded, no markup from data."""
    text = " ".join(str(text).split())
    if len(text) > CELL_CAP:
        text = text[: CELL_CAP - 1] + "…"
    if code:
        text = text.replace("`", "'")
        return "`" + text.replace("|", "\\|") + "`"
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        text = text.replace(a, b)
    for ch in "*_[]`#~":
        text = text.replace(ch, "\\" + ch)
    return text


def location(result):
    locs = result.get("locations") or [{}]
    phys = locs[0].get("physicalLocation") or {}
    uri = (phys.get("artifactLocation") or {}).get("uri", "?")
    line = (phys.get("region") or {}).get("startLine")
    return uri, line


def title_of(run, result):
    rules = ((run.get("tool") or {}).get("driver") or {}).get("rules") or []
    idx = result.get("ruleIndex")
    if isinstance(idx, int) and 0 <= idx < len(rules):
        short = (rules[idx].get("shortDescription") or {}).get("text")
        if short:
            return short
    return (result.get("message") or {}).get("text", "")


def file_link(uri, line):
    """A link to the file at the scanned commit, when the workflow's context is known."""
    server = os.environ.get("GITHUB_SERVER_URL")
    repo = os.environ.get("GITHUB_REPOSITORY")
    sha = os.environ.get("GITHUB_SHA")
    if not (server and repo and sha) or "://" in uri or uri.startswith("/"):
        return None
    anchor = f"#L{line}" if line else ""
    return f"{server}/{repo}/blob/{sha}/{uri}{anchor}"


def summary(log, exit_code, upload=None):
    """upload: None (no upload), "filtered" or "all"."""
    runs = log.get("runs") or []
    active, quiet = [], []
    for run in runs:
        for result in run.get("results") or []:
            (quiet if suppressed(result) else active).append((run, result))
    counts = {s: 0 for s in SEVERITIES}
    quiet_counts = {s: 0 for s in SEVERITIES}
    for _, r in active:
        counts[severity(r)] += 1
    for _, r in quiet:
        quiet_counts[severity(r)] += 1

    out = ["## keysweep", ""]
    n, m = len(active), len(quiet)
    if exit_code == 0:
        verdict = "passed: nothing at or above the fail-on threshold"
    elif exit_code == 1:
        verdict = "**failed**: findings at or above the fail-on threshold"
    else:
        verdict = f"exited with {exit_code}"
    out.append(
        f"{n} finding{'s' if n != 1 else ''}, {m} suppressed; the scan {verdict}."
    )
    out.append("")
    out.append("| severity | findings | suppressed |")
    out.append("|---|---:|---:|")
    for s in SEVERITIES:
        out.append(f"| {s} | {counts[s]} | {quiet_counts[s]} |")
    out.append("")

    if active:
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        top = sorted(enumerate(active), key=lambda e: (rank[severity(e[1][1])], e[0]))[
            :TOP
        ]
        out.append(f"### Top findings ({len(top)} of {n})")
        out.append("")
        out.append("| severity | rule | location | finding |")
        out.append("|---|---|---|---|")
        for _, (run, r) in top:
            uri, line = location(r)
            shown_uri = unquote(uri)
            where = f"{shown_uri}:{line}" if line else shown_uri
            link = file_link(uri, line)
            shown = cell(where, code=True)
            if link:
                shown = f"[{shown}]({link})"
            out.append(
                f"| {severity(r)} | {cell(r.get('ruleId', '?'), code=True)} | {shown} | {cell(title_of(run, r))} |"
            )
        out.append("")
        if n > len(top):
            out.append(
                f"{n - len(top)} more in the scan step's log and in the SARIF report."
            )
            out.append("")
    if m:
        note = (
            "Suppressed findings (baseline, inline directives, allowlist) are in the"
            " SARIF report with their reason"
        )
        if upload == "filtered":
            note += " and left out of the code scanning upload."
        elif upload == "all":
            note += " and uploaded too (`upload-suppressed: true`)."
        else:
            note += "."
        out.append(note)
        out.append("")
    text = "\n".join(out) + "\n"
    if len(text.encode("utf-8")) > SUMMARY_CAP:
        text = text.encode("utf-8")[: SUMMARY_CAP - 200].decode("utf-8", "ignore")
        text = text.rsplit("\n", 1)[0] + "\n\n(summary cut at 64 KiB)\n"
    return text, counts, n, m


def upload_copy(log, keep_suppressed):
    if keep_suppressed:
        return log
    for run in log.get("runs") or []:
        if "results" in run and run["results"] is not None:
            run["results"] = [r for r in run["results"] if not suppressed(r)]
    return log


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sarif")
    ap.add_argument("--upload")
    ap.add_argument("--keep-suppressed", action="store_true")
    ap.add_argument("--summary")
    ap.add_argument("--outputs")
    ap.add_argument("--exit-code", type=int, default=0)
    args = ap.parse_args(argv)

    with open(args.sarif, encoding="utf-8") as f:
        log = json.load(f)

    upload = None
    if args.upload:
        upload = "all" if args.keep_suppressed else "filtered"
    text, counts, n, m = summary(log, args.exit_code, upload)
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as f:
            f.write(text)

    lines = [f"findings={n}", f"suppressed={m}"]
    lines += [f"{s}={counts[s]}" for s in SEVERITIES]
    if args.upload:
        log = upload_copy(log, args.keep_suppressed)
        tmp = args.upload + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(log, f, ensure_ascii=False)
        os.replace(tmp, args.upload)
        lines.append(f"sarif-upload-file={os.path.abspath(args.upload)}")
    if args.outputs:
        with open(args.outputs, "a", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
    print(
        f"keysweep: {n} findings ({', '.join(f'{counts[s]} {s}' for s in SEVERITIES)}), {m} suppressed"
        + (
            f"; upload file {args.upload} ({'with' if args.keep_suppressed else 'without'} suppressed results)"
            if args.upload
            else ""
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
