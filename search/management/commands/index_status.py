import json

from django.core.management.base import BaseCommand, CommandError

from search import indexing


class Command(BaseCommand):
    help = (
        "Health check of the search index: the number of articles in the database and in the "
        "index, the articles waiting to be indexed (and why the last attempt failed, if it "
        "did), and the identity of the index being served (it changes with every commit and "
        "rebuild). With --replay, first indexes what is pending. Exits non-zero when articles "
        "are waiting or the counts differ, so it can serve as a monitoring probe."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--replay", action="store_true", help="index pending articles first (a writer start)"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, replay: bool, json: bool, **options) -> None:
        if replay:
            indexing.index_pending()
        st = indexing.status()
        healthy = not st.pending and st.index == st.database
        if json:
            self.stdout.write(
                _json(
                    {
                        "database": st.database,
                        "index": st.index,
                        "pending": st.pending,
                        "identity": st.identity,
                        "last_error": st.error or None,
                        "oldest_pending_seconds": st.oldest_pending_seconds,
                        "healthy": healthy,
                    }
                )
            )
        else:
            shown = ", ".join(map(str, st.pending[:50])) + (" …" if len(st.pending) > 50 else "")
            lines = [
                f"database:  {st.database} article(s)",
                f"index:     {'unavailable' if st.index is None else st.index} article(s)",
                f"pending:   {len(st.pending)}" + (f" ({shown})" if st.pending else ""),
                f"identity:  {st.identity}",
            ]
            if st.oldest_pending_seconds is not None:
                lines.append(f"oldest pending: {st.oldest_pending_seconds:.0f} s ago")
            if st.error:
                lines.append(f"last error: {st.error}")
            self.stdout.write("\n".join(lines))
        if not healthy:
            raise CommandError(
                "index behind the database: run `manage.py run_indexer` (or "
                "`index_status --replay`); `manage.py rebuild_index` if counts still differ"
            )


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False)
