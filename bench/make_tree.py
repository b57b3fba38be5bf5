#!/usr/bin/env python3
"""Build the benchmark tree for bench/run.sh.

Copies real source files from the given directories into DEST until a byte
budget is reached, then plants a few fabricated LocalStack credentials so the
scanner has something to report. Writes DEST/../tree.json describing the
result; run.sh treats that file as the "tree is complete" marker.

Usage: make_tree.py DEST BUDGET_MB MAX_FILE_BYTES SRC_DIR...
"""

import hashlib
import json
import os
import random
import secrets
import shutil
import string
import sys

ALNUM = string.ascii_letters + string.digits
SKIP_DIRS = {"__pycache__", ".git", ".hg", ".svn"}


def rand_alnum(n):
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def auth_token():
    """ls- + 8-4-4-4-12 alnum; the last 4 chars are md5 of the 32 before them."""
    groups = [rand_alnum(n) for n in (8, 4, 4, 4, 12)]
    body = "-".join(groups)  # 36 chars
    head = body[:32]
    check = hashlib.md5(head.encode()).hexdigest()[:4]
    return "ls-" + head + check


def copy_sources(dest, budget, max_file, sources):
    total = 0
    files = 0
    for src in sources:
        label = src.strip("/").replace("/", "_")
        for root, dirs, names in os.walk(src):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            rel = os.path.relpath(root, src)
            out_dir = os.path.normpath(os.path.join(dest, label, rel))
            made = False
            for name in sorted(names):
                path = os.path.join(root, name)
                if name.endswith((".pyc", ".pyo")) or os.path.islink(path):
                    continue
                try:
                    size = os.stat(path).st_size
                except OSError:
                    continue
                if not os.path.isfile(path) or size == 0 or size > max_file:
                    continue
                if not made:
                    os.makedirs(out_dir, exist_ok=True)
                    made = True
                try:
                    shutil.copyfile(path, os.path.join(out_dir, name))
                except OSError:
                    continue
                total += size
                files += 1
                if total >= budget:
                    return total, files
    return total, files


def plant(dest):
    """Write fabricated credentials into a few directories of the tree."""
    dirs = []
    for root, subdirs, _ in os.walk(dest):
        subdirs.sort()
        depth = os.path.relpath(root, dest).count(os.sep)
        if depth == 2:
            dirs.append(root)
            subdirs[:] = []
    if not dirs:
        dirs = [dest]
    rng = random.Random(1234)
    picks = [rng.choice(dirs) for _ in range(4)]

    api_key = rand_alnum(10)
    token = auth_token()
    files = {
        os.path.join(picks[0], ".env"): (
            "# local development settings\n"
            "AWS_DEFAULT_REGION=us-east-1\n"
            f"LOCALSTACK_API_KEY={api_key}\n"
        ),
        os.path.join(picks[1], ".github", "workflows", "integration.yml"): (
            "name: integration\n"
            "on: [push]\n"
            "jobs:\n"
            "  test:\n"
            "    runs-on: ubuntu-latest\n"
            "    env:\n"
            "      LOCALSTACK_API_KEY: ${{ secrets.LOCALSTACK_API_KEY }}\n"
            "    steps:\n"
            "      - uses: actions/checkout@v4\n"
            "      - run: make integration-test\n"
        ),
        os.path.join(picks[2], "docker-compose.yml"): (
            "services:\n"
            "  localstack:\n"
            "    image: localstack/localstack:latest\n"
            "    ports:\n"
            '      - "4566:4566"\n'
        ),
        os.path.join(picks[3], "scripts", "start-localstack.sh"): (
            "#!/bin/sh\n"
            "set -e\n"
            f'export LOCALSTACK_AUTH_TOKEN="{token}"\n'
            "localstack start -d\n"
        ),
    }
    planted = []
    for path, text in files.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        planted.append(os.path.relpath(path, dest))
    return planted, sum(len(t.encode()) for t in files.values())


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    dest, budget_mb, max_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sources = []
    for s in sys.argv[4:]:
        real = os.path.realpath(s)
        if not os.path.isdir(real):
            continue
        # Skip a source nested in one already listed (site-packages in stdlib).
        if any(real == p or real.startswith(p + os.sep) for p in sources):
            continue
        sources.append(real)
    if not sources:
        sys.exit("make_tree.py: none of the source directories exist")

    os.makedirs(dest, exist_ok=True)
    total, files = copy_sources(dest, budget_mb * 1024 * 1024, max_file, sources)
    planted, extra = plant(dest)
    info = {
        "budget_mb": budget_mb,
        "max_file_bytes": max_file,
        "bytes": total + extra,
        "files": files + len(planted),
        "sources": sources,
        "planted": planted,
    }
    if total < budget_mb * 1024 * 1024:
        print(
            f"make_tree.py: sources ran out at {total / 1048576:.0f} MB "
            f"(asked for {budget_mb} MB)",
            file=sys.stderr,
        )
    with open(os.path.join(os.path.dirname(os.path.abspath(dest)), "tree.json"), "w") as f:
        json.dump(info, f, indent=2)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
