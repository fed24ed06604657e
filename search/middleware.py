"""An index that cannot be searched is a 503 that names the cause, never an empty page."""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.template.response import TemplateResponse

from search.engines.base import IndexUnavailable

logger = logging.getLogger(__name__)


class IndexUnavailableMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, IndexUnavailable):
            return None
        logger.error("search index unavailable: %s", exception)
        message = f"Search is unavailable: {exception}. Nothing is lost: the articles are in the database."
        if request.path.startswith("/api/"):
            return JsonResponse({"error": message}, status=503, headers={"Retry-After": "60"})
        response = TemplateResponse(
            request, "search/unavailable.html", {"message": message}, status=503
        )
        response["Retry-After"] = "60"
        return response
