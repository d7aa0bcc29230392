"""Where integrity state lives: the user data dir (platformdirs), never inside a skill.

The lockfile, the content-addressed store, the quarantine and the surface salt share one
private (0700) folder; the stat cache is only a speed-up, so it lives in the cache dir.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import platformdirs

from skillscan import clients
from skillscan.errors import UsageError

APP = "skillscan"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def default_lockfile() -> Path:
    return data_dir() / "skills.lock.json"


def store_dir() -> Path:
    return data_dir() / "store"


def quarantine_dir() -> Path:
    return data_dir() / "quarantine"


def default_allowed_signers() -> Path:
    return data_dir() / "allowed_signers"


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) with owner-only permissions for the folders we create."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def surface_salt() -> bytes:
    """Per-install key for hashing config values: digests in a shared lockfile reveal nothing."""
    path = data_dir() / "surface.salt"
    try:
        data = path.read_bytes()
        if len(data) >= 16:
            return data
    except OSError:
        pass
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        value = secrets.token_bytes(32)
        handle.write(value)
    return value


def skills_folders(home: Path, project: Path) -> list[Path]:
    folders: list[Path] = []
    for location in clients.locations(clients.SurfaceKind.SKILLS):
        folders.extend(clients.expand(location, home, project))
    return folders


def refuse_inside(lockfile: Path, roots: Iterable[Path], home: Path, project: Path) -> None:
    """An agent (or a skill) that can write its skills folder must not be able to rewrite the
    baseline with it: refuse a lockfile inside any skill or skills folder."""
    target = lockfile.absolute().resolve()
    for folder in [*roots, *skills_folders(home, project)]:
        try:
            real = folder.resolve()
        except (OSError, RuntimeError):
            continue
        if target == real or target.is_relative_to(real):
            raise UsageError(f"{lockfile}: refusing to keep the lockfile inside {folder} "
                             "(a skill or skills folder an agent can write); choose another --lockfile")
