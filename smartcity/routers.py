"""Primary and read replicas.

Every write, every migration and every ordinary ORM read go to the primary ("default"), so
an admin always sees what it just saved. Search queries, which tolerate a replica being a
moment behind, are sent to a replica by the PostgreSQL engine through `search_database()`.
"""

from __future__ import annotations

import random

from django.conf import settings


def search_database() -> str:
    """The database alias for one search: a random replica, or the primary when none."""
    replicas = getattr(settings, "SEARCH_REPLICAS", [])
    return random.choice(replicas) if replicas else "default"


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
