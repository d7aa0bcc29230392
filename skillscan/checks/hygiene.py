"""Hot-swap hygiene: facts on disk that let someone replace a skill's files after review
(THREATS.md §5.2 F). These read file modes and links from the real skill folder, so they find
nothing in in-memory skills (rule examples); tests/integrity/test_hygiene.py exercises them.

Folder-level findings (the skill folder itself) are reported on SKILL.md line 1; file-level
ones on line 1 of the file (a placeholder location when the file was not loaded as text).
"""

from __future__ import annotations

import fnmatch
import os
import stat
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path, PurePosixPath

from skillscan.checks import fsfacts
from skillscan.model import Artifact, ArtifactKind, Match, Skill, Span
from skillscan.rules.schema import Rule

PARTIAL_PATTERNS = ("*.tmp", "*.part", "*~", ".#*", "*.swp", "*.swo", "*.new")
_TEMP_ROOTS = ("/tmp", "/var/tmp", "/dev/shm", "/private/tmp", "/private/var/folders")
_LINE1 = Span(1, 1, 1, 1)


def world_writable(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Files or folders of the skill that any local user may write."""
    for rel, st in fsfacts.entries(skill):
        if st.st_mode & stat.S_IWOTH:
            yield _match(rule, skill, rel, f"{_label(rel)} is world-writable ({stat.S_IMODE(st.st_mode):04o})")


def group_writable(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Writable by a group that has other members, or owned by a user (not root) other than the
    owner of the folder the skill is installed in — the agent's user, whoever runs the scan."""
    parent = fsfacts.folder_stat(str(skill.root.absolute().parent))
    if parent is None:
        return
    owner = parent.st_uid
    for rel, st in fsfacts.entries(skill):
        if st.st_mode & stat.S_IWOTH:
            continue  # world-writable is its own, more severe rule
        if st.st_mode & stat.S_IWGRP and _shared_group(st.st_gid, st.st_uid):
            yield _match(rule, skill, rel, f"{_label(rel)} is writable by group {_group_name(st.st_gid)} "
                         f"({stat.S_IMODE(st.st_mode):04o})")
        elif st.st_uid not in (owner, 0):
            yield _match(rule, skill, rel, f"{_label(rel)} is owned by another user ({_user_name(st.st_uid)})")


def linked_into_temp(rule: Rule, skill: Skill) -> Iterator[Match]:
    """The skill folder resolves (through a symlink) into a temp or world-writable folder, or sits
    in a world-writable folder without the sticky bit: others can replace it wholesale."""
    literal = skill.root.absolute()
    real = skill.disk.real if skill.disk is not None else fsfacts.real_path(skill.root)
    if real is None:
        return
    linked = str(literal) != real
    if linked:
        resolved = Path(real)
        temp = next((t for t in _temp_roots() if resolved == t or resolved.is_relative_to(t)), None)
        if temp is not None:
            yield _match(rule, skill, ".", f"skill folder {literal} is a link into the temporary folder {temp} ({real})")
            return
    folder = fsfacts.open_ancestor(os.path.dirname(real), sticky_protects=not linked)
    if folder is not None:
        how = "is a link into" if linked else "sits in"
        yield _match(rule, skill, ".", f"skill folder {literal} {how} the world-writable folder {folder}")


def partial_files(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Leftovers of interrupted or non-atomic writes (editor swap files, downloads, temp files)."""
    seen: set[PurePosixPath] = set()
    candidates = [a.path for a in skill.real_files]
    candidates += [s.path for s in skill.skipped if s.reason not in ("ignored-dir", "too-deep")]
    candidates += [link for link, _ in skill.symlinks]
    for path in sorted(candidates):
        if path in seen or not any(fnmatch.fnmatchcase(path.name, p) for p in PARTIAL_PATTERNS):
            continue
        seen.add(path)
        yield _match(rule, skill, str(path), f"leftover partial file {path}")


def uncommitted_changes(rule: Rule, skill: Skill) -> Iterator[Match]:
    """An installed skill inside a git work tree whose tracked files differ from the commit
    (read from .git/index; git is never run). Skills given as paths are the user's own work."""
    if skill.client == "path" or not skill.root.is_dir():
        return
    from skillscan.integrity.gitindex import uncommitted

    for rel, state in uncommitted(skill.root, fsfacts.repository, fsfacts.index):
        yield _match(rule, skill, rel, f"{rel} {state} since the last commit")


# --- helpers -------------------------------------------------------------------------------------

def _match(rule: Rule, skill: Skill, rel: str, text: str) -> Match:
    rule_id = rule.id
    if rel == ".":  # the folder itself: report on its SKILL.md
        artifact = next((a for a in skill.real_files if a.kind is ArtifactKind.SKILL_MD), None)
        if artifact is not None:
            return Match(rule_id, artifact, _LINE1, text)
    path = PurePosixPath(rel)
    artifact = next((a for a in skill.real_files if a.path == path), None)
    return Match(rule_id, artifact or Artifact(path, ArtifactKind.BINARY, None, "", ""), _LINE1, text)


def _label(rel: str) -> str:
    return "the skill folder" if rel == "." else rel


@lru_cache(maxsize=256)
def _shared_group(gid: int, owner_uid: int) -> bool:
    """False for a user-private group (named after its only user, no extra members)."""
    try:
        import grp
        import pwd

        group = grp.getgrgid(gid)
        owner = pwd.getpwuid(owner_uid)
    except (ImportError, KeyError):
        return True  # unknown group: assume others may be in it
    return not (group.gr_name == owner.pw_name and set(group.gr_mem) <= {owner.pw_name})


def _group_name(gid: int) -> str:
    try:
        import grp

        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return str(gid)


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


@fsfacts.per_scan(maxsize=1)  # TMPDIR may differ in the next scan of a long-lived process
def _temp_roots() -> tuple[Path, ...]:
    roots = {Path(t) for t in _TEMP_ROOTS}
    roots.add(Path(tempfile.gettempdir()))
    resolved = set()
    for root in roots:
        try:
            resolved.add(root.resolve())
        except (OSError, RuntimeError):
            continue
    return tuple(sorted(resolved | roots))
