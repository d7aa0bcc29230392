"""`scan --shard K/N`: a stable partition of skills for a CI job matrix.

Each skill root gets a key that depends neither on where the tree is checked out nor on the
order discovery found it in: for skills found under a scan target, the folder's path relative
to that target ('/'-separated; the folder's name when the target is the skill itself); for
installed skills, client and folder name. A skill belongs to shard K of N when
`int(sha256(key)) % N == K - 1`, so shards 1..N are disjoint and together cover every skill.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from skillscan.discovery import SkillRoot
from skillscan.errors import UsageError

Shard = tuple[int, int]  # (K, N), 1 <= K <= N

_FORM = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def parse(text: str) -> Shard:
    """'K/N' → (K, N); anything else is a usage error (exit 2)."""
    found = _FORM.fullmatch(text or "")
    if found is None:
        raise UsageError(f"--shard {text!r}: expected K/N with whole numbers, e.g. --shard 2/4")
    k, n = int(found.group(1)), int(found.group(2))
    if n < 1 or not 1 <= k <= n:
        raise UsageError(f"--shard {text}: K must be between 1 and N (N >= 1), e.g. --shard 2/4 for the second of four")
    return k, n


def key(root: SkillRoot, targets: Sequence[Path], cwd: Path | None = None) -> str:
    """The part of a skill root's identity that survives a checkout elsewhere."""
    if root.client != "path":
        return f"installed:{root.client}:{root.path.name}"
    path = root.path.absolute()
    for target in targets:  # the first target that holds it, as discovery's de-duplication keeps the first
        folder = target.absolute()
        if folder.is_dir() and path.is_relative_to(folder):
            relative = path.relative_to(folder).as_posix()
            return "path:" + (path.name if relative == "." else relative)
    # A skill mapped from a file given as a path (pre-commit): relative to the current directory.
    here = (cwd or Path.cwd()).absolute()
    return "path:" + (path.relative_to(here).as_posix() if path.is_relative_to(here) else path.name)


def index(skill_key: str, count: int) -> int:
    """The zero-based shard (of `count`) a key belongs to."""
    return int(hashlib.sha256(skill_key.encode("utf-8")).hexdigest(), 16) % count


def select(roots: Iterable[SkillRoot], targets: Sequence[Path], shard: Shard) -> list[SkillRoot]:
    """The roots of shard K of N, in their original order."""
    k, n = shard
    here = Path.cwd().absolute()
    return [r for r in roots if index(key(r, targets, here), n) == k - 1]


def runs_agent_configs(shard: Shard | None) -> bool:
    """Agent-config linting (a scan with no paths) belongs to shard 1 only, so merged shards
    do not report it N times."""
    return shard is None or shard[0] == 1
