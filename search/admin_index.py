"""What the admin adds for the index and for concurrent editors.

- After a request that changed articles, say whether they are searchable yet: the index is
  written by the indexer after the commit, so a save may be "searchable in a moment", or
  saved but not indexable because the index cannot be written (the cause is named).
- The article change form carries the version it was made from and refuses to save over a
  newer one (two admins editing the same article), showing what the other person saved.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.html import format_html, format_html_join

from search import indexing
from search.models import Article, IndexJournal

COMPARED_FIELDS = ("title", "body", "published_date", "year", "source_name", "source_url")


def index_notice(request, ids) -> None:
    """A message about these just-saved articles unless they are already searchable."""
    waiting = indexing.pending_ids(ids)
    if not waiting:
        return
    n = len(waiting)
    # The worker may have failed on older rows: the new ones will meet the same cause.
    error = indexing.last_error(waiting) or indexing.last_error()
    if error:
        messages.error(
            request,
            f"Saved, but not yet searchable: the search index could not be written ({error}). "
            f"{n} article(s) are saved and queued; they will be indexed as soon as the index "
            "can be written (see `manage.py index_status`).",
        )
    else:
        messages.info(request, f"Saved; searchable in a moment ({n} article(s) being indexed).")


class IndexNoticeMixin:
    """Wraps the admin's writing views with index_notice."""

    def _noticed(self, request, view, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        with indexing.collect() as ids:
            response = view(request, *args, **kwargs)
        if ids:
            index_notice(request, ids)
        return response

    def changeform_view(self, request, *args, **kwargs):
        return self._noticed(request, super().changeform_view, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        return self._noticed(request, super().changelist_view, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._noticed(request, super().delete_view, *args, **kwargs)


class WaitingFilter(admin.SimpleListFilter):
    title = "search index"
    parameter_name = "index"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting to be indexed"), ("indexed", "Indexed")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(index_waiting=True)
        if self.value() == "indexed":
            return queryset.filter(index_waiting=False)
        return queryset


def with_waiting(queryset):
    return queryset.annotate(
        index_waiting=Exists(IndexJournal.objects.filter(article_id=OuterRef("pk")))
    )


def waiting_column(obj) -> str:
    if getattr(obj, "index_waiting", False):
        return format_html('<span class="index-waiting" title="{}">waiting</span>', _why(obj))
    return ""


def _why(obj) -> str:
    error = indexing.last_error([obj.pk])
    return f"not indexed yet: {error}" if error else "saved; the indexer will make it searchable"


class ArticleChangeForm(forms.ModelForm):
    """The admin's article form, refusing to save over a version it was not made from."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Article
        fields = ["title", "body"]  # the admin passes the fields of its fieldsets

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version
            self.fields["seen_version"].required = True

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        seen = cleaned.get("seen_version")
        # Locks the row until this save commits (admin views run in one transaction; on
        # SQLite the IMMEDIATE transaction already holds the write lock), so two saves of
        # the same version cannot both pass this check.
        current = Article.objects.select_for_update().filter(pk=self.instance.pk).first()
        if current is None or seen is None or current.version == seen:
            return cleaned
        # Show the form again with the newer version, so a second save (after reading what
        # changed) is a deliberate overwrite.
        self.data = self.data.copy()
        self.data[self.add_prefix("seen_version")] = current.version
        raise ValidationError(self._stale_message(current), code="stale")

    def _stale_message(self, current: Article):
        entry = (
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(Article),
                object_id=str(current.pk),
                action_flag=CHANGE,
            )
            .select_related("user")
            .order_by("-action_time")
            .first()
        )
        who = (
            f"{entry.user} saved this article at {entry.action_time:%Y-%m-%d %H:%M:%S} UTC"
            if entry
            else "someone else saved this article"
        )
        differs = [
            (Article._meta.get_field(name).verbose_name, getattr(current, name))
            for name in COMPARED_FIELDS
            if name in self.cleaned_data
            and _same(self.cleaned_data.get(name)) != _same(getattr(current, name))
        ]
        rows = format_html_join(
            "", "<li><b>{}</b>: {}</li>", ((label, _short(value)) for label, value in differs)
        )
        return format_html(
            "Not saved: {} while you were editing it. "
            "Their version differs from yours in: <ul>{}</ul>Your changes are still in the "
            "form below; save again to replace their version with yours.",
            who,
            rows or format_html("<li>{}</li>", "the facets"),
        )


def _same(value):
    """A value as compared: browsers post text areas with CRLF line endings."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return value


def _short(value, limit: int = 300) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[:limit] + " …"
