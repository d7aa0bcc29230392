"""File-system facts the state checks ask again and again: the folders every installed skill
shares (their real paths and modes, the git repository above them, its index) and the listing of
a skill's entries that several hygiene checks read (`disk.py`, made as the scan read the skill).

Each is read once per scan and forgotten when the next scan prepares its checks (`forget`, called
by the check engine), so a long-lived process — a test run, `skillscan watch` — never answers
from an earlier scan's disk.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from skillscan.disk import VCS_DIRS, Listing, list_tree
from skillscan.model import Skill
from skillscan.realpaths import RealPaths

if TYPE_CHECKING:
    from skillscan.integrity.gitindex import Index
    from skillscan.integrity.sources import GitRepo


_F = TypeVar("_F", bound=Callable[..., Any])
_FORGETS: list[Callable[[], None]] = []
_REAL_PATHS = RealPaths()
_REPOSITORIES: dict[Path, GitRepo | None] = {}


def per_scan(maxsize: int) -> Callable[[_F], _F]:
    """Memoise a file-system fact until the next scan (`forget`)."""
    def decorate(function: _F) -> _F:
        memo = lru_cache(maxsize=maxsize)(function)
        _FORGETS.append(memo.cache_clear)
        return memo  # type: ignore[return-value]

    return decorate


def forget() -> None:
    """Start a new scan: nothing read before is trusted again."""
    global _REAL_PATHS
    for clear in _FORGETS:
        clear()
    _REPOSITORIES.clear()
    _REAL_PATHS = RealPaths()


@per_scan(maxsize=4096)
def folder_stat(folder: str) -> os.stat_result | None:
    """stat() of a folder (links followed), None when it cannot be read."""
    try:
        return os.stat(folder)
    except OSError:
        return None


def real_path(path: Path) -> str | None:
    """`path` as `Path.resolve(strict=True)` gives it (None: missing or a link loop), the answer
    for its parent folder shared with its siblings."""
    return _REAL_PATHS.of(path)


@per_scan(maxsize=4096)
def open_ancestor(folder: str, sticky_protects: bool) -> str | None:
    """The nearest of `folder` and the folders above it that anyone may write to — without the
    sticky bit, when `sticky_protects` (then others may not rename what is not theirs)."""
    current = folder
    while True:
        st = folder_stat(current)
        if st is not None and st.st_mode & stat.S_IWOTH and not (sticky_protects and st.st_mode & stat.S_ISVTX):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def entries(skill: Skill) -> list[tuple[str, os.stat_result]]:
    """(relative path, lstat) of the skill folder (".") and everything in it, version-control
    folders aside; symlinks are left out (their own modes mean nothing) and not followed. From the
    listing the scan made as it read the skill, or a listing of its own."""
    listing = skill.disk if skill.disk is not None else _listing(skill.root)
    if listing is None:
        return []
    found = [(".", listing.top)]
    for rel, st, _ in listing.entries:
        if stat.S_ISLNK(st.st_mode) or (stat.S_ISDIR(st.st_mode) and rel.rpartition("/")[2] in VCS_DIRS):
            continue
        found.append((rel, st))
    return found


@per_scan(maxsize=2)  # the checks of one skill run one after another
def _listing(root: Path) -> Listing | None:
    return list_tree(root, _REAL_PATHS)


def repository(folder: Path, max_up: int = 40) -> GitRepo | None:
    """The git work tree holding `folder` (already resolved), as `find_repo`; every folder passed
    on the way up is remembered, so sibling skills cost one look each."""
    from skillscan.integrity.sources import find_repo

    climbed, current, found = [], folder, None
    for _ in range(max_up):
        if current in _REPOSITORIES:
            found = _REPOSITORIES[current]
            break
        climbed.append(current)
        found = find_repo(current, max_up=1)
        if found is not None or current.parent == current:
            break
        current = current.parent
    for passed in climbed:  # none of them holds a .git of its own: they all share the answer
        _REPOSITORIES[passed] = found
    return found


@per_scan(maxsize=16)
def index(repo: GitRepo) -> Index | None:
    from skillscan.integrity.gitindex import read_index

    return read_index(repo)
