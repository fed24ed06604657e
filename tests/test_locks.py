"""The locks pin the whole dependency tree with hashes and match requirements*.txt."""

import re
import subprocess
import sys

from tests.conftest import ROOT

CHECK = [sys.executable, str(ROOT / ".ci" / "check_locks.py")]
PAIRS = ["requirements.txt:requirements.lock", "requirements-dev.txt:requirements-dev.lock"]


def locked(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text()
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\$", text, flags=re.M))


def test_locks_match_the_requirements():
    result = subprocess.run(CHECK + PAIRS, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_locked_package_has_a_hash_and_the_tree_is_whole():
    for name in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / name).read_text()
        entries = re.split(r"\n(?=[a-z0-9])", text.split("\n\n", 1)[-1].strip())
        pins = [e for e in entries if "==" in e.split("\n")[0]]
        assert pins and all("--hash=sha256:" in e for e in pins), name
    runtime = locked("requirements.lock")
    # The transitive package an old pip left out (justext's lxml[html_clean] extra).
    assert "lxml-html-clean" in runtime and "trafilatura" in runtime
    # The dev lock agrees with the runtime lock on every shared package.
    dev = locked("requirements-dev.lock")
    assert {k: v for k, v in dev.items() if k in runtime} == runtime


def test_a_stale_lock_stops_make_with_the_package_to_blame(tmp_path):
    (tmp_path / "requirements.txt").write_text("Django==5.2.19\nnewthing==1.0\n")
    (tmp_path / "requirements.lock").write_text("django==5.2.19 \\\n    --hash=sha256:00\n")
    result = subprocess.run(
        CHECK + ["requirements.txt:requirements.lock"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert (
        "requirements.txt pins newthing==1.0, requirements.lock has no such package"
        in result.stderr
    )
    assert "make lock" in result.stderr
