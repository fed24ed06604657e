"""Whoosh's index writer, waiting a bounded time for its lock instead of failing at once.

Whoosh allows one writer per index (a file lock). Which article ids still need writing is
kept in the database journal (search/indexing.py), not here: a writer that gives up waiting
leaves its ids there for the next one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from contextlib import contextmanager

from whoosh.index import LockError

logger = logging.getLogger(__name__)
WAIT_SECONDS = 120.0
# Threads of one process queue here before the file lock, one queue per index directory
# (a rebuild writing a fresh directory does not hold up updates of the live one).
_thread_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)


@contextmanager
def index_writer(ix, wait: float = WAIT_SECONDS, **kwargs):
    """Whoosh's writer, waiting up to `wait` seconds for the lock (LockError after that)."""
    start = time.monotonic()
    deadline = start + wait
    thread_lock = _thread_locks[str(ix.storage.folder)]
    if not thread_lock.acquire(timeout=max(wait, 0.001)):
        raise LockError(f"the index is busy: no lock within {wait:g} s")
    try:
        while True:
            try:
                writer = ix.writer(**kwargs)
                break
            except LockError:
                if time.monotonic() > deadline:
                    raise LockError(f"the index is busy: no lock within {wait:g} s") from None
                time.sleep(0.02)
        waited = time.monotonic() - start
        if waited > 0.01:
            # Operators (and `python -m bench writes`) read how long writers queued here.
            logger.info("waited %.3f s for the index lock", waited)
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        else:
            writer.commit()
    finally:
        thread_lock.release()
