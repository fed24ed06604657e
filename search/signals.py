"""Journal every article change in the transaction that makes it (search/indexing.py).

A rolled-back transaction takes its journal rows with it; a committed one always leaves
them, so the index catches up even if this process dies right after the commit.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from search.indexing import enqueue
from search.models import Article


def schedule_index(article_id: int) -> None:
    """Index this article once the current transaction commits (at once outside one)."""
    enqueue([article_id])


@receiver(post_save, sender=Article)
@receiver(post_delete, sender=Article)
def _article_changed(sender, instance: Article, **kwargs) -> None:
    enqueue([instance.pk])


@receiver(m2m_changed, sender=Article.cities.through)
@receiver(m2m_changed, sender=Article.organisations.through)
def _facets_changed(sender, instance, action: str, reverse: bool, pk_set, model, **kwargs) -> None:
    if reverse and action == "pre_clear":
        # city.articles.clear(): pk_set is None and, after the clear, the through rows are
        # gone; remember which articles lose this value before they go.
        instance._search_cleared_ids = list(instance.articles.values_list("pk", flat=True))
        return
    if not action.startswith("post_"):
        return
    if reverse:  # a City/Organisation's articles changed
        if action == "post_clear":
            enqueue(getattr(instance, "_search_cleared_ids", ()))
            instance._search_cleared_ids = []
        else:
            enqueue(pk_set or ())
    else:
        enqueue([instance.pk])
