"""One look at a skill folder on disk: what `lstat` says of every entry below it, links not
followed. A scan lists each skill once and shares the answer between the tree stamp (has anything
the loader reads changed? `stamps.py`) and the checks of file-system state (modes, owners:
`checks/hygiene.py`), which used to walk the same folders a second time.

Folders the loader reads are listed first and marked `loaded`; the rest (node_modules, .venv …)
after them, so a huge dependency folder can only cut short the part the hygiene checks look at,
never what the stamp needs. Version-control folders are listed but never entered.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from skillscan.load import MAX_DEPTH, walks_into
from skillscan.realpaths import RealPaths

MAX_ENTRIES = 40_000  # per skill
VCS_DIRS = frozenset({".git", ".hg", ".svn"})
_NAME = attrgetter("name")


@dataclass(frozen=True)
class Listing:
    real: str  # the folder's real path (every link resolved)
    top: os.stat_result  # stat() of the skill folder itself (a link to it followed)
    # (path in the skill, lstat, whether it sits in a folder the loader reads), folders before
    # their contents; loaded entries first.
    entries: tuple[tuple[str, os.stat_result, bool], ...]
    loaded_complete: bool  # every entry the loader could read is listed (no error, no cap)


def list_tree(root: Path, real_paths: RealPaths | None = None) -> Listing | None:
    """The listing of the folder `root`; None when the folder itself cannot be read.
    `real_paths`: shared by the skills of one scan (siblings resolve their parent once)."""
    real = (real_paths or RealPaths()).of(root)
    try:
        top = os.stat(root)
    except OSError:
        return None
    if real is None:
        return None
    entries: list[tuple[str, os.stat_result, bool]] = []
    loaded_complete = True
    # (folder path, its path in the skill with a trailing "/", depth); loaded folders first.
    loaded: list[tuple[str, str, int]] = [(str(root), "", 0)]
    others: list[tuple[str, str, int]] = []
    while loaded or others:
        in_loaded = bool(loaded)
        folder, rel_folder, depth = loaded.pop() if in_loaded else others.pop()
        try:
            with os.scandir(folder) as listing:
                children = sorted(listing, key=_NAME)
        except OSError:
            loaded_complete = loaded_complete and not in_loaded
            continue
        for child in children:
            if len(entries) >= MAX_ENTRIES:
                return Listing(real, top, tuple(entries), loaded_complete and not (in_loaded or loaded))
            try:
                st = child.stat(follow_symlinks=False)
            except OSError:  # gone since the listing
                loaded_complete = loaded_complete and not in_loaded
                continue
            rel = rel_folder + child.name
            entries.append((rel, st, in_loaded))
            if stat.S_ISDIR(st.st_mode) and child.name not in VCS_DIRS:
                if in_loaded and depth < MAX_DEPTH and walks_into(child.name):
                    loaded.append((child.path, rel + "/", depth + 1))
                else:
                    others.append((child.path, rel + "/", depth + 1))
    return Listing(real, top, tuple(entries), loaded_complete)
