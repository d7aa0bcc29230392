"""Versions of installed Python distributions (bandit, semgrep, the tree-sitter grammars), which
go into every scan's cache key.

`importlib.metadata.version` costs its own import (email parsing and more) and a search of every
`sys.path` entry per name. A wheel's `<name>-<version>.dist-info` folder already says both, so
one listing of the path entries answers every name; anything else (eggs, odd layouts) is asked
of importlib.metadata as before.
"""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache

_DIST_INFO = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)\.dist-info$")


def installed_version(distribution: str) -> str | None:
    """The installed version of `distribution`, or None when it is not installed."""
    found = _dist_infos(tuple(sys.path)).get(_normalise(distribution))
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


@lru_cache(maxsize=4)
def _dist_infos(path: tuple[str, ...]) -> dict[str, str]:
    """Normalised name → version of every wheel-style install on `path`; the first entry wins,
    as it does for imports."""
    found: dict[str, str] = {}
    for entry in path:
        try:
            with os.scandir(entry or ".") as listing:
                names = [e.name for e in listing if e.name.endswith(".dist-info")]
        except OSError:
            continue
        for name in names:
            match = _DIST_INFO.match(name)
            if match is not None:
                found.setdefault(_normalise(match["name"]), match["version"])
    return found


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()
