"""The archive: articles and the facet values they are tagged with.

The database is the source of truth; the search index is derived from these rows.
"""

from django.db import models
from django.urls import reverse
from django.utils.text import slugify


class FacetValue(models.Model):
    """A canonical facet value (a city or an organisation) with its other spellings."""

    name = models.CharField(max_length=255, unique=True)
    aliases = models.TextField(
        blank=True, help_text="Other spellings and acronyms, one per line (e.g. CETC, Lyuliang)."
    )

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]


class City(FacetValue):
    class Meta(FacetValue.Meta):
        verbose_name_plural = "cities"


class Organisation(FacetValue):
    pass


class Article(models.Model):
    class Format(models.TextChoices):
        TEXT = "text", "Plain text"
        HTML = "html", "HTML"

    title = models.CharField(max_length=500)
    slug = models.SlugField(max_length=200, allow_unicode=True, blank=True)
    source_name = models.CharField("source", max_length=255, blank=True)
    source_url = models.URLField("source URL", max_length=2000, blank=True)
    published_date = models.DateField(null=True, blank=True)
    # ISO 639-1, or zh-Hans / zh-Hant; blank when it could not be told.
    language = models.CharField(max_length=16, blank=True, db_index=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    raw_content = models.TextField()
    raw_format = models.CharField(max_length=4, choices=Format.choices, default=Format.TEXT)
    body = models.TextField(help_text="The cleaned article text: what is shown and indexed.")
    content_hash = models.CharField(max_length=64, unique=True, editable=False)
    cities = models.ManyToManyField(City, blank=True, related_name="articles")
    organisations = models.ManyToManyField(Organisation, blank=True, related_name="articles")
    facets_manual = models.BooleanField(
        "facets set by hand",
        default=False,
        help_text="An admin has set the facets; re-extraction leaves them alone.",
    )
    is_synthetic = models.BooleanField(
        default=False, help_text="Generated for benchmarks, not a real article."
    )
    # Syndicated copies (search/copies.py): the story's group, and whether this article is
    # the one shown for it. Articles that are nobody's copy have no group and represent
    # themselves.
    copy_group = models.ForeignKey(
        "CopyGroup", null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    is_representative = models.BooleanField(default=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_date", "-id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.title, allow_unicode=True)[:200] or "article"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("search:article", kwargs={"pk": self.pk, "slug": self.slug or "article"})


class CopyGroup(models.Model):
    """One story published in several places: its articles are copies of each other.

    Articles that are nobody's copy have no group. Derived from the bodies (search/copies.py,
    `manage.py rebuild_duplicates`) and from admins' CopyDecisions, which win.
    """

    representative = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    size = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        title = self.representative.title if self.representative else "?"
        return f"{title} ({self.size} copies)"


class CopyBand(models.Model):
    """One LSH band key of an article's fingerprint: articles sharing keys are candidates.

    In the database, not in process memory, so every server and worker that ingests sees the
    same candidates, and the table follows the articles through backups and replicas.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="copy_bands")
    key = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "key"], name="copy_band_article_key")
        ]

    def __str__(self) -> str:
        return f"#{self.article_id}: {self.key}"


class CopyDecision(models.Model):
    """An admin's word on copies; rebuilds and re-extraction apply it over what the
    fingerprints say. SEPARATE: this article is nobody's copy. TOGETHER: these two articles
    are the same story."""

    class Kind(models.TextChoices):
        SEPARATE = "separate", "kept apart from every other article"
        TOGETHER = "together", "same story as"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="copy_decisions")
    other = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    decided_by = models.CharField(max_length=150, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        if self.kind == self.Kind.TOGETHER:
            return f"#{self.article_id} same story as #{self.other_id}"
        return f"#{self.article_id} kept apart"


class AlertSubscription(models.Model):
    """A search someone follows by email: confirmed by a signed link, then digests of the
    articles added since the last one (by Article.created)."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    email = models.EmailField(db_index=True)
    # The search's canonical query string (links.query_params, without page/sort/per_page).
    query = models.CharField(max_length=2000, blank=True)
    frequency = models.CharField(max_length=6, choices=Frequency.choices, default="weekly")
    created = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    # Articles added after this go into the next digest; it moves to the start of each run.
    window_start = models.DateTimeField(null=True, blank=True)
    next_due = models.DateTimeField(null=True, blank=True, db_index=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email", "query", "frequency"], name="one_alert_per_search_and_frequency"
            )
        ]
        ordering = ["email", "query"]

    def __str__(self) -> str:
        return f"{self.email}: {self.query or 'all articles'} ({self.frequency})"
