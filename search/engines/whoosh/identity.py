"""Which Whoosh index is live: versioned build folders and a pointer file swapped atomically.

Layout of SEARCH_INDEX_DIR:

    CURRENT            the name of the live build (replaced with os.replace, never edited)
    build-<time>-<id>/ one Whoosh index per build; only the one CURRENT names is live
    .swap.lock         taken (exclusively, briefly) to create the first build or to swap
    .rebuild.lock      held exclusively by a running rebuild for its whole time; writers
                       hold it shared while they write (see `writing`)

A reader opens the build CURRENT names and, on each search, checks whether CURRENT still
names it: a rebuild in another process is seen on the next search. Whoosh's generation
number restarts at 1 in a fresh index, so the identity of what a reader sees is the build
name plus the generation within it (`identity`).

A rebuild writes a new folder and only then swaps the pointer, so a rebuild that fails or is
killed leaves the live build serving; its folder is removed by the next rebuild (or health
check), under the rebuild lock, so never while a live rebuild uses it. The processes a
rebuild forks to write segments die with their parent (`adapter.die_with_parent`).

An index laid out by earlier versions (Whoosh files directly in SEARCH_INDEX_DIR) is served
as the build "legacy" until the next rebuild replaces it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import shutil
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from search.engines.base import IndexUnavailable

POINTER = "CURRENT"
LEGACY = "legacy"
BUILD_PREFIX = "build-"
# Whoosh's own files, for removing an index of the legacy layout after a rebuild.
_WHOOSH_FILE_PREFIXES = ("MAIN_", "_MAIN_")
# A rebuild writes the new index beside the live one, plus Whoosh's sorted runs and
# segment merges: measured at about 2.3 x the size of the finished index.
REBUILD_SPACE_FACTOR = 2.3
# With no index to measure, the finished index is about this many bytes per byte of text.
INDEX_BYTES_PER_TEXT_BYTE = 1.2


class IndexMissing(IndexUnavailable):
    """There is no index to search although the database has articles."""


class NotEnoughSpace(OSError):
    """Too little free space to build a new index beside the live one."""

    says_what_is_needed = True  # the message is complete (search.indexing.describe)


@contextmanager
def _flock(path: Path, mode: int):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, mode)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def folder_size(path: Path) -> int:
    total = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            with suppress(FileNotFoundError):
                total += os.stat(os.path.join(dirpath, name)).st_size
    return total


def _mb(n: float) -> str:
    return f"{n / 1_048_576:.0f} MB" if n >= 1_048_576 else f"{n / 1024:.0f} kB"


class BuildStore:
    """The build folders under one index root and the pointer to the live one."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def pointer(self) -> Path:
        return self.root / POINTER

    # -- reading --------------------------------------------------------------------------

    def current(self) -> str | None:
        """The live build's name; "legacy" for an index of the old layout; None if none."""
        try:
            name = self.pointer.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return LEGACY if has_index(self.root) else None
        return name or None

    def folder(self, build: str) -> Path:
        return self.root if build == LEGACY else self.root / build

    def current_folder(self) -> tuple[str, Path] | None:
        """The live build and its folder, or None when there is no usable index."""
        build = self.current()
        if build is None:
            return None
        folder = self.folder(build)
        return (build, folder) if has_index(folder) else None

    def broken_pointer(self) -> str | None:
        """A description of the problem when CURRENT names a build that is not there."""
        build = self.current()
        if build is None or build == LEGACY:
            return None
        folder = self.folder(build)
        if not has_index(folder):
            return f"{self.pointer} names build {build!r}, but {folder} holds no index"
        return None

    # -- creating and swapping ------------------------------------------------------------

    @contextmanager
    def _swap_lock(self):
        with _flock(self.root / ".swap.lock", fcntl.LOCK_EX):
            yield

    def new_folder(self) -> Path:
        """An empty folder for a build that is not live yet."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = (
            f"{BUILD_PREFIX}{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(4)}"
        )
        folder = self.root / name
        folder.mkdir()
        return folder

    def create_first(self, create) -> None:
        """Create an empty build and make it live, unless one is (for the first writer).

        Writers that start together on a fresh folder would otherwise each create one."""
        with self._swap_lock():
            if self.current_folder() is not None:
                return
            folder = self.new_folder()
            create(folder)
            self._point_at(folder)

    def swap(self, folder: Path) -> str | None:
        """Make the build in `folder` the live one; returns the build it replaced."""
        with self._swap_lock():
            old = self.current()
            self._point_at(folder)
        if old == LEGACY:
            self._remove_legacy_files()
        elif old and old != folder.name:
            # Readers holding the old build's files open keep reading them (POSIX keeps an
            # unlinked file until it is closed); a reader that opens it late retries.
            shutil.rmtree(self.root / old, ignore_errors=True)
        return old

    def _point_at(self, folder: Path) -> None:
        tmp = self.root / f".{POINTER}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(folder.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.pointer)
        _fsync_dir(self.root)

    def _remove_legacy_files(self) -> None:
        for path in self.root.iterdir():
            if path.is_file() and path.name.startswith(_WHOOSH_FILE_PREFIXES):
                path.unlink(missing_ok=True)

    # -- coordination of writers and rebuilds ---------------------------------------------

    @contextmanager
    def writing(self):
        """Held while an update writes the live build. Yields True when a rebuild is
        running: what is written now goes into a build about to be replaced, so the
        caller must keep its ids for the rebuild to replay."""
        path = self.root / ".rebuild.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                shared = True
            except BlockingIOError:
                shared = False
            try:
                yield not shared
            finally:
                if shared:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @contextmanager
    def rebuilding(self):
        """Held by a rebuild from before it reads the database until after the swap.

        Waits for updates in flight (they hold the lock shared), so every change they
        removed from the journal was committed before the rebuild reads the database."""
        with _flock(self.root / ".rebuild.lock", fcntl.LOCK_EX):
            self._remove_leftovers()
            yield

    def remove_leftovers(self) -> list[str]:
        """Remove folders of failed or killed rebuilds, unless a rebuild is running."""
        path = self.root / ".rebuild.lock"
        if not self.root.exists():
            return []
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return []
            try:
                return self._remove_leftovers()
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _remove_leftovers(self) -> list[str]:
        if not self.root.exists():
            return []
        live = self.current()
        removed = []
        for path in self.root.iterdir():
            stray_tmp = path.name.startswith(f".{POINTER}.") and path.name.endswith(".tmp")
            if path.is_dir() and path.name.startswith(BUILD_PREFIX) and path.name != live:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
            elif stray_tmp:
                path.unlink(missing_ok=True)
                removed.append(path.name)
        return removed

    # -- space ----------------------------------------------------------------------------

    def space_needed(self, text_bytes: int) -> int:
        """Bytes a rebuild needs free: 2.3 x the live index, or an estimate from the text."""
        live = self.current_folder()
        size = folder_size(live[1]) if live else 0
        estimate = text_bytes * INDEX_BYTES_PER_TEXT_BYTE
        return int(REBUILD_SPACE_FACTOR * max(size, estimate))

    def check_space(self, text_bytes: int) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        needed = self.space_needed(text_bytes)
        free = shutil.disk_usage(self.root).free
        if free < needed:
            raise NotEnoughSpace(
                errno.ENOSPC,
                f"not enough free space to rebuild the index in {self.root}: it needs about "
                f"{_mb(needed)} free (2.3 x the index), and {_mb(free)} is free. Free some "
                "space or point SEARCH_INDEX_DIR at a larger disk; the live index keeps serving",
            )


def has_index(folder: Path) -> bool:
    """Whether a folder holds a Whoosh index, without opening it: `whoosh.index.exists_in`
    reads the newest table of contents, which a concurrent commit may delete meanwhile (a
    search then failed with FileNotFoundError under a load of saves)."""
    return any(Path(folder).glob("_MAIN_*.toc"))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def identity(build: str, generation: int) -> str:
    """What a reader sees: the build and the commit within it (changes on every commit)."""
    return f"{build}.{generation}"
