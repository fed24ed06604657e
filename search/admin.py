"""The Django admin: add articles by paste or upload (with a preview), correct them, curate
cities and organisations. Only staff reach it (the admin site checks) and every form posts
with a CSRF token (admin_view wraps each view in csrf_protect).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from search import admin_ops
from search import copies as copy_groups
from search.admin_forms import ArticleIngestForm, MergeForm, SameStoryForm, size_limit_text
from search.admin_index import (
    ArticleChangeForm,
    IndexNoticeMixin,
    WaitingFilter,
    waiting_column,
    with_waiting,
)
from search.ingest import IngestError, current_gazetteer, reextract
from search.models import AlertSubscription, Article, City, CopyDecision, Organisation

# Changing any of these by hand means the admin, not extraction, now owns the facets.
FACET_FIELDS = ("published_date", "year", "cities", "organisations")


LIST_NAMES = 5  # names per cell of the article list; a row with 30 tags stays one row high


def _names(values, limit: int | None = None) -> str:
    names = [v.name for v in values]
    if limit is not None and len(names) > limit:
        return ", ".join(names[:limit]) + f" … (+{len(names) - limit} more)"
    return ", ".join(names)


class FacetValueAdmin(IndexNoticeMixin, admin.ModelAdmin):
    list_display = ["name", "name_zh", "aliases_shown", "article_count", "blocked"]
    list_filter = ["blocked"]
    fields = ["name", "name_zh", "aliases", "blocked"]
    search_fields = ["name", "name_zh", "aliases"]
    blocked_label = ""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "blocked" in form.base_fields and self.blocked_label:
            form.base_fields["blocked"].label = self.blocked_label
        return form

    # Explicit: Meta.ordering does not apply to the grouped (article-counting) queryset.
    ordering = ["name"]
    actions = ["merge_selected"]
    merge_template = "admin/search/merge.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_articles=Count("articles"))

    @admin.display(description="aliases")
    def aliases_shown(self, obj) -> str:
        return ", ".join(obj.alias_list)

    @admin.display(description="articles", ordering="n_articles")
    def article_count(self, obj) -> int:
        return obj.n_articles

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        # The index stores the canonical name, so a rename must reach every tagged article.
        if change and "name" in form.changed_data:
            admin_ops.reindex(obj.articles.values_list("pk", flat=True))

    def delete_model(self, request, obj) -> None:
        ids = list(obj.articles.values_list("pk", flat=True))
        super().delete_model(request, obj)
        admin_ops.reindex(ids)  # the through rows go without m2m signals

    def delete_queryset(self, request, queryset) -> None:
        ids = list(Article.objects.filter(**{f"{self.facet}__in": queryset}).values_list("pk"))
        super().delete_queryset(request, queryset)
        admin_ops.reindex(pk for (pk,) in ids)

    @admin.action(description="Merge selected %(verbose_name_plural)s into one")
    def merge_selected(self, request, queryset):
        if not self.has_change_permission(request) or not self.has_delete_permission(request):
            raise PermissionDenied
        values = queryset.model.objects.filter(pk__in=queryset.values("pk")).order_by("name")
        if values.count() < 2:
            self.message_user(request, "Select at least two to merge.", messages.WARNING)
            return None
        form = MergeForm(request.POST if "apply" in request.POST else None, queryset=values)
        if form.is_valid():
            target = form.cleaned_data["target"]
            others = [v for v in values if v.pk != target.pk]
            moved = admin_ops.merge_values(target, others)
            self.message_user(
                request,
                f"Merged {_names(others)} into {target.name}; {moved} article(s) re-indexed.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge {self.opts.verbose_name_plural}",
            "opts": self.opts,
            "form": form,
            "values": values.annotate(n_articles=Count("articles")),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, self.merge_template, context)


@admin.register(City)
class CityAdmin(FacetValueAdmin):
    facet = "cities"
    blocked_label = "Never a city"
    fields = ["name", "name_zh", "geonameid", "aliases", "blocked"]


@admin.register(Organisation)
class OrganisationAdmin(FacetValueAdmin):
    facet = "organisations"
    blocked_label = "Never an organisation"


class MissingFacetFilter(admin.SimpleListFilter):
    title = "facets found"
    parameter_name = "missing"
    CHOICES = {
        "all": ("No facets found", Q(year__isnull=True, cities=None, organisations=None)),
        "city": ("No city", Q(cities=None)),
        "organisation": ("No organisation", Q(organisations=None)),
        "year": ("No year", Q(year__isnull=True)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.CHOICES.items()]

    def queryset(self, request, queryset):
        if self.value() in self.CHOICES:
            return queryset.filter(self.CHOICES[self.value()][1]).distinct()
        return queryset


@admin.register(Article)
class ArticleAdmin(IndexNoticeMixin, admin.ModelAdmin):
    form = ArticleChangeForm
    list_display = [
        "title",
        "published_date",
        "source_name",
        "cities_shown",
        "organisations_shown",
        "year",
        "index_state",
    ]
    list_filter = ["year", "source_name", "facets_manual", MissingFacetFilter, WaitingFilter]
    search_fields = ["title", "body"]
    date_hierarchy = "published_date"
    autocomplete_fields = ["cities", "organisations"]
    actions = ["reextract_facets", "reindex_articles", "merge_stories"]
    readonly_fields = [
        "raw_content_shown",
        "raw_format",
        "content_hash",
        "created",
        "updated",
        "copies_shown",
    ]
    fieldsets = [
        (None, {"fields": ["title", "body", "seen_version"]}),
        ("Copies of this story", {"fields": ["copies_shown"]}),
        (
            "Facets",
            {
                "fields": [
                    ("published_date", "year"),
                    ("source_name", "source_url"),
                    "cities",
                    "organisations",
                    "facets_manual",
                ],
                "description": "Changing a date, year, city or organisation here marks the "
                "facets as set by hand, so re-extraction leaves them alone until you clear "
                "“facets set by hand”.",
            },
        ),
        (
            "Raw content (as received)",
            {
                "classes": ["collapse"],
                "fields": ["raw_content_shown", "raw_format", "content_hash", "created", "updated"],
            },
        ),
    ]
    change_form_template = "admin/search/article/change_form.html"
    copies_template = "admin/search/article/copies.html"
    ingest_template = "admin/search/article/ingest.html"
    preview_template = "admin/search/article/_preview.html"

    def get_queryset(self, request):
        return with_waiting(super().get_queryset(request)).prefetch_related(
            "cities", "organisations"
        )

    @admin.display(description="search index", ordering="index_waiting")
    def index_state(self, obj: Article) -> str:
        return waiting_column(obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "source_url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="cities")
    def cities_shown(self, obj: Article) -> str:
        return _names(obj.cities.all(), LIST_NAMES)

    @admin.display(description="organisations")
    def organisations_shown(self, obj: Article) -> str:
        return _names(obj.organisations.all(), LIST_NAMES)

    @admin.display(description="copies")
    def copies_shown(self, obj: Article) -> str:
        manage = reverse("admin:search_article_copies", args=[obj.pk]) if obj.pk else ""
        if obj.pk is None:
            return "—"
        if obj.copy_group_id is None:
            apart = obj.copy_decisions.filter(kind=CopyDecision.Kind.SEPARATE).exists()
            return format_html(
                "{} <a href='{}'>Merge with another story…</a>",
                "Kept apart from other articles by an admin."
                if apart
                else "No copies of this article are known.",
                manage,
            )
        members = obj.copy_group.articles.order_by("published_date", "id")
        rows = format_html_join(
            "",
            "<li><a href='{}'>{}</a> — {} {}{}</li>",
            (
                (
                    self._change_url(a),
                    a.title,
                    a.source_name or "no source",
                    a.published_date or "undated",
                    " (shown in search)" if a.is_representative else "",
                )
                for a in members
            ),
        )
        return format_html(
            "<p>One story published {} times (group {}):</p><ul class='copy-list'>{}</ul>"
            "<p><a href='{}'>Split this article out or merge with another story…</a></p>",
            obj.copy_group.size,
            obj.copy_group_id,
            rows,
            manage,
        )

    @admin.display(description="raw content")
    def raw_content_shown(self, obj: Article) -> str:
        # A link, not the content: an HTML page's raw source is often a megabyte or more,
        # which made every change page that heavy.
        if obj.pk is None:
            return "—"
        url = reverse("admin:search_article_raw", args=[obj.pk])
        return format_html(
            '<a href="{}" class="raw-content-link" target="_blank" rel="noopener">'
            "Open the raw content as received</a> ({} characters, shown as plain text)",
            url,
            f"{obj.raw_length:,}",
        )

    def get_object(self, request, object_id, from_field=None):
        # The change page needs the raw content's length, not the content itself.
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.raw_length = len(obj.raw_content)
        return obj

    def raw_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The raw content as received, as plain text (never rendered as HTML)."""
        article = get_object_or_404(Article, pk=object_id)
        if not self.has_view_permission(request, article):
            raise PermissionDenied
        response = HttpResponse(article.raw_content, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="article-{article.pk}-raw.txt"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    # -- URLs ------------------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("add/preview/", wrap(self.preview_view), name=f"{prefix}_preview"),
            path("<path:object_id>/raw/", wrap(self.raw_view), name=f"{prefix}_raw"),
            path(
                "<path:object_id>/reextract/",
                wrap(self.reextract_view),
                name=f"{prefix}_reextract",
            ),
            path("<int:object_id>/copies/", wrap(self.copies_view), name=f"{prefix}_copies"),
            *super().get_urls(),
        ]

    # -- adding: paste or upload, preview, save --------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        return self._noticed(request, self._add_view, form_url, extra_context)

    def _add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        previews = None
        if request.method == "POST":
            form = ArticleIngestForm(request.POST, request.FILES)
            if form.is_valid():
                items = self._uploads(form)
                data = form.cleaned_data
                if "_preview" in request.POST:
                    previews = [
                        admin_ops.preview(item, data["allow_not_article"]) for item in items
                    ]
                else:
                    outcomes = [
                        admin_ops.save(
                            item,
                            data["source_name"],
                            data["source_url"],
                            data["allow_not_article"],
                        )
                        for item in items
                    ]
                    response = self._report(request, outcomes)
                    if response is not None:
                        return response
        else:
            form = ArticleIngestForm()
        return self._render_ingest(request, form, previews, extra_context)

    @staticmethod
    def _uploads(form: ArticleIngestForm) -> list[admin_ops.Upload]:
        data = form.cleaned_data
        return admin_ops.uploads(data["raw"] or "", data["files"], data["fmt"] or None)

    def _render_ingest(self, request, form, previews, extra_context=None) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Add article",
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            "previews": previews,
            "size_limit": size_limit_text(),
            "has_view_permission": self.has_view_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.ingest_template, context)

    @staticmethod
    def _change_url(article: Article) -> str:
        return reverse("admin:search_article_change", args=[article.pk])

    def _report(self, request, outcomes: list[admin_ops.Outcome]) -> HttpResponse | None:
        """Say what happened to each item; None when nothing was saved (the form shows again)."""
        created = [o for o in outcomes if o.status == "created"]
        for o in outcomes:
            if o.status == "created":
                msg = format_html(
                    "Added “<a href='{}'>{}</a>” ({}).",
                    self._change_url(o.article),
                    o.article,
                    o.label,
                )
                messages.success(request, msg)
            elif o.status == "duplicate":
                msg = format_html(
                    "Refused {}: the same content is already in the archive as "
                    "“<a href='{}'>{}</a>”. Nothing was saved from it.",
                    o.label,
                    self._change_url(o.article),
                    o.article,
                )
                messages.error(request, msg)
            else:
                # Starts with a fixed word: the admin capitalises a message's first letter.
                msg = f"Refused {o.label}: {o.error}. Nothing was saved from it."
                messages.error(request, msg)
        if not created:
            return None
        if len(outcomes) == 1:
            return HttpResponseRedirect(self._change_url(created[0].article))
        return HttpResponseRedirect(reverse("admin:search_article_changelist"))

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The htmx preview: the same fragment the no-JavaScript preview step shows inline."""
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ArticleIngestForm(request.POST, request.FILES)
        previews = (
            [
                admin_ops.preview(i, form.cleaned_data["allow_not_article"])
                for i in self._uploads(form)
            ]
            if form.is_valid()
            else []
        )
        context = {"form": form, "previews": previews}
        return TemplateResponse(request, self.preview_template, context)

    # -- correcting ------------------------------------------------------------------------

    def save_model(self, request, obj: Article, form, change: bool) -> None:
        if change and any(f in form.changed_data for f in FACET_FIELDS):
            obj.facets_manual = True
        super().save_model(request, obj, form, change)
        if change and "body" in form.changed_data:
            copy_groups.place(obj)  # another text may make it another story's copy

    def _reextract(self, request, articles) -> None:
        gazetteer = current_gazetteer()
        done, manual, failed = [], [], []
        # One transaction: the changed articles reach the index in one batch after it.
        with transaction.atomic():
            for article in articles:
                try:
                    (done if reextract(article, gazetteer) else manual).append(article)
                except IngestError as exc:
                    failed.append((article, exc))
        if done:
            self.message_user(request, f"Re-extracted the facets of {len(done)} article(s).")
        if manual:
            self.message_user(
                request,
                format_html(
                    "Left {} article(s) alone because their facets were set by hand: {}. "
                    "Clear “facets set by hand” on an article to re-extract it.",
                    len(manual),
                    format_html_join(
                        ", ", "<a href='{}'>{}</a>", ((self._change_url(a), a) for a in manual)
                    ),
                ),
                messages.WARNING,
            )
        for article, exc in failed:
            self.message_user(request, f"{article}: could not re-extract: {exc}", messages.ERROR)

    @admin.action(description="Re-extract facets (skips hand-set facets)")
    def reextract_facets(self, request, queryset) -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied
        self._reextract(request, queryset)

    @admin.action(description="Re-index in search")
    def reindex_articles(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        admin_ops.reindex(ids)
        self.message_user(request, f"Re-indexing {len(ids)} article(s) in one batch.")

    def reextract_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._noticed(request, self._reextract_view, object_id)

    def _reextract_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        article = get_object_or_404(Article, pk=object_id)
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        self._reextract(request, [article])
        return HttpResponseRedirect(self._change_url(article))

    # -- copies of one story ----------------------------------------------------------------

    def copies_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The article's story: its copies, "split this article out", "same story as …"."""
        article = get_object_or_404(Article.objects.select_related("copy_group"), pk=object_id)
        if not self.has_view_permission(request, article):
            raise PermissionDenied
        form = SameStoryForm(article, request.POST if "merge" in request.POST else None)
        if request.method == "POST":
            if not self.has_change_permission(request, article):
                raise PermissionDenied
            who = request.user.get_username()
            if "split" in request.POST:
                copy_groups.split_out(article.pk, by=who)
                self.message_user(
                    request,
                    "Split out: this article is now a story of its own, and rebuilds keep "
                    "it apart.",
                )
                return HttpResponseRedirect(request.path)
            if form.is_valid():
                other = form.cleaned_data["other"]
                copy_groups.merge_articles(article.pk, other.pk, by=who)
                self.message_user(
                    request, format_html("Merged with the story of “{}”.", other.title)
                )
                return HttpResponseRedirect(request.path)
        article.refresh_from_db()
        members = (
            article.copy_group.articles.order_by("published_date", "id")
            if article.copy_group_id
            else Article.objects.filter(pk=article.pk)
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Copies of “{article.title}”",
            "subtitle": None,
            "opts": self.opts,
            "original": article,
            "members": members,
            "decisions": CopyDecision.objects.filter(
                Q(article=article) | Q(other=article)
            ).select_related("article", "other"),
            "form": form,
            "has_change_permission": self.has_change_permission(request, article),
        }
        return TemplateResponse(request, self.copies_template, context)

    @admin.action(description="Merge the selected articles' stories into one")
    def merge_stories(self, request, queryset) -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied
        ids = sorted(queryset.values_list("pk", flat=True))
        if len(ids) < 2:
            self.message_user(request, "Select at least two articles.", messages.WARNING)
            return
        who = request.user.get_username()
        for other in ids[1:]:
            copy_groups.merge_articles(ids[0], other, by=who)
        self.message_user(request, f"Merged {len(ids)} articles into one story.")

    def delete_queryset(self, request, queryset) -> None:
        # Deleting through a queryset is not a reliable source of one post_delete per row;
        # take the ids first and tell the index explicitly.
        ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        admin_ops.reindex(ids)


@admin.register(AlertSubscription)
class AlertSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("email", "query", "frequency", "confirmed_at", "last_sent_at", "next_due")
    list_filter = ("frequency", ("confirmed_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "query")
    readonly_fields = ("created", "confirmed_at", "window_start", "last_sent_at")
