#!/usr/bin/env python3
"""Fail clearly when a lock file no longer matches the requirements it was compiled from.

    python .ci/check_locks.py requirements.txt:requirements.lock requirements-dev.txt:requirements-dev.lock

requirements*.txt are the human-edited inputs (direct dependencies, pinned); the locks pin the
whole tree with hashes and are what `make` installs. Every pin of an input (and of the inputs
it includes with -r) must appear in its lock with the same version; otherwise the lock is
stale and `make lock` regenerates it. Standard library only: it runs before any install.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#\\]+)")


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith(("-r ", "--requirement ")):
            found.update(pins(path.parent / line.split(maxsplit=1)[1]))
        elif m := PIN.match(line):
            found[normal(m.group(1))] = m.group(2)
    return found


def stale(source: Path, lock: Path) -> list[str]:
    if not lock.is_file():
        return [f"{lock} is missing"]
    locked = pins(lock)
    return [
        f"{source} pins {name}=={version}, {lock} has "
        + (f"{name}=={locked[name]}" if name in locked else "no such package")
        for name, version in sorted(pins(source).items())
        if locked.get(name) != version
    ]


def main(pairs: list[str]) -> int:
    problems = []
    for pair in pairs:
        source, lock = pair.split(":")
        problems += stale(Path(source), Path(lock))
    for problem in problems:
        print(f"lock out of date: {problem}", file=sys.stderr)
    if problems:
        print("Run `make lock` to regenerate the lock files, then commit them.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
