"""Email alerts: follow a search by email.

Subscribing creates an unconfirmed subscription and mails a signed confirmation link (double
opt-in); nothing else is ever sent to an address that has not confirmed. `manage.py
send_alerts` mails each due subscription a digest of the articles added to the archive
since its last digest (Article.created, not the publication date) that match its search;
a digest's window stops before the first added article the search index does not hold yet.
Every mail carries a signed one-click unsubscribe link (also as List-Unsubscribe) and a
link to the page listing the address's subscriptions. Tokens are django.core.signing
values: no secret is stored, and SECRET_KEY signs them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from search.engines.base import SearchQuery, get_backend
from search.export import site_url
from search.feeds import describe
from search.forms import SearchForm
from search.indexing import earliest_unindexed
from search.links import query_params, search_url
from search.models import AlertSubscription, Article

log = logging.getLogger(__name__)

CONFIRM_SALT = "search.alerts.confirm"
UNSUBSCRIBE_SALT = "search.alerts.unsubscribe"
MANAGE_SALT = "search.alerts.manage"
CONFIRM_MAX_AGE = dt.timedelta(days=7)
# A form anyone can post must not become a way to flood someone's inbox.
RESEND_AFTER = dt.timedelta(hours=1)
PERIOD = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}
# A run started a little early (cron jitter, a slow previous run) still counts as due.
SLACK = dt.timedelta(hours=1)
DIGEST_MAX = 50  # articles listed in one mail; the rest are a link away


def stored_query(query: SearchQuery) -> str:
    """What a subscription keeps of a search: its words, filters and year range."""
    plain = replace(query, page=1, per_page=SearchQuery().per_page, sort="relevance")
    return query_params(plain).urlencode()


def query_of(subscription: AlertSubscription) -> SearchQuery:
    return SearchForm(QueryDict(subscription.query)).to_query()


# -- signed links -------------------------------------------------------------------------


def confirm_token(sub: AlertSubscription) -> str:
    return signing.dumps({"id": sub.pk, "email": sub.email}, salt=CONFIRM_SALT)


def unsubscribe_token(sub: AlertSubscription) -> str:
    return signing.dumps({"id": sub.pk, "email": sub.email}, salt=UNSUBSCRIBE_SALT)


def manage_token(email: str) -> str:
    return signing.dumps(email.lower(), salt=MANAGE_SALT)


def read_token(token: str, salt: str, max_age: dt.timedelta | None = None):
    """The signed value, or None when the token is forged, damaged or too old."""
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None


def subscription_for(token: str, salt: str, max_age=None) -> AlertSubscription | None:
    value = read_token(token, salt, max_age)
    if not isinstance(value, dict):
        return None
    return AlertSubscription.objects.filter(pk=value.get("id"), email=value.get("email")).first()


def absolute(path: str) -> str:
    return site_url() + path


def absolute_manage_url(email: str) -> str:
    return absolute(reverse("search:alert-manage", args=[manage_token(email)]))


def links(sub: AlertSubscription) -> dict:
    token = unsubscribe_token(sub)
    return {
        "unsubscribe_url": absolute(reverse("search:alert-unsubscribe", args=[token])),
        "manage_url": absolute_manage_url(sub.email),
        "search_url": absolute(search_url(query_of(sub))),
    }


def _message(sub: AlertSubscription, subject: str, template: str, context: dict) -> EmailMessage:
    urls = links(sub)
    body = render_to_string(
        template, {"sub": sub, "search": describe(query_of(sub)), **urls, **context}
    )
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[sub.email],
        headers={
            # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs here.
            "List-Unsubscribe": f"<{urls['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


# -- subscribing --------------------------------------------------------------------------


def subscribe(email: str, query: SearchQuery, frequency: str) -> tuple[AlertSubscription, bool]:
    """The subscription (created if new) and whether a confirmation mail went out: none to
    a confirmed subscription, and at most one an hour to an unconfirmed one."""
    sub, _ = AlertSubscription.objects.get_or_create(
        email=email.strip().lower(), query=stored_query(query), frequency=frequency
    )
    now = timezone.now()
    if sub.confirmed_at is not None:
        return sub, False
    if sub.confirmation_sent_at and now - sub.confirmation_sent_at < RESEND_AFTER:
        return sub, False
    confirm_url = absolute(reverse("search:alert-confirm", args=[confirm_token(sub)]))
    message = _message(
        sub,
        f"Confirm your Smart City Search alert: {describe(query)}"[:150],
        "search/alerts/confirm_email.txt",
        {"confirm_url": confirm_url, "days": CONFIRM_MAX_AGE.days},
    )
    message.send()
    sub.confirmation_sent_at = now
    sub.save(update_fields=["confirmation_sent_at"])
    return sub, True


def confirm(sub: AlertSubscription, now: dt.datetime | None = None) -> bool:
    """Confirm; the first digest holds articles added from now on. False if already done."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = AlertSubscription.objects.filter(pk=sub.pk, confirmed_at__isnull=True).update(
            confirmed_at=now, window_start=now, next_due=now
        )
    sub.refresh_from_db()
    return bool(updated)


# -- digests ------------------------------------------------------------------------------


@dataclass
class Digest:
    articles: list[Article]
    total: int


def window_end(since: dt.datetime, now: dt.datetime) -> dt.datetime:
    """Where a digest's window may end: now, or earlier when an article added since the
    window's start is not in the search index yet (the indexer has not reached it). Its
    window ends just before that article, which then goes into the next digest instead of
    into none: the search that makes a digest reads the index, not the database."""
    unindexed = earliest_unindexed(since)
    return now if unindexed is None else min(now, unindexed)


def new_matches(query: SearchQuery, since: dt.datetime, until: dt.datetime) -> Digest:
    """Articles matching the query that were added in [since, until), newest first.

    The engine lists matches by the order they were added (sort="added", one run per
    batch); batches grow until the oldest id read was added before `since`.
    """
    backend = get_backend()
    added = replace(query, sort="added")
    limit = DIGEST_MAX * 2
    while True:
        matched = backend.all_ids(added, limit=limit)
        ids = list(matched.ids)
        window = Article.objects.filter(id__in=ids, created__gte=since, created__lt=until)
        if len(ids) < limit or len(ids) >= matched.total:
            break
        oldest = Article.objects.filter(id=ids[-1]).values_list("created", flat=True).first()
        if oldest is None or oldest < since:
            break
        limit *= 4
    total = window.count()
    rows = window.prefetch_related("cities", "organisations").defer("raw_content", "body")
    articles = sorted(rows, key=lambda a: (a.created, a.id), reverse=True)[:DIGEST_MAX]
    return Digest(articles, total)


def due(now: dt.datetime, frequency: str | None = None):
    subs = AlertSubscription.objects.filter(confirmed_at__isnull=False, next_due__lte=now + SLACK)
    if frequency:
        subs = subs.filter(frequency=frequency)
    return subs.order_by("next_due", "pk")


def send_digest(sub_id: int, now: dt.datetime) -> bool | None:
    """Send one subscription's digest if it is still due; True when a mail went out, False
    when there was nothing new, None when it was not due (another run took it).

    The subscription row is locked while its mail is sent and its window moved, so two runs
    at once cannot both send it; a failed send leaves the window where it was.
    """
    with transaction.atomic():
        sub = (
            AlertSubscription.objects.select_for_update()
            .filter(pk=sub_id, confirmed_at__isnull=False, next_due__lte=now + SLACK)
            .first()
        )
        if sub is None:
            return None
        since = sub.window_start or sub.confirmed_at
        until = window_end(since, now)
        digest = new_matches(query_of(sub), since, until)
        sent = False
        if digest.articles:
            n = digest.total
            subject = f"{n} new article{'s' if n != 1 else ''}: {describe(query_of(sub))}"
            items = [
                {
                    "article": a,
                    "url": absolute(a.get_absolute_url()),
                    "cities": ", ".join(c.name for c in a.cities.all()),
                    "organisations": ", ".join(o.name for o in a.organisations.all()),
                }
                for a in digest.articles
            ]
            message = _message(
                sub,
                subject[:150],
                "search/alerts/digest_email.txt",
                {"items": items, "total": n, "more": n - len(items), "since": since},
            )
            message.send()
            sub.last_sent_at = now
            sent = True
        sub.window_start = until
        sub.next_due = now + PERIOD[sub.frequency]
        sub.save(update_fields=["window_start", "next_due", "last_sent_at"])
    return sent


def send_due(now: dt.datetime | None = None, frequency: str | None = None) -> dict[str, int]:
    """Send every due digest; counts of mails sent, subscriptions with nothing new, failures."""
    now = now or timezone.now()
    counts = {"sent": 0, "nothing_new": 0, "failed": 0}
    for sub_id in list(due(now, frequency).values_list("pk", flat=True)):
        try:
            result = send_digest(sub_id, now)
        except Exception:  # noqa: BLE001 - one bad address or a mail server hiccup
            log.exception("alert digest %s failed; it stays due", sub_id)
            counts["failed"] += 1
            continue
        if result is True:
            counts["sent"] += 1
        elif result is False:
            counts["nothing_new"] += 1
    return counts
