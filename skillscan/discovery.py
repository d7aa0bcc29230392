"""Discover stage: paths, or this machine's client folders, → skill roots.

A skill root is a folder holding a SKILL.md (any case). Walking stops at a skill root (its
sub-folders belong to it), skips dependency and VCS folders, and never follows a symlinked
folder while walking. Files given as paths (pre-commit passes changed files) map to the skill
that encloses them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from skillscan import clients
from skillscan.errors import UsageError
from skillscan.load import IGNORED_DIRS
from skillscan.realpaths import RealPaths

MAX_WALK_DEPTH = 12


@dataclass(frozen=True)
class SkillRoot:
    path: Path  # absolute
    client: str  # "path" when given on the command line
    scope: str  # "path" | "user" | "project" | "plugin"
    location: str = ""  # the client-table pattern it was found through


def skill_md(folder: Path) -> Path | None:
    """The folder's SKILL.md in any letter case, or None."""
    exact = os.path.join(folder, "SKILL.md")
    if os.path.isfile(exact):  # the usual spelling: one stat instead of reading the folder
        return Path(exact)
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.lower() == "skill.md" and entry.is_file():
                    return Path(entry.path)
    except OSError:
        return None
    return None


def discover_paths(paths: Iterable[Path]) -> list[SkillRoot]:
    roots: list[SkillRoot] = []
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path}: no such file or directory")
        absolute = path.absolute()
        if absolute.is_dir():
            roots.extend(SkillRoot(found, "path", "path") for found in walk(absolute))
        else:
            enclosing = enclosing_skill(absolute)
            if enclosing is not None:
                roots.append(SkillRoot(enclosing, "path", "path"))
    return dedupe(roots)


def discover_installed(home: Path, project: Path) -> list[SkillRoot]:
    """Every skill in every client's user, plugin and project skill folders."""
    roots: list[SkillRoot] = []
    for location in clients.locations(clients.SurfaceKind.SKILLS):
        for folder in clients.expand(location, home, project):
            if not folder.is_dir():
                continue
            for found in walk(folder, max_depth=2):
                roots.append(SkillRoot(found, location.client, str(location.scope), location.pattern))
    return dedupe(roots)


def walk(start: Path, max_depth: int = MAX_WALK_DEPTH) -> Iterator[Path]:
    """Skill roots at or below `start`, in sorted order."""
    if skill_md(start) is not None:
        yield start
        return
    if max_depth <= 0:
        return
    try:
        with os.scandir(start) as entries:
            children = [Path(path) for path in sorted(  # (sorting strings, not Paths: far cheaper)
                e.path for e in entries if e.is_dir(follow_symlinks=False) and e.name not in IGNORED_DIRS)]
            # A symlinked skill folder directly inside a skills folder is how many clients
            # install skills; follow it one level, but never walk on through symlinks.
            linked = sorted(
                Path(e.path) for e in os.scandir(start)
                if e.is_symlink() and e.is_dir() and skill_md(Path(e.path)) is not None
            )
    except OSError:
        return
    yield from linked
    for child in children:
        yield from walk(child, max_depth - 1)


def enclosing_skill(path: Path) -> Path | None:
    for folder in [path.parent, *path.parent.parents]:
        if skill_md(folder) is not None:
            return folder
    return None


def dedupe(roots: Iterable[SkillRoot]) -> list[SkillRoot]:
    """One entry per real folder; the first client that claims it wins."""
    seen: set[str] = set()
    unique = []
    real_paths = RealPaths()
    for root in roots:
        real = real_paths.of(root.path) or str(root.path.resolve())  # (gone or a loop: as it is written)
        if real not in seen:
            seen.add(real)
            unique.append(root)
    return unique
