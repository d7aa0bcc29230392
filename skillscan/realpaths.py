"""Real paths of many siblings, cheaply: `os.path.realpath` walks every component of every path
with lstat; skills installed side by side share their parent folder, so its answer is kept and
only the last component is looked at per path."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class RealPaths:
    """A memory of parent folders' real paths; keep one only as long as the disk may be trusted
    not to change (one discovery, one scan)."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def of(self, path: Path | str) -> str | None:
        """`path` as `Path.resolve(strict=True)` would give it, as a string; None when it does not
        exist or cannot be resolved (a link loop)."""
        literal = os.fspath(path)
        if not os.path.isabs(literal):
            literal = os.path.join(os.getcwd(), literal)
        parent, name = os.path.split(literal)
        try:
            st = os.lstat(literal)
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(st.st_mode) or name in ("", ".", ".."):
            try:
                return str(Path(literal).resolve(strict=True))
            except (OSError, RuntimeError):
                return None
        real_parent = self._folders.get(parent)
        if real_parent is None:
            real_parent = self._folders[parent] = os.path.realpath(parent)
        return os.path.join(real_parent, name)
