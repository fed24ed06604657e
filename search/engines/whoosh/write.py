"""Writing the Whoosh index without losing an update when several writers meet.

Whoosh allows one writer per index (a file lock). A writer that finds the lock taken waits
and retries. Every update first appends its article ids to a journal file beside the
index; whoever holds the lock applies its own ids plus every id in the journal, then
empties it. An update that gives up waiting therefore still reaches the index with the next
writer, and a rebuild replays the ids journalled while it was reading the database.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from whoosh import index
from whoosh.index import LockError

WAIT_SECONDS = 120.0
# Threads of one process queue here before the file lock, one queue per index directory
# (a rebuild writing a fresh directory does not hold up updates of the live one).
_thread_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)


def journal_path(index_dir: Path) -> Path:
    # Beside the index directory, so that a rebuild swapping the directory keeps it.
    return index_dir.parent / f"{index_dir.name}.pending"


def rebuild_marker(index_dir: Path) -> Path:
    return index_dir.parent / f"{index_dir.name}.rebuilding"


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="ascii") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield fh
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def create_if_missing(index_dir: Path, schema) -> None:
    """Create an empty index unless one exists; writers that start together on a fresh
    directory would otherwise each create one and trip over each other's files."""
    if index.exists_in(index_dir):
        return
    with _locked(index_dir.parent / f"{index_dir.name}.create"):
        if not index.exists_in(index_dir):
            index_dir.mkdir(parents=True, exist_ok=True)
            index.create_in(index_dir, schema)


def journal(index_dir: Path, ids) -> None:
    """Record ids to index (in the rebuild journal too while a rebuild runs)."""
    lines = "".join(f"{int(i)}\n" for i in ids)
    targets = [journal_path(index_dir)]
    marker = rebuild_marker(index_dir)
    if marker.exists():
        targets.append(marker)
    for target in targets:
        with _locked(target) as fh:
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())


def drain(path: Path) -> set[int]:
    """Take every id in a journal file and empty it."""
    if not path.exists():
        return set()
    with _locked(path) as fh:
        fh.seek(0)
        ids = {int(line) for line in fh.read().split() if line.strip().isdigit()}
        fh.truncate(0)
    return ids


@contextmanager
def index_writer(ix, wait: float = WAIT_SECONDS, **kwargs):
    """Whoosh's writer, waiting for the lock instead of failing at once."""
    deadline = time.monotonic() + wait
    with _thread_locks[str(ix.storage.folder)]:
        while True:
            try:
                writer = ix.writer(**kwargs)
                break
            except LockError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        else:
            writer.commit()
