"""Keep the search index in step with the database, after each transaction commits.

A rolled-back transaction never reaches the index, and a failed index write loses no data:
`manage.py rebuild_index` recreates the index from the database.
"""

import logging
import threading

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from search.engines.base import get_backend
from search.models import Article

logger = logging.getLogger(__name__)
_pending = threading.local()


def _flush() -> None:
    ids = getattr(_pending, "ids", set())
    _pending.ids = set()
    if not ids:
        return
    try:
        get_backend().update(ids)
    except Exception:
        logger.exception("index update failed for articles %s; run rebuild_index", sorted(ids))


def schedule_index(article_id: int) -> None:
    """Index this article once the current transaction commits (at once outside one)."""
    if not hasattr(_pending, "ids"):
        _pending.ids = set()
    _pending.ids.add(article_id)
    transaction.on_commit(_flush)


@receiver(post_save, sender=Article)
@receiver(post_delete, sender=Article)
def _article_changed(sender, instance: Article, **kwargs) -> None:
    schedule_index(instance.pk)


@receiver(m2m_changed, sender=Article.cities.through)
@receiver(m2m_changed, sender=Article.organisations.through)
def _facets_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # a City/Organisation's articles changed
        for pk in pk_set or ():
            schedule_index(pk)
    else:
        schedule_index(instance.pk)
