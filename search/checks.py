"""System checks for settings that only production gets wrong."""

from django.conf import settings
from django.core.checks import Warning, register

DEFAULT_SITE_URL = "http://localhost:8000"


@register("links", deploy=True)
def site_url_is_set(app_configs, **kwargs):
    """Exports, feeds, alert mails and citation tags link to SITE_URL: left at its default,
    every one of those links points at localhost."""
    if getattr(settings, "SITE_URL", DEFAULT_SITE_URL).rstrip("/") == DEFAULT_SITE_URL:
        return [
            Warning(
                "SITE_URL is not set: exports, feeds, alert mails and citation tags will link "
                f"to {DEFAULT_SITE_URL}.",
                hint="Set the SITE_URL environment variable to the site's public address.",
                id="search.W001",
            )
        ]
    return []
