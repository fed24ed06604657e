"""Run every benchmark part (or those named: `python -m bench cleaning search`)."""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

import django


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    django.setup()
    names = argv or sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not m.name.startswith("_") and m.name != "realpages"
    )
    for name in names:
        module = importlib.import_module(f"bench.{name.replace('-', '_')}")
        print(f"\n== {name} ==", flush=True)
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
