"""Every command the README shows, run as written in a fresh copy of the repository.

The copy holds what a clone would (tracked and new, not ignored, files: no .env, no var/, no
.venv), with this checkout's virtualenv linked in so nothing is downloaded. The environment is
a newcomer's: no DEBUG, SECRET_KEY, DATABASE_URL or other settings. A command added to the
README fails `test_every_readme_command_is_run_or_skipped_with_a_reason` until it is run here.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SETTINGS_VARS = {
    "DEBUG", "SECRET_KEY", "DATABASE_URL", "VAR_DIR", "SEARCH_BACKEND", "SEARCH_INDEX_DIR",
    "ENV_FILE", "DJANGO_SETTINGS_MODULE", "ALLOWED_HOSTS", "STATIC_ROOT", "MAKEFLAGS", "MFLAGS",
    "MAKELEVEL", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_EMAIL",
}  # fmt: skip
# Commands not run here, each with why.
SKIPPED = {
    "make test": "the suite this test is part of (CI runs it: .ci/run)",
    "make test-postgres": "the PostgreSQL half of the same suite",
    "make postgres": "installs and starts a database server",
    "make bench": "benchmarks of several minutes (bench/)",
    "make screenshots": "tests/browser/test_screenshots.py, part of this suite",
    "make accept-screenshots": "copies a looked-at screenshot set into the repository",
    "make lock": "asks the package index (minutes); tests/test_locks.py checks the locks",
    "python -m bench PART ...": "benchmarks of several minutes (bench/)",
}


def readme_commands() -> list[str]:
    """Commands in the README: `inline` spans and lines of ```sh blocks."""
    found = re.findall(r"`([^`\n]+)`", README)
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        found += [line.split("  #")[0].strip() for line in block.splitlines()]
    starts = ("make ", ".venv/bin/python ", "manage.py ", "python -m ")
    commands = [c.strip() for c in found if c.strip().startswith(starts)]
    return list(dict.fromkeys(c for c in commands if not c.endswith("\\")))


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("no .venv in this checkout: run `make setup-dev`")
    dest = tmp_path_factory.mktemp("clone") / "smartcity"
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)  # keeps mtimes: make sees the venv current
    (dest / ".venv").symlink_to(ROOT / ".venv")
    return dest


def env(**extra: str) -> dict[str, str]:
    # Nothing the test session set either (DJANGO_ALLOW_ASYNC_UNSAFE from the browser tests).
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in SETTINGS_VARS and not k.startswith(("DJANGO_", "PYTEST_"))
    }
    return {**clean, **extra}


def run(clone: Path, command: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, shell=True, cwd=clone, env=env(**extra), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"{result.args} failed:\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_readme_command_is_run_or_skipped_with_a_reason():
    handled = set(SKIPPED) | set(HANDLED)
    unhandled = [c for c in readme_commands() if c not in handled]
    assert not unhandled, f"README commands this test does not run: {unhandled}"


HANDLED = [
    "make run",
    "make setup",
    ".venv/bin/python manage.py migrate",
    ".venv/bin/python manage.py import_articles seeds/",
    ".venv/bin/python manage.py rebuild_index",
    "make admin",
    "make lint",
    ".venv/bin/python manage.py import_articles PATH [PATH ...]",
    ".venv/bin/python manage.py parse_article FILE --json",
    ".venv/bin/python manage.py reextract --all",
    "manage.py rebuild_index",
    "manage.py generate_corpus N --seed S",
    "manage.py migrate",
    "manage.py collectstatic",
    "manage.py check --deploy",
    "manage.py send_alerts",
    "manage.py run_indexer",
    ".venv/bin/python manage.py run_indexer",
    "manage.py index_status",
    "manage.py rebuild_index --if-missing",
]


def test_readme_commands_work_as_written_on_a_fresh_clone(clone):
    # make run: sets everything up, says what it did, and serves.
    port = free_port()
    server = subprocess.Popen(
        ["make", "run", f"PORT={port}"], cwd=clone, env=env(), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline, status = time.monotonic() + 300, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/?q=smart", timeout=5) as r:
                    status, page = r.status, r.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, f"make run did not serve: {server.poll()}"
        assert "{#" not in page and "articles" in page
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert (clone / ".env").is_file() and "DEBUG=1" in (clone / ".env").read_text()
    assert "5 new, 0 unchanged, 0 failed" in output
    assert "index present with all 5 article(s); not rebuilt" in output, output
    assert "nothing to do" not in output

    # Safe to run again.
    again = ok(run(clone, "make setup"))
    assert "0 new, 5 unchanged, 0 failed" in again and "index present with all 5" in again

    # "Adding articles", as written (the .env that make wrote is what makes them work).
    py = ".venv/bin/python manage.py"
    out = ok(run(clone, f"{py} import_articles seeds/"))
    assert "0 new, 5 unchanged, 0 failed" in out
    seed = sorted((clone / "seeds").glob("*.txt"))[0].name
    assert '"title"' in ok(run(clone, f"{py} parse_article seeds/{seed} --json"))
    assert "5 updated" in ok(run(clone, f"{py} reextract --all"))
    assert "5 updated" in ok(run(clone, f"{py} reextract 1 2 3 4 5"))
    assert "index built: 5 article(s)" in ok(run(clone, f"{py} rebuild_index"))
    assert "index present with all 5" in ok(run(clone, f"{py} rebuild_index --if-missing"))
    ok(run(clone, f"{py} run_indexer --once"))  # drains the journal once and stops
    assert "5" in ok(run(clone, f"{py} index_status"))

    # The benchmark corpus generator refuses the archive a user runs.
    refused = run(clone, f"{py} generate_corpus 20 --seed 3")
    assert refused.returncode != 0 and "archive" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr

    # make admin: from DJANGO_SUPERUSER_* without a terminal, loudly when they are missing.
    failed = run(clone, "make admin")
    assert failed.returncode != 0 and "DJANGO_SUPERUSER_USERNAME" in failed.stderr
    made = run(
        clone, "make admin", DJANGO_SUPERUSER_USERNAME="ada", DJANGO_SUPERUSER_PASSWORD="pw-x7!q9z",
        DJANGO_SUPERUSER_EMAIL="ada@example.org",
    )  # fmt: skip
    assert "admin user 'ada' created" in ok(made)
    again = run(clone, "make admin", DJANGO_SUPERUSER_USERNAME="ada", DJANGO_SUPERUSER_PASSWORD="x")
    assert again.returncode != 0 and "already taken" in again.stderr

    ok(run(clone, "make lint"))

    # Deploying: DEBUG off with the settings the README names.
    key = secrets.token_urlsafe(50)
    prod = {
        "DEBUG": "0",
        "SECRET_KEY": key,
        "ALLOWED_HOSTS": "search.example.org",
        "SITE_URL": "https://search.example.org",
    }
    ok(run(clone, f"{py} migrate", **prod))
    ok(run(clone, f"{py} import_articles seeds/", **prod))
    ok(run(clone, f"{py} collectstatic --noinput", **prod))
    ok(run(clone, f"{py} check --deploy --fail-level WARNING", **prod))
    ok(run(clone, f"{py} send_alerts", **prod))  # no subscriptions yet: nothing to send
    refused = run(clone, f"{py} check", DEBUG="0", ENV_FILE="")
    assert refused.returncode != 0 and "SECRET_KEY is not set" in refused.stderr
