"""Production settings: check --deploy, security headers, and a CSP the htmx page passes."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from smartcity.routers import PrimaryReplicaRouter, search_database
from tests.conftest import ROOT


def _production_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "DJANGO_", "DEBUG", "SECRET_KEY"))
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="search.example.org",
        **{"SITE_URL": "https://search.example.org", **extra},
    )
    return env


def _check_deploy(**extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(**extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_site_url_is_left_at_localhost():
    result = _check_deploy(SITE_URL="http://localhost:8000")
    assert result.returncode != 0 and "search.W001" in result.stdout + result.stderr


def test_check_deploy_notices_when_production_protections_are_switched_off():
    result = _check_deploy(SECURE_COOKIES="0", SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "SESSION_COOKIE_SECURE" in result.stderr + result.stdout
    assert "SECURE_HSTS_SECONDS" in result.stderr + result.stdout


def test_production_settings_values():
    code = (
        "from django.conf import settings as s; import django; django.setup();"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.STORAGES['staticfiles']['BACKEND'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_production_env(DJANGO_SETTINGS_MODULE="smartcity.settings"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [
        "True",
        "True",
        "True",
        "31536000",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    response = client.get("/", {"q": "smart"}, secure=True)
    assert response.status_code == 200
    csp = dict(
        d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";")
    )
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # The JSON API gets the same policy.
    assert "Content-Security-Policy" in client.get("/api/search", secure=True).headers


def test_without_replicas_searches_and_everything_else_go_to_the_primary(settings):
    # With replicas, searches go to them: tests/postgres/test_replica.py, on a real one.
    router = PrimaryReplicaRouter()
    settings.SEARCH_REPLICAS = []
    assert search_database() == "default"
    assert router.db_for_read(None) == router.db_for_write(None) == "default"
    assert router.allow_migrate("default", "search") and not router.allow_migrate(
        "replica1", "search"
    )


def test_replica_urls_become_databases():
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(sorted(s.DATABASES), s.SEARCH_REPLICAS, s.DATABASES['replica2']['HOST'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_production_env(
            DJANGO_SETTINGS_MODULE="smartcity.settings",
            DATABASE_URL="postgres://app@primary/smartcity",
            DATABASE_REPLICA_URLS="postgres://app@r1/smartcity, postgres://app@r2/smartcity",
        ),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "['default', 'replica1', 'replica2'] ['replica1', 'replica2'] r2"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_htmx_page_works_under_the_csp_in_chromium(live_server, seeded_for_browser):
    from playwright.sync_api import sync_playwright

    violations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda m: (
                    violations.append(m.text) if "Content Security Policy" in m.text else None
                ),
            )
            page.add_init_script(
                "document.addEventListener('securitypolicyviolation',"
                " e => console.error('Content Security Policy: ' + e.violatedDirective))"
            )
            response = page.goto(f"{live_server.url}/")
            assert "script-src 'self'" in response.headers["content-security-policy"]
            assert page.evaluate("typeof htmx") == "object"
            page.fill("#q", "Yinchuan")
            page.press("#q", "Enter")
            page.wait_for_url("**/?q=Yinchuan*")
            page.wait_for_selector("#region mark")
            assert page.locator("#result-count").inner_text().startswith("1 article")
            # htmx swapped the results in place: still the one original form.
            assert page.locator("form#search-form").count() == 1
            assert page.evaluate("document.documentElement.classList.contains('js')")
        finally:
            browser.close()
    assert violations == []


@pytest.fixture
def seeded_for_browser(transactional_db, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    from tests.conftest import SEEDS

    call_command("import_articles", str(SEEDS), verbosity=0)
    call_command("rebuild_index", verbosity=0)
    assert django_settings.SEARCH_BACKEND == "whoosh"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_pages_work_under_the_csp_in_chromium(live_server, seeded_for_browser):
    from django.contrib.auth import get_user_model
    from playwright.sync_api import sync_playwright

    from search.models import Article

    get_user_model().objects.create_superuser("csp", "csp@example.org", "csp-pass-word-1")
    article = Article.objects.first()
    violations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.add_init_script(
                "document.addEventListener('securitypolicyviolation',"
                " e => console.error('CSP violation: ' + e.violatedDirective + ' '"
                " + e.blockedURI + ' ' + (e.sample || '')))"
            )
            page.on(
                "console",
                lambda m: violations.append(page.url + " " + m.text) if "CSP" in m.text else None,
            )
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("#id_username", "csp")
            page.fill("#id_password", "csp-pass-word-1")
            page.click("input[type=submit]")
            page.wait_for_url("**/admin/")
            for path in (
                "/admin/search/article/",
                "/admin/search/article/add/",
                f"/admin/search/article/{article.pk}/change/",
                "/admin/search/city/",
            ):
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("networkidle")
        finally:
            browser.close()
    assert violations == []
