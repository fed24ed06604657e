"""Content-Security-Policy header (Django 5.2 has none built in).

Everything the pages load comes from this site: htmx is served by django-htmx from our static
files, styles from static/css. Inline scripts and styles are refused; htmx's own inline
indicator style is switched off in base.html (meta htmx-config includeIndicatorStyles=false).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

DEFAULT_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    # Style attributes only (the facet histogram's bar widths), never <style> elements or
    # scripts: an attribute cannot load anything or run code.
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy_header(policy: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = policy_header(getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_POLICY))
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", False)
        self.name = (
            "Content-Security-Policy-Report-Only" if report_only else "Content-Security-Policy"
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view that sets its own policy keeps it.
        response.headers.setdefault(self.name, self.header)
        return response
