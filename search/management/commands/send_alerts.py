"""Mail the due email-alert digests (run it from cron or a systemd timer)."""

from django.core.management.base import BaseCommand

from search import alerts


class Command(BaseCommand):
    help = (
        "Send every due email-alert digest: for each confirmed subscription whose daily or "
        "weekly period has come, the articles added since its last digest that match its "
        "search. Safe to run as often as you like (e.g. hourly from cron: "
        "`0 * * * * cd /srv/smartcity && .venv/bin/python manage.py send_alerts`): a digest "
        "is sent once per period and an article once per subscription; running it twice "
        "sends nothing twice. Mail settings come from the environment (EMAIL_HOST, "
        "EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, DEFAULT_FROM_EMAIL)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--frequency",
            choices=["daily", "weekly"],
            help="Only subscriptions of this frequency (default: both).",
        )

    def handle(self, *args, frequency=None, **options):
        counts = alerts.send_due(frequency=frequency)
        self.stdout.write(
            f"{counts['sent']} digest(s) sent, {counts['nothing_new']} with nothing new, "
            f"{counts['failed']} failed (they stay due for the next run)."
        )
        if counts["failed"]:
            raise SystemExit(1)
