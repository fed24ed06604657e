import os
import subprocess
import sys

from tests.conftest import ROOT


def _import_settings(**env) -> subprocess.CompletedProcess:
    clean_env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import smartcity.settings"],
        cwd=ROOT,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
    )


def test_debug_off_without_secret_key_refuses_to_start():
    result = _import_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_on_uses_a_development_key():
    assert _import_settings(DEBUG="1").returncode == 0


def test_debug_off_with_a_secret_key_starts():
    assert _import_settings(DEBUG="0", SECRET_KEY="x" * 50).returncode == 0


def test_a_malformed_boolean_is_a_clear_error():
    result = _import_settings(DEBUG="maybe", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_default_database_folder_is_created_on_a_fresh_checkout(tmp_path):
    var = tmp_path / "fresh" / "var"
    clean_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env={**clean_env, "DEBUG": "1", "VAR_DIR": str(var)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (var / "db.sqlite3").is_file()


def test_a_local_env_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text('# local\nDEBUG=1\nexport SECRET_KEY="from-the-file"\n\n')
    probe = "from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY)"
    clean_env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    run = lambda **env: subprocess.run(  # noqa: E731
        [sys.executable, "-c", f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='smartcity.settings'; {probe}"],
        cwd=ROOT, env={**clean_env, "ENV_FILE": str(env_file), **env}, capture_output=True, text=True,
    )  # fmt: skip
    assert run().stdout.split() == ["True", "from-the-file"]
    assert run(DEBUG="0").stdout.split() == ["False", "from-the-file"]


def test_make_setup_writes_a_local_env_file_once(tmp_path):
    target = tmp_path / ".env"
    write = [sys.executable, "-m", "smartcity.dotenv", str(target)]
    assert "written" in subprocess.run(write, cwd=ROOT, capture_output=True, text=True).stdout
    first = target.read_text()
    assert "DEBUG=1" in first and len(first.split("SECRET_KEY=")[1].strip()) >= 50
    assert "left as it is" in subprocess.run(write, cwd=ROOT, capture_output=True, text=True).stdout
    assert target.read_text() == first
    assert target.stat().st_mode & 0o077 == 0  # the key is for this user only
