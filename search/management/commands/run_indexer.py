import signal

from django.core.management.base import BaseCommand, CommandError

from search import indexing
from search.engines.base import get_backend


class Command(BaseCommand):
    help = (
        "Write saved articles to the search index: drains the index journal (the articles "
        "saved, changed or deleted since they were last indexed) in batches, one index commit "
        "per batch, and keeps watching it. Web requests only journal their changes, so run "
        "one of these beside the web server (`make run` starts one; in production run it as "
        "a service, e.g. a systemd unit with Restart=always). Running several is safe. A "
        "failed batch stays in the journal and is retried; `manage.py index_status` shows "
        "what is waiting and why."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="drain what is pending now and exit (non-zero if anything is left)",
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=0.5,
            help="seconds between looks at an empty journal (default 0.5)",
        )

    def handle(self, *args, once: bool, poll: float, verbosity: int, **options) -> None:
        store = getattr(get_backend(), "store", None)
        if store is not None:
            removed = store.remove_leftovers()  # of rebuilds killed earlier
            if removed and verbosity:
                self.stdout.write(f"removed leftovers of killed rebuilds: {', '.join(removed)}")
        if once:
            result = indexing.index_pending()
            left = indexing.pending_ids()
            self.stdout.write(f"indexed {len(result.indexed)} article(s); {len(left)} pending")
            if left:
                raise CommandError(
                    f"{len(left)} article(s) still waiting to be indexed"
                    + (f": {result.error}" if result.error else "")
                )
            return
        stopping = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(True))
        if verbosity:
            self.stdout.write(f"indexer running (journal polled every {poll:g} s)")
        indexing.run_indexer(poll=poll, stop=lambda: bool(stopping))
