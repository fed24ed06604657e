"""A real streaming replica of the test server, for the replica tests.

pg_basebackup copies the server into a temporary folder and writes the standby settings
(-R); the replica's own postgres process is started on another loopback port and stopped by its
process id. As root (the server refuses to run as root), both run as the `postgres` user.
The primary must allow replication over loopback: `make postgres` (.ci/postgres) adds the
pg_hba.conf line.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.postgres.servers import free_port

# Settings a hot standby must hold at least as high as its primary (else it refuses to start).
AT_LEAST_PRIMARY = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def server_bindir(conn: psycopg.Connection) -> Path:
    """The primary's own binaries (Debian keeps them per major version, off the PATH)."""
    major = conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()[0]
    debian = Path(f"/usr/lib/postgresql/{major}/bin")
    if (debian / "postgres").exists():
        return debian
    found = shutil.which("postgres") or shutil.which("pg_ctl")
    if not found:
        raise RuntimeError("no PostgreSQL server binaries (postgres, pg_basebackup) found")
    return Path(found).parent


class Replica:
    """A streaming replica of the server at `primary` (psycopg connection keywords)."""

    def __init__(self, primary: dict) -> None:
        self.primary = primary
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.folder = Path(tempfile.mkdtemp(prefix="sc-replica-"))
        self.data = self.folder / "data"
        self._user = pwd.getpwnam("postgres") if os.getuid() == 0 else None

    # -- connections ------------------------------------------------------------------------

    def connect(self, dbname: str, **kwargs) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=self.primary["user"],
            dbname=dbname,
            autocommit=True,
            connect_timeout=3,
            **kwargs,
        )

    def _primary(self) -> psycopg.Connection:
        return psycopg.connect(**self.primary, dbname="postgres", autocommit=True)

    def url(self, dbname: str) -> str:
        return f"postgres://{self.primary['user']}@127.0.0.1:{self.port}/{dbname}"

    # -- life cycle -------------------------------------------------------------------------

    def _run_as(self) -> dict:
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}

    def create(self) -> None:
        if self._user is not None:
            os.chown(self.folder, self._user.pw_uid, self._user.pw_gid)
        with self._primary() as conn:
            bindir = server_bindir(conn)
            minimums = {
                name: conn.execute(f"SHOW {name}").fetchone()[0] for name in AT_LEAST_PRIMARY
            }
        self.bindir = bindir
        subprocess.run(
            [
                str(bindir / "pg_basebackup"),
                f"--host={self.primary['host']}",
                f"--port={self.primary['port']}",
                f"--username={self.primary['user']}",
                f"--pgdata={self.data}",
                "--write-recovery-conf",  # standby.signal + primary_conninfo
                "--wal-method=stream",
                "--checkpoint=fast",
                "--no-sync",  # a throwaway copy
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
            **self._run_as(),
        )
        # The copy's configuration is ours (Debian keeps the primary's in /etc anyway).
        settings = {
            "port": self.port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.folder}'",
            "hot_standby": "on",
            "shared_buffers": "'32MB'",
            "fsync": "off",
            "hba_file": f"'{self.data / 'pg_hba.conf'}'",
            "ident_file": f"'{self.data / 'pg_ident.conf'}'",
            **minimums,
        }
        self._write("postgresql.conf", "".join(f"{k} = {v}\n" for k, v in settings.items()))
        self._write("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n")
        self._write("pg_ident.conf", "")

    def _write(self, name: str, text: str) -> None:
        path = self.data / name
        path.write_text(text)
        if self._user is not None:
            os.chown(path, self._user.pw_uid, self._user.pw_gid)

    def start(self, timeout: float = 600.0) -> None:
        """Until the replica accepts connections: after replaying to a consistent state, which
        on a loaded machine with a large cluster to copy took over a minute."""
        log = (self.folder / "replica.log").open("a")
        self.proc = subprocess.Popen(
            [str(self.bindir / "postgres"), "-D", str(self.data)],
            stdout=log,
            stderr=subprocess.STDOUT,
            **self._run_as(),
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the replica exited:\n{self.log()}")
            try:
                with self.connect("postgres") as conn:
                    assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        """A fast shutdown (SIGINT) of the replica's postmaster, by its process id."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGQUIT)  # immediate shutdown
            self.proc.wait()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        path = self.folder / "replica.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- replication ------------------------------------------------------------------------

    def pause_replay(self) -> None:
        with self.connect("postgres") as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        with self.connect("postgres") as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def wait_for_replay(self, timeout: float = 60.0) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        with self._primary() as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with self.connect("postgres") as conn:
            while True:
                behind = conn.execute(
                    "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()) > 0", [target]
                ).fetchone()[0]
                if not behind:
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the replica did not replay up to {target}")
                time.sleep(0.1)
