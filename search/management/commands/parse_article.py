import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from search.ingest import IngestError, current_gazetteer, decode_upload
from search.pipeline.article import as_json
from search.pipeline.cleaning import FORMATS, clean
from search.pipeline.extraction import Gazetteer, extract
from search.pipeline.gazetteer import default_gazetteer

EXTENSIONS = {".txt": "text", ".html": "html", ".htm": "html"}


def gazetteer_or_builtin() -> Gazetteer:
    """The known cities and organisations; only the built-in data when the database has no
    tables yet (parse_article must work on a fresh checkout, before `migrate`)."""
    try:
        return current_gazetteer()
    except DatabaseError:
        return default_gazetteer()


class Command(BaseCommand):
    help = (
        "Clean one article file and print it with its extracted facets, without saving "
        "anything. The format is taken from --format, else from the extension (.txt, .html, "
        ".htm), else guessed from the content. --json prints one JSON object: title, date "
        "(YYYY-MM-DD or null), year, source, url (the page's canonical address or null), "
        "language (ISO 639-1, zh-Hans/zh-Hant), is_article (false for listing/index pages, "
        "with not_article_reason), cities, organisations, body (as it would be stored and "
        "indexed), plus meta_lines (the dateline/source/by-lines taken out of it). A page with "
        "nothing but furniture is an error; a listing page is printed with is_article false "
        "(import refuses it)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", metavar="FILE", help="a .txt or .html article file")
        parser.add_argument(
            "--format", choices=FORMATS, default=None, help="text or html (default: guess)"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, file: str, format: str | None, json: bool, **options) -> None:
        path = Path(file)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        fmt = format or EXTENSIONS.get(path.suffix.lower())
        try:
            text = decode_upload(raw)
            cleaned = clean(text, fmt)
        except IngestError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        if not cleaned.is_article:
            raise CommandError(f"{path}: {cleaned.note}")
        data = as_json(cleaned, extract(cleaned, gazetteer_or_builtin()))
        if json:
            self.stdout.write(_dumps(data))
            return
        self.stdout.write(data["title"])
        self.stdout.write("=" * min(len(data["title"]), 80))
        for key in ("date", "year", "source", "url", "language", "is_article"):
            self.stdout.write(f"{key}: {data[key] if data[key] is not None else '-'}")
        for key in ("cities", "organisations", "meta_lines"):
            self.stdout.write(f"{key}: {'; '.join(data[key]) or '-'}")
        if data["not_article_reason"] or cleaned.note:
            self.stdout.write(f"note: {data['not_article_reason'] or cleaned.note}")
        self.stdout.write("")
        self.stdout.write(data["body"])


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
