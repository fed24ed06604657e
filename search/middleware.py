"""Request guards that apply to every view: control characters in parameters, API errors,
an index that cannot be searched (a 503 that names the cause, never an empty page).

Each view validates its own parameters with a form; what is refused here is refused for
every view at once, so a new endpoint cannot forget it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.template.loader import render_to_string
from django.template.response import TemplateResponse

from search.engines.base import IndexUnavailable

log = logging.getLogger(__name__)

# C0 and C1 controls and DEL, except tab, line feed and carriage return (a pasted line break
# in the search box is a space to the parser, not an attack). NUL breaks PostgreSQL text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
API_PREFIX = "/api/"
DATABASE_DOWN = "The archive's database is unavailable; try again soon."


def control_character_reason(request: HttpRequest) -> str | None:
    """Why the request's path or query parameters are refused, or None."""
    if CONTROL.search(request.path):
        return "The address contains a control character."
    for name, values in request.GET.lists():
        for text in (name, *values):
            if CONTROL.search(text):
                shown = CONTROL.sub("\N{REPLACEMENT CHARACTER}", name)[:40]
                return f"The parameter “{shown}” contains a control character (such as NUL)."
    return None


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": message, "status": status, **extra}, status=status)


class RejectControlCharactersMiddleware:
    """A 400 with the reason for any query parameter (name or value) holding a control
    character: the search page, the API, exports and feeds all see the same rule."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reason = control_character_reason(request)
        if reason is None:
            return self.get_response(request)
        if is_api(request):
            return json_error(reason, 400)
        html = render_to_string("400.html", {"reason": reason}, request=request)
        return HttpResponse(html, status=400)


class ApiJsonErrorsMiddleware:
    """The API answers JSON on every error: 400/404/405 from the views or URL resolver, 503
    while the database is unreachable, 500 for anything else (logged with its traceback)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            is_api(request)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            converted = json_error(response.reason_phrase, response.status_code)
            for header in ("Allow", "Retry-After"):
                if header in response:
                    converted[header] = response[header]
            return converted
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_api(request):
            return None
        if isinstance(exc, Http404):
            return json_error("Not found", 404)
        if isinstance(exc, PermissionDenied):
            return json_error("Forbidden", 403)
        if isinstance(exc, OperationalError | InterfaceError) or _is_outage(exc):
            log.error("API: database unavailable: %s", exc)
            response = json_error(DATABASE_DOWN, 503)
            response["Retry-After"] = "30"
            return response
        log.exception("API: unhandled error")
        return json_error("Internal error", 500)


def _is_outage(exc: Exception) -> bool:
    """A database error whose cause is the connection (psycopg raises these as DatabaseError
    subclasses that Django maps to OperationalError; this catches the unmapped rest)."""
    cause = exc.__cause__
    return isinstance(exc, DatabaseError) and cause is not None and "connect" in str(cause).lower()


class CompressPublicPagesMiddleware(GZipMiddleware):
    """gzip for responses that carry no CSRF token.

    BREACH recovers a secret from a compressed page's size when the page also reflects text
    the attacker chooses: the search pages reflect the query but carry no token (they are GET
    forms), while the admin's pages carry one. Those stay uncompressed, whatever mitigation
    GZipMiddleware itself adds. Static files come compressed from whitenoise.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        # CsrfViewMiddleware (re)sends its cookie whenever the response used the token.
        if settings.CSRF_COOKIE_NAME in response.cookies:
            return response
        return super().process_response(request, response)


class IndexUnavailableMiddleware:
    """A search index or a database that cannot be read is a 503 naming the cause (the API's
    own JSON 503 comes from ApiJsonErrorsMiddleware), never a 500: nothing is broken that
    retrying later will not mend."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, IndexUnavailable):
            log.error("search index unavailable: %s", exc)
            message = (
                f"Search is unavailable: {exc}. Nothing is lost: the articles are in the database."
            )
        elif isinstance(exc, OperationalError | InterfaceError) or _is_outage(exc):
            log.error("database unavailable: %s", exc)
            message = DATABASE_DOWN
        else:
            return None
        if is_api(request):
            response = json_error(message, 503)
        else:
            response = TemplateResponse(
                request, "search/unavailable.html", {"message": message}, status=503
            )
        response["Retry-After"] = "60"
        return response
