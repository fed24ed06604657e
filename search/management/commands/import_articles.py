from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search.ingest import IngestError, ingest

EXTENSIONS = {".txt": "text", ".html": "html", ".htm": "html"}


def article_files(paths: list[str]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files to import under the given paths, and the paths that could not be used."""
    files, missing = [], []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append((path, "no such file or folder"))
    return files, missing


class Command(BaseCommand):
    help = (
        "Import articles from .txt, .html and .htm files or folders (searched recursively). "
        "Each file is cleaned, its facets extracted, and saved; a file whose content is already "
        "in the archive is left unchanged. A file that cannot be read or is not an article fails "
        "alone, the rest are imported. Prints 'N new, M unchanged, K failed' and exits non-zero "
        "if any failed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to import")
        parser.add_argument("--source", default="", help="source name to record for every file")

    def handle(self, *args, paths: list[str], source: str, verbosity: int, **options) -> None:
        files, failed = article_files(paths)
        new = unchanged = 0
        bar = tqdm(files, unit="file", disable=verbosity == 0 or len(files) < 20, file=self.stderr)
        for path in bar:
            try:
                raw = path.read_bytes()
                fmt = EXTENSIONS.get(path.suffix.lower())
                result = ingest(raw, fmt=fmt, source_name=source)
            except (OSError, IngestError) as exc:
                failed.append((path, str(exc)))
                continue
            except Exception as exc:  # one bad file must not stop the batch
                failed.append((path, f"unexpected error: {type(exc).__name__}: {exc}"))
                continue
            if result.created:
                new += 1
            else:
                unchanged += 1
        for path, reason in failed:
            self.stderr.write(f"failed: {path}: {reason}")
        self.stdout.write(f"{new} new, {unchanged} unchanged, {len(failed)} failed")
        if failed:
            raise CommandError(f"{len(failed)} file(s) could not be imported", returncode=1)
