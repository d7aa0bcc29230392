"""RealPaths answers exactly as Path.resolve(strict=True) for the paths a scan meets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from skillscan.realpaths import RealPaths


def test_agrees_with_resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_parent = tmp_path / "store"
    (real_parent / "a").mkdir(parents=True)
    (real_parent / "b").mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(real_parent, tmp_path / "linked-parent")
    os.symlink(tmp_path / "elsewhere", real_parent / "c")  # a linked skill among real ones
    paths = [real_parent / "a", real_parent / "b", real_parent / "c", tmp_path / "linked-parent" / "a",
             tmp_path / "linked-parent" / "c", real_parent / "a" / ".." / "b", real_parent / "."]
    real_paths = RealPaths()
    for path in paths:
        assert real_paths.of(path) == str(path.resolve(strict=True)), path
    monkeypatch.chdir(real_parent)
    assert real_paths.of(Path("a")) == str((real_parent / "a").resolve())


def test_missing_and_looping_paths_have_no_real_path(tmp_path: Path) -> None:
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    real_paths = RealPaths()
    assert real_paths.of(tmp_path / "missing") is None
    assert real_paths.of(tmp_path / "loop") is None
