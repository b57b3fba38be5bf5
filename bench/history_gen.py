#!/usr/bin/env python3
"""Write a `git fast-import` stream with a long, realistic history.

Phase 1 commits real source text (the files under SOURCE, one commit per
top-level directory, up to REAL_MB) so blob contents look like real code.
Phase 2 adds COMMITS commits of churn over a pool of generated config,
script and docs files: each commit rewrites 1-4 files, every 100th commit
starts a side branch that takes every other commit for 20 commits and is
then merged back, and every
PLANT_EVERY-th commit plants a fabricated LocalStack Auth Token in a file
that a later commit removes again (the leak a history scan must find).

Usage: history_gen.py SOURCE REAL_MB COMMITS PLANT_EVERY > stream
Prints the number of planted tokens on stderr as `planted N`.
"""

import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures", "tools"))
import lstoken  # noqa: E402  (fabricated, checksum-valid tokens)

out = sys.stdout.buffer
rng = random.Random(42)
WORDS = (
    "alpha beta gamma delta service region bucket queue table stack deploy build "
    "test lambda function handler config value endpoint port host cache retry "
    "timeout docker compose image volume network secret token account user"
).split()


def data(b: bytes) -> None:
    out.write(b"data %d\n" % len(b))
    out.write(b)
    out.write(b"\n")


def commit(ref, mark, ts, msg, parent, merge, changes):
    out.write(b"commit %s\nmark :%d\n" % (ref.encode(), mark))
    who = b"Bench <bench@example.com> %d +0000\n" % ts
    out.write(b"author " + who + b"committer " + who)
    data(msg.encode())
    if parent:
        out.write(b"from :%d\n" % parent)
    if merge:
        out.write(b"merge :%d\n" % merge)
    for path, content in changes:
        if content is None:
            out.write(b"D %s\n" % path.encode())
        else:
            out.write(b"M 100644 inline %s\n" % path.encode())
            data(content)


def text_file(kind: str, n_lines: int) -> bytes:
    lines = []
    for i in range(n_lines):
        w = rng.sample(WORDS, 4)
        if kind == "env":
            lines.append(f"{w[0].upper()}_{w[1].upper()}={w[2]}-{rng.randrange(10**6)}")
        elif kind == "sh":
            lines.append(f"echo \"{w[0]} {w[1]}\" && {w[2]} --{w[3]} {rng.randrange(1000)}")
        elif kind == "yml":
            lines.append(f"{'  ' * (i % 3)}{w[0]}_{w[1]}: {w[2]}-{rng.randrange(10**4)}")
        else:
            lines.append(" ".join(rng.choice(WORDS) for _ in range(12)))
    return ("\n".join(lines) + "\n").encode()


def main(argv):
    source, real_mb, commits, plant_every = argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    mark = 0
    ts = 1_600_000_000
    head = 0

    # Phase 1: real source text.
    budget = real_mb << 20
    if budget and os.path.isdir(source):
        for top in sorted(os.listdir(source)):
            if budget <= 0:
                break
            changes = []
            for dirpath, _, files in os.walk(os.path.join(source, top)):
                for f in sorted(files):
                    p = os.path.join(dirpath, f)
                    try:
                        if os.path.islink(p) or os.path.getsize(p) > (1 << 20):
                            continue
                        with open(p, "rb") as fh:
                            b = fh.read()
                    except OSError:
                        continue
                    rel = os.path.relpath(p, source).replace(os.sep, "/")
                    changes.append(("vendor/" + rel, b))
                    budget -= len(b)
            if changes:
                mark += 1
                ts += 600
                commit("refs/heads/main", mark, ts, f"Vendor {top}", head, 0, changes)
                head = mark

    # Phase 2: churn over generated files, with side branches and leaks.
    pool = []
    for d in range(25):
        for k, ext in enumerate(["env", "sh", "yml", "md"] * 5):
            pool.append((f"app{d}/{ext}/file{k}.{ext}", ext))
    planted = 0
    branch_from = {}
    branch_head = {}
    leak_open = []
    for i in range(commits):
        ts += 300
        changes = []
        for path, kind in rng.sample(pool, rng.randint(1, 4)):
            changes.append((path, text_file(kind, rng.randint(20, 200))))
        msg = f"Change {i}"
        if plant_every and i % plant_every == plant_every // 2:
            tok = lstoken.make_token(rng)
            path = f"leaks/leak{planted}.env"
            changes.append((path, f"LOCALSTACK_AUTH_TOKEN={tok}\n".encode()))
            leak_open.append((i + 7, path))
            planted += 1
            msg = f"Add local settings {planted}"
        for due, path in list(leak_open):
            if due == i:
                changes.append((path, None))
                leak_open.remove((due, path))
        mark += 1
        b = i // 100
        if i % 100 < 20 and i >= 100 and i % 2 == 0:
            # Side branch b: its own commits, merged back at i % 100 == 20.
            ref = f"refs/heads/topic/{b}"
            parent = branch_head.get(b, branch_from.setdefault(b, head))
            commit(ref, mark, ts, msg, parent, 0, changes)
            branch_head[b] = mark
        elif i % 100 == 20 and b in branch_head:
            commit("refs/heads/main", mark, ts, f"Merge topic/{b}", head, branch_head[b], changes)
            head = mark
        else:
            commit("refs/heads/main", mark, ts, msg, head, 0, changes)
            head = mark
    out.write(b"done\n")
    print(f"planted {planted}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
