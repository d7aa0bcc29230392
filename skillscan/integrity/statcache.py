"""The verify fast path's memory: absolute skill root → {relative path: (stat key, sha256)}.

It memoises what the files *are* (not what was approved), so verify may update it freely.
Trust: anyone who can rewrite this file can hide a swap from the fast path, exactly like
anyone who can rewrite an unsigned lockfile. `verify --full` ignores it, and so does verify of
a signed lockfile (unless --trust-cache). It is kept 0600.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from skillscan.integrity import paths
from skillscan.integrity.manifest import Cached

CACHE_VERSION = 2
Entries = dict[str, Cached]  # relative path ("rel/" for folders) → record; see manifest.Cached


def cache_path() -> Path:
    return paths.cache_dir() / "integrity-statcache.json"


def load(path: Path | None = None) -> dict[str, Entries]:
    """Records as stored; manifest.walk checks each one's shape before trusting it."""
    try:
        data = json.loads((path or cache_path()).read_text(encoding="utf-8"))
        if data.get("cache_version") != CACHE_VERSION or not isinstance(data.get("roots"), dict):
            return {}
        return {root: files for root, files in data["roots"].items() if isinstance(files, dict)}
    except (OSError, ValueError, AttributeError):
        return {}  # a missing or damaged cache only costs hashing


def save(roots: Mapping[str, Entries], path: Path | None = None) -> None:
    target = path or cache_path()
    try:
        paths.private_dir(target.parent)
        data = {"cache_version": CACHE_VERSION,
                "roots": {root: dict(sorted(files.items())) for root, files in sorted(roots.items())}}
        temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, separators=(",", ":")))
        os.replace(temp, target)
    except OSError:
        pass  # best effort: the next verify hashes instead
