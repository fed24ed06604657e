"""Email alerts end to end through a real SMTP server on loopback (aiosmtpd): subscribe,
confirm, an article is added, send_alerts, the digest arrives with it, unsubscribe."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import re
import socket
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone

from search.indexing import index_pending, pending_ids
from search.ingest import ingest
from search.models import AlertSubscription

pytestmark = pytest.mark.django_db

SITE = "http://testserver"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def body(self, n: int) -> str:
        return self.messages[n].get_body(preferencelist=("plain",)).get_content()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(settings):
    """A real SMTP server on a free loopback port, and Django's SMTP backend pointed at it."""
    box = Inbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "Smart City Search <alerts@example.org>"
    settings.SITE_URL = SITE
    yield box
    controller.stop()


def send_alerts() -> str:
    out = io.StringIO()
    call_command("send_alerts", stdout=out)
    return out.getvalue()


def add_article(title: str, text: str, capture) -> None:
    with capture(execute=True):
        ingest(
            f"{title}\n\n{text} This paragraph gives the cleaner enough words to keep "
            "the text as an article body.\n\nA second paragraph with more words follows.",
            fmt="text",
        )


def path_of(url: str) -> str:
    assert url.startswith(SITE + "/"), url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def links(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def test_subscribe_confirm_digest_unsubscribe(
    corpus, client, inbox, django_capture_on_commit_callbacks
):
    # Subscribe from the search page's link.
    page = client.get("/", {"q": "sensors"}).content.decode()
    assert 'href="/alerts/new/?q=sensors"' in page
    form = client.get("/alerts/new/", {"q": "sensors"})
    assert form.status_code == 200 and "sensors" in form.content.decode()
    response = client.post(
        "/alerts/new/?q=sensors", {"email": "Researcher@Example.org", "frequency": "daily"}
    )
    assert response.status_code == 200 and b"Check your email" in response.content
    assert len(inbox.messages) == 1
    # Asking again at once sends no second mail (the form cannot flood an inbox).
    again = client.post(
        "/alerts/new/?q=sensors", {"email": "researcher@example.org", "frequency": "daily"}
    )
    assert b"less than an hour ago" in again.content and len(inbox.messages) == 1
    confirm_mail = inbox.messages[0]
    assert confirm_mail["To"] == "researcher@example.org"
    confirm_url = next(u for u in links(inbox.body(0)) if "/alerts/confirm/" in u)

    # Nothing is sent before the address is confirmed.
    add_article(
        "Early sensors article",
        "Sensors before the confirmation.",
        django_capture_on_commit_callbacks,
    )
    send_alerts()
    assert len(inbox.messages) == 1

    # A forged or damaged confirmation link does nothing.
    assert client.get(path_of(confirm_url)[:-3] + "xx/").status_code == 400
    assert b"Alert confirmed" in client.get(path_of(confirm_url)).content
    sub = AlertSubscription.objects.get()
    assert sub.confirmed_at is not None and sub.frequency == "daily"

    # Articles added after the confirmation, one matching and one not.
    add_article(
        "Tianjin fits {smart} sensors & meters",
        "New sensors watch the water mains of Tianjin.",
        django_capture_on_commit_callbacks,
    )
    add_article(
        "Harbin opens an ice festival",
        "The festival of ice sculptures opened in Harbin.",
        django_capture_on_commit_callbacks,
    )
    send_alerts()
    assert len(inbox.messages) == 2
    digest, text = inbox.messages[1], inbox.body(1)
    assert digest["Subject"].startswith("1 new article: ")
    assert "Tianjin fits {smart} sensors & meters" in text
    assert "Harbin" not in text and "Early sensors article" not in text
    # Articles of the corpus (added before) are not news either.
    assert "Wuxi builds an IoT park" not in text
    unsubscribe = re.fullmatch(r"<(.+)>", digest["List-Unsubscribe"].strip())[1]
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text
    manage_url = next(u for u in links(text) if "/alerts/mine/" in u)

    # Running again sends nothing twice, even once the period has passed.
    send_alerts()
    AlertSubscription.objects.update(next_due=timezone.now() - dt.timedelta(minutes=1))
    send_alerts()
    assert len(inbox.messages) == 2

    # The page of one's subscriptions, reached from the digest.
    mine = client.get(path_of(manage_url)).content.decode()
    assert "researcher@example.org" in mine and "sensors" in mine and "Daily" in mine

    # One click (RFC 8058: a POST without a form or CSRF token) and it is gone.
    response = client.post(path_of(unsubscribe), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and b"Unsubscribed" in response.content
    assert not AlertSubscription.objects.exists()
    add_article("Later sensors article", "More sensors arrive.", django_capture_on_commit_callbacks)
    send_alerts()
    assert len(inbox.messages) == 2


def test_weekly_digest_waits_for_its_week(
    corpus, client, inbox, django_capture_on_commit_callbacks
):
    client.post("/alerts/new/?q=festival", {"email": "a@example.org", "frequency": "weekly"})
    confirm_url = next(u for u in links(inbox.body(0)) if "/alerts/confirm/" in u)
    client.get(path_of(confirm_url))
    add_article(
        "Harbin opens an ice festival", "The festival opened.", django_capture_on_commit_callbacks
    )
    send_alerts()
    assert len(inbox.messages) == 2  # the first digest after confirming
    add_article(
        "Second ice festival", "Another festival opened.", django_capture_on_commit_callbacks
    )
    send_alerts()
    assert len(inbox.messages) == 2  # not a week yet
    sub = AlertSubscription.objects.get()
    assert sub.next_due - sub.window_start == dt.timedelta(days=7)
    AlertSubscription.objects.update(next_due=timezone.now())
    send_alerts()
    assert len(inbox.messages) == 3 and "Second ice festival" in inbox.body(2)
    assert "Harbin opens" not in inbox.body(2)


def test_bad_email_is_a_form_error_and_sends_nothing(corpus, client, inbox):
    response = client.post("/alerts/new/?q=x", {"email": "not-an-address", "frequency": "daily"})
    assert response.status_code == 400 and b"email" in response.content.lower()
    response = client.post("/alerts/new/?q=x", {"email": "a@example.org", "frequency": "hourly"})
    assert response.status_code == 400
    assert inbox.messages == [] and not AlertSubscription.objects.exists()
    assert client.get("/alerts/unsubscribe/forged-token/").status_code == 400
    assert client.get("/alerts/mine/forged-token/").status_code == 400


def test_an_article_the_indexer_has_not_reached_goes_into_the_next_digest(
    corpus, client, inbox, settings, django_capture_on_commit_callbacks
):
    """The digest's search reads the index: an article saved but not yet indexed when
    send_alerts runs is not lost when the window moves on; it comes in the next digest."""
    client.post("/alerts/new/?q=festival", {"email": "a@example.org", "frequency": "daily"})
    client.get(path_of(next(u for u in links(inbox.body(0)) if "/alerts/confirm/" in u)))
    settings.SEARCH_INDEXER = "worker"  # saving only journals; the indexer has not run yet
    add_article(
        "Harbin opens an ice festival", "The festival opened.", django_capture_on_commit_callbacks
    )
    assert pending_ids()
    send_alerts()
    assert len(inbox.messages) == 1  # nothing in the index to send yet
    index_pending()
    AlertSubscription.objects.update(next_due=timezone.now())
    send_alerts()
    assert len(inbox.messages) == 2 and "Harbin opens an ice festival" in inbox.body(1)
    # Once sent, never again.
    AlertSubscription.objects.update(next_due=timezone.now())
    send_alerts()
    assert len(inbox.messages) == 2
