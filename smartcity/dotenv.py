"""A `.env` file for local use: `make setup` writes one, the settings read it.

The file holds KEY=VALUE lines (blank lines and `#` comments allowed, values optionally in
quotes). Variables already in the environment win over the file, so a deployment configures
everything through its environment and has no file at all. `ENV_FILE` names another file;
`ENV_FILE=` (empty) reads none, as the tests do.

    python -m smartcity.dotenv [PATH]    # writes DEBUG=1 and a new SECRET_KEY unless PATH exists
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

LOCAL = """\
# Local development settings, written by `make setup` (never used in production: there,
# set the variables in the environment and keep no .env). Variables set in the environment
# win over this file.
DEBUG=1
SECRET_KEY={key}
"""


def parse(text: str) -> dict[str, str]:
    values = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key.isidentifier():
            raise ValueError(f"line {number}: expected KEY=VALUE, got {line!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def load(path: Path) -> dict[str, str]:
    """Put the file's variables into os.environ where they are not set yet; return them."""
    if not path.is_file():
        return {}
    try:
        values = parse(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SystemExit(f"{path}: {exc}") from None
    for key, value in values.items():
        os.environ.setdefault(key, value)
    return values


def write_local(path: Path) -> bool:
    """Write a local-development file unless one exists; True when written."""
    if path.exists():
        return False
    path.write_text(LOCAL.format(key=secrets.token_urlsafe(50)), encoding="utf-8")
    path.chmod(0o600)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    if write_local(target):
        print(f"{target}: written (DEBUG=1 and a new SECRET_KEY, for this machine only)")
    else:
        print(f"{target}: present, left as it is")
