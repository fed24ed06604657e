from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search import indexing
from search.ingest import IngestError, ingest

EXTENSIONS = {".txt": "text", ".html": "html", ".htm": "html"}
# Articles saved between two index commits.
INDEX_BATCH = 200


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
        "alone, the rest are imported. Saved articles are indexed in batches (one index commit "
        f"per {INDEX_BATCH} articles); articles journalled earlier and not yet indexed are "
        "indexed first. Prints 'N new, M unchanged, K failed' and exits non-zero if any file "
        "failed or any saved article could not be indexed (it names those: they are saved and "
        "queued, and become searchable once the index can be written)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to import")
        parser.add_argument("--source", default="", help="source name to record for every file")

    def handle(self, *args, paths: list[str], source: str, verbosity: int, **options) -> None:
        indexing.index_pending()  # a writer start replays what an earlier run left
        files, failed = article_files(paths)
        new = unchanged = 0
        saved: dict[int, Path] = {}
        since_commit = 0
        bar = tqdm(files, unit="file", disable=verbosity == 0 or len(files) < 20, file=self.stderr)
        with indexing.deferred():
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
                    saved[result.article.pk] = path
                    since_commit += 1
                else:
                    unchanged += 1
                if since_commit >= INDEX_BATCH:
                    indexing.index_pending()
                    since_commit = 0
        drained = indexing.index_pending()
        for path, reason in failed:
            self.stderr.write(f"failed: {path}: {reason}")
        waiting = sorted(indexing.pending_ids(saved))
        self.stdout.write(f"{new} new, {unchanged} unchanged, {len(failed)} failed")
        if waiting:
            cause = drained.error or indexing.last_error(waiting) or "a rebuild is running"
            self.stderr.write(
                f"{len(waiting)} article(s) saved but not yet searchable (index: {cause}); "
                "they are queued and will be indexed by `manage.py run_indexer` once the index "
                "can be written:"
            )
            for pk in waiting:
                self.stderr.write(f"  not yet searchable: article {pk} from {saved[pk]}")
        if failed or waiting:
            problems = []
            if failed:
                problems.append(f"{len(failed)} file(s) could not be imported")
            if waiting:
                problems.append(f"{len(waiting)} saved article(s) not yet searchable")
            raise CommandError("; ".join(problems), returncode=1)
