"""Primary and read replicas.

Every write, every migration and every ordinary ORM read go to the primary ("default"), so
an admin always sees what it just saved. Search queries, which tolerate a replica being a
moment behind, are sent to a replica by the PostgreSQL engine through `search_database()`.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

# A replica that did not answer is left alone this long before it is tried again, so that a
# stopped replica costs one failed connection now and then, not one per search.
RETRY_SECONDS = 5.0
_down: dict[str, float] = {}
_lock = threading.Lock()


def search_database() -> str:
    """The database alias for one search: a random replica that answers, else the primary."""
    now = time.monotonic()
    with _lock:
        replicas = [a for a in getattr(settings, "SEARCH_REPLICAS", []) if _down.get(a, 0) <= now]
    random.shuffle(replicas)
    for alias in replicas:
        if _answers(alias):
            return alias
        with _lock:
            _down[alias] = now + RETRY_SECONDS
        logger.warning("replica %r does not answer; searching the primary meanwhile", alias)
    return "default"


def _answers(alias: str) -> bool:
    """Whether the replica's connection works (opening one when needed). A connection that
    was open when the replica stopped is found dead here and closed, before a search uses it."""
    connection = connections[alias]
    try:
        if connection.connection is not None and connection.is_usable():
            return True
        connection.close()
        connection.ensure_connection()
        return True
    except DatabaseError:
        with contextlib.suppress(DatabaseError):
            connection.close()
        return False


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Replicas hold the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas get their schema by replication, never by migrate.
        return db == "default"
