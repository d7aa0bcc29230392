"""Integrity tests run against a throwaway HOME, project and user data/cache dirs — never the
real home. Skills are created fresh per test."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

SKILL_MD = ("---\nname: {name}\ndescription: {name} helps with tests. Use it in tests.\n---\n"
            "\n# {name}\n\nRun the script.\n")


@dataclass
class Env:
    home: Path
    project: Path
    data: Path
    cache: Path

    @property
    def skills(self) -> Path:
        return self.home / ".claude" / "skills"

    @property
    def lockfile(self) -> Path:
        return self.data / "skillscan" / "skills.lock.json"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    home, project = tmp_path / "home", tmp_path / "project"
    data, cache = tmp_path / "xdg-data", tmp_path / "xdg-cache"
    for folder in (home, project, data, cache):
        folder.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.chdir(project)
    return Env(home, project, data, cache)


def make_skill(parent: Path, name: str, folder: str | None = None, script: str = "echo hello\n") -> Path:
    root = parent / (folder or name)
    (root / "scripts").mkdir(parents=True)
    (root / "references").mkdir()
    (root / "SKILL.md").write_text(SKILL_MD.format(name=name), encoding="utf-8")
    (root / "scripts" / "run.sh").write_text("#!/bin/sh\n" + script, encoding="utf-8")
    os.chmod(root / "scripts" / "run.sh", 0o755)
    (root / "references" / "a.md").write_text("# A\n\nFirst reference.\n", encoding="utf-8")
    (root / "references" / "b.md").write_text("# B\n\nSecond reference.\n", encoding="utf-8")
    os.symlink("../references/a.md", root / "scripts" / "current.md")
    return root


def snapshot(root: Path) -> dict[str, tuple[str, int, bytes | str]]:
    """Every entry's type, mode and bytes (or link target), to compare trees exactly."""
    result: dict[str, tuple[str, int, bytes | str]] = {}
    for path in sorted([root, *root.rglob("*")]):
        rel = path.relative_to(root).as_posix()
        st = path.lstat()
        if path.is_symlink():
            result[rel] = ("link", st.st_mode & 0o7777, os.readlink(path))
        elif path.is_dir():
            result[rel] = ("dir", st.st_mode & 0o7777, b"")
        else:
            result[rel] = ("file", st.st_mode & 0o7777, path.read_bytes())
    return result
