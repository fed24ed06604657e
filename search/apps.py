from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Smart City Search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from search import checks, signals  # noqa: F401  (registers checks, connects index updates)
