"""The archive: articles and the facet values they are tagged with.

The database is the source of truth; the search index is derived from these rows.
"""

from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from search.slugs import SLUG_MAX, unique_slug


class FacetValue(models.Model):
    """A canonical facet value (a city or an organisation) with its other spellings."""

    name = models.CharField(max_length=255, unique=True)
    aliases = models.TextField(
        blank=True, help_text="Other spellings and acronyms, one per line (e.g. CETC, Lyuliang)."
    )
    # The page's URL segment, made from the name. A rename makes a new one and keeps the old
    # one as a RetiredSlug, so links already shared still lead here.
    slug = models.SlugField(
        max_length=SLUG_MAX + 8, unique=True, allow_unicode=True, editable=False
    )

    kind = ""  # "city" or "organisation": the entity page's URL name and RetiredSlug.kind

    # Shown beside the name in facet lists and on the entity page ("Shenzhen 深圳"); a
    # Chinese name that texts use also goes into the aliases, which extraction matches.
    name_zh = models.CharField(
        "Chinese name",
        max_length=255,
        blank=True,
        help_text="Shown beside the name, e.g. 深圳 for Shenzhen.",
    )
    blocked = models.BooleanField(
        "blocked: never extracted",
        default=False,
        help_text="Extraction never tags an article with this name (or its aliases): e.g. a "
        "word that reads as a city but is not one. Re-extract to apply it to saved articles.",
    )
    # Lets ingest tell cheaply whether the names changed since it built its gazetteer.
    updated = models.DateTimeField(auto_now=True, null=True)
    # A row a person made or edited (the admin, a merge): only these, beside the built-in
    # data, make the gazetteer. Rows extraction creates in bulk for the names it found in
    # one article stay False: looked up in every other article, they would make facets depend
    # on the order articles were read and change what the next re-extraction reads.
    curated = models.BooleanField(default=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Only people save one row at a time (the admin's form, a merge); extraction and the
        # corpus generator create rows in bulk. Saving makes the row part of the gazetteer.
        self.curated = True
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "curated"}
        old = None
        if self.pk is not None:
            old = type(self).objects.filter(pk=self.pk).values_list("name", "slug").first()
        if not self.slug or (old and old[0] != self.name):
            self.slug = self.free_slug()
        super().save(*args, **kwargs)
        if old and old[1] and old[1] != self.slug:
            RetiredSlug.objects.update_or_create(
                kind=self.kind, slug=old[1], defaults={"target_id": self.pk}
            )
            RetiredSlug.objects.filter(kind=self.kind, slug=self.slug).delete()

    def get_absolute_url(self) -> str:
        return reverse(f"search:{self.kind}", kwargs={"slug": self.slug})

    def free_slug(self) -> str:
        model = type(self)

        def taken(slug: str) -> bool:
            if model.objects.filter(slug=slug).exclude(pk=self.pk).exists():
                return True
            # Another entity's old URL keeps leading there; this entity's own is free again.
            retired = RetiredSlug.objects.filter(kind=self.kind, slug=slug)
            return retired.exclude(target_id=self.pk or 0).exists()

        return unique_slug(self.name, self.kind, taken)

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]

    @property
    def display_name(self) -> str:
        """Both names where both exist: "Shenzhen 深圳"."""
        return display_name(self.name, self.name_zh)


def display_name(name: str, name_zh: str) -> str:
    return f"{name} {name_zh}" if name_zh and name_zh != name else name


class City(FacetValue):
    kind = "city"

    # The place's GeoNames id: its identity whatever the spelling or script, so two cities
    # of one English name (泰州 and 台州, both "Taizhou") stay two facet values.
    geonameid = models.PositiveIntegerField("GeoNames id", null=True, blank=True, unique=True)

    class Meta(FacetValue.Meta):
        verbose_name_plural = "cities"


class Organisation(FacetValue):
    kind = "organisation"


ENTITY_MODELS = {"city": City, "organisation": Organisation}


def with_slugs(model, rows: list) -> list:
    """Unsaved rows given free slugs, for bulk_create (which calls no save())."""
    used = set(model.objects.values_list("slug", flat=True))
    used |= set(RetiredSlug.objects.filter(kind=model.kind).values_list("slug", flat=True))
    for row in rows:
        row.slug = unique_slug(row.name, model.kind, used.__contains__)
        used.add(row.slug)
    return rows


class RetiredSlug(models.Model):
    """An entity's former URL segment (before a rename or a merge) and who holds it now."""

    kind = models.CharField(max_length=16, choices=[(k, k) for k in ("city", "organisation")])
    slug = models.SlugField(max_length=SLUG_MAX + 8, allow_unicode=True)
    target_id = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "slug"], name="retired_slug_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.slug} -> {self.target_id}"


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
    # Bumped by every save: the admin refuses a change made to an older version (two admins
    # editing the same article must not silently overwrite each other).
    version = models.PositiveIntegerField(default=1, editable=False)
    # What the last re-extraction read and left (search/reextraction.py): while the inputs,
    # the extraction code, the gazetteer and the stored facets are all as they were then,
    # re-extracting would change nothing and is skipped.
    extraction_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-published_date", "-id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.title, allow_unicode=True)[:200] or "article"
        if self.pk is not None and not kwargs.get("force_insert"):
            self.version += 1
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("search:article", kwargs={"pk": self.pk, "slug": self.slug or "article"})

    @property
    def original_url(self) -> str:
        """The original article's address, only when it is safe to link (http/https)."""
        url = (self.source_url or "").strip()
        return url if url.lower().startswith(("http://", "https://")) else ""


class IndexJournal(models.Model):
    """An article whose index entry must be brought in line with the database.

    A row is written in the same transaction as the article change it stands for, so a
    change that commits always leaves one, whatever happens to the process afterwards. The
    indexer deletes a row only after the index commit that holds the article's current state
    (search/indexing.py). Rows are append-only: a change made while an article is being
    indexed adds a new row, which stays for the next round.
    """

    article_id = models.BigIntegerField(db_index=True)
    queued = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    # Why the last attempt to index it failed (e.g. "disk full"); empty if none failed.
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "index journal entry"
        verbose_name_plural = "index journal"

    def __str__(self) -> str:
        return f"article {self.article_id} (queued {self.queued:%Y-%m-%d %H:%M:%S})"


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
