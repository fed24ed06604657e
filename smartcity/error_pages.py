"""The project's own 400, 404 and 500 pages (styled, with the search box and a way back)."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


def not_found(request: HttpRequest, exception: Exception | None = None, **context) -> HttpResponse:
    return render(request, "404.html", context, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # Like Django's own: no request context, so a broken context processor or database
    # cannot turn the error page into a second error.
    return HttpResponseServerError(loader.get_template("500.html").render())


OVERSIZED = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


class OversizedRequestMiddleware:
    """An oversized or over-long form gets the 400 page, with DEBUG on too.

    Django answers these with its debug page under DEBUG (so `make run` showed a traceback
    for a large paste); reading the form here, before CSRF and the view do, catches it first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                request.POST  # noqa: B018  (parses the body under Django's limits)
            except OVERSIZED as exc:
                return bad_request(request, exc)
        return self.get_response(request)
