"""Failed admin sign-ins are limited per user name and per address (django-axes)."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "right-pass-word-1"


@pytest.fixture
def staff(settings):
    settings.AXES_FAILURE_LIMIT = 5
    return User.objects.create_user("editor", password=PASSWORD, is_staff=True)


def sign_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_brute_force_on_one_user_locks_it_even_for_the_right_password(staff):
    client = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(4):
        assert sign_in(client, "editor", "wrong").status_code == 200  # the form again
    locked = sign_in(client, "editor", "wrong")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Too many failed sign-ins" in text and "axes_reset_username" in text
    assert "15 minutes" in text
    # The right password does not get through while locked, from any address.
    assert sign_in(client, "editor", PASSWORD).status_code == 429
    assert sign_in(Client(REMOTE_ADDR="203.0.113.9"), "editor", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_address_trying_many_user_names_is_locked(staff):
    client = Client(REMOTE_ADDR="198.51.100.8")
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong")
    assert sign_in(client, "editor", PASSWORD).status_code == 429
    # Another address may still sign in as that user.
    other = Client(REMOTE_ADDR="203.0.113.10")
    assert sign_in(other, "editor", PASSWORD).status_code == 302


def test_the_documented_reset_command_lifts_the_lock(staff):
    client = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(5):
        sign_in(client, "editor", "wrong")
    assert sign_in(client, "editor", PASSWORD).status_code == 429
    call_command("axes_reset_username", "editor", verbosity=0)
    call_command("axes_reset_ip", "198.51.100.9", verbosity=0)
    assert sign_in(client, "editor", PASSWORD).status_code == 302


def test_a_success_clears_earlier_failures(staff):
    client = Client(REMOTE_ADDR="198.51.100.10")
    for _ in range(4):
        sign_in(client, "editor", "wrong")
    assert sign_in(client, "editor", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "editor", "wrong").status_code == 200


def guess_names(client: Client, forwarded_for: str) -> None:
    for n in range(5):
        client.post(
            LOGIN,
            {"username": f"guess{n}", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )


def test_behind_a_proxy_each_client_address_is_counted(staff, settings):
    settings.TRUSTED_PROXIES = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")  # every request arrives from the proxy
    # The left entry is the attacker's own claim; the proxy appended the real address.
    guess_names(proxy, "192.0.2.1, 203.0.113.5")
    locked = proxy.post(
        LOGIN,
        {"username": "editor", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5",
    )
    assert locked.status_code == 429
    # Another client through the same proxy is not locked out with the attacker.
    other = proxy.post(
        LOGIN, {"username": "editor", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.30"
    )
    assert other.status_code == 302


def test_without_a_proxy_the_header_is_ignored(staff, settings):
    settings.TRUSTED_PROXIES = 0
    client = Client(REMOTE_ADDR="198.51.100.11")
    guess_names(client, "203.0.113.6")
    # A made-up X-Forwarded-For does not get the same connection past its lock.
    again = client.post(
        LOGIN, {"username": "editor", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.99"
    )
    assert again.status_code == 429
