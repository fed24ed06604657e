"""Forms of the admin: adding articles by paste or upload, merging facet values.

Validation that does not need the database lives here; what an upload becomes (an article, a
duplicate, a refusal) is decided by search.admin_ops through search.ingest.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

FORMAT_CHOICES = [("", "Guess from the content"), ("text", "Plain text"), ("html", "HTML")]
UPLOAD_EXTENSIONS = {".txt": "text", ".html": "html", ".htm": "html"}


def size_limit_text() -> str:
    return filesizeformat(settings.ARTICLE_MAX_BYTES)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented recipe); each is checked later, alone."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".txt,.html,.htm"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        # Empty files are reported per file, not refused for the whole form: skip FileField's
        # own "empty file" check and keep every upload.
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]


class ArticleIngestForm(forms.Form):
    raw = forms.CharField(
        label="Paste text or HTML",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 100, "class": "vLargeTextField"}),
    )
    files = MultipleFileField(
        label="…or upload .txt / .html files",
        required=False,
        help_text="One or many files; each becomes one article.",
    )
    fmt = forms.ChoiceField(label="Format", choices=FORMAT_CHOICES, required=False)
    source_name = forms.CharField(label="Source name", max_length=255, required=False)
    source_url = forms.URLField(
        label="Source URL", max_length=2000, required=False, assume_scheme="https"
    )
    allow_not_article = forms.BooleanField(
        label="Save even if it is not an article",
        required=False,
        help_text="Listing and index pages (mostly headlines or links) are refused; tick this "
        "to keep such a page on purpose.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit = size_limit_text()
        self.fields["raw"].help_text = f"At most {limit}."
        self.fields["files"].help_text = (
            f"One or many files (up to {settings.DATA_UPLOAD_MAX_NUMBER_FILES} at once), "
            f"at most {limit} each."
        )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("raw") or "").strip() and not cleaned.get("files"):
            raise ValidationError("Paste the article's text or HTML, or choose files to upload.")
        return cleaned


class MergeForm(forms.Form):
    """Pick which of the selected facet values the others are merged into."""

    target = forms.ModelChoiceField(
        queryset=None, widget=forms.RadioSelect, empty_label=None, label="Keep"
    )

    def __init__(self, *args, queryset, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = queryset


class SameStoryForm(forms.Form):
    """ "This article is the same story as article #N": merges the two stories."""

    other = forms.IntegerField(
        label="Same story as article number",
        min_value=1,
        help_text="The number in the other article's admin address (…/article/NUMBER/change/).",
    )

    def __init__(self, article, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.article = article

    def clean_other(self):
        from search.models import Article

        pk = self.cleaned_data["other"]
        if pk == self.article.pk:
            raise forms.ValidationError("That is this article.")
        other = Article.objects.filter(pk=pk).first()
        if other is None:
            raise forms.ValidationError(f"There is no article number {pk}.")
        if other.copy_group_id and other.copy_group_id == self.article.copy_group_id:
            raise forms.ValidationError("That article is already a copy of this story.")
        return other
