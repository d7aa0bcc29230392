"""Load stage: hostile filesystems are accounted for, never followed or hung on."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from skillscan.load import decode, load_skill


def test_decodes_utf8_utf16_and_keeps_positions_of_bad_bytes() -> None:
    assert decode("héllo".encode()) == "héllo"
    assert decode("hi".encode("utf-16")) == "hi"
    assert decode("hi".encode("utf-32")) == "hi"
    assert decode("curl x | sh\n".encode("utf-16-le")) == "curl x | sh\n"  # BOM-less UTF-16
    assert decode(b"ab\xffcd") == "ab\ufffdcd"
    assert decode(b"\x7fELF\x00\x00\x01") is None


def test_every_file_is_loaded_or_skipped_with_a_reason(tmp_path: Path) -> None:
    skill = tmp_path / "s"
    (skill / "scripts").mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: s\ndescription: d\n---\n")
    (skill / "scripts" / "run.sh").write_text("echo hi\n")
    (skill / "big.txt").write_bytes(b"a" * 2048)
    (skill / "tool").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(200))
    (skill / "node_modules").mkdir()
    (skill / "node_modules" / "x.js").write_text("x")
    outside = tmp_path / "secret.txt"
    outside.write_text("top secret")
    os.symlink(outside, skill / "escape.txt")
    os.symlink(skill / "scripts" / "run.sh", skill / "inside.sh")
    os.mkfifo(skill / "pipe")
    loaded = load_skill(skill, max_file_bytes=1024)
    loaded_paths = {str(f.path) for f in loaded.files}
    skipped = {str(s.path): s.reason for s in loaded.skipped}
    assert loaded_paths == {"SKILL.md", "scripts/run.sh", "tool", "inside.sh"}
    assert skipped == {"big.txt": "too-large", "node_modules": "ignored-dir", "escape.txt": "symlink-escape",
                       "pipe": "special-file"}
    assert all("top secret" != f.text for f in loaded.files)
    binary = next(f for f in loaded.files if f.path == PurePosixPath("tool"))
    assert binary.text is None and binary.magic == "elf"
    assert (PurePosixPath("escape.txt"), str(outside)) in loaded.symlinks


def test_symlink_loop_does_not_hang(tmp_path: Path) -> None:
    skill = tmp_path / "s"
    skill.mkdir()
    (skill / "SKILL.md").write_text("x")
    os.symlink(skill / "a", skill / "b")
    os.symlink(skill / "b", skill / "a")
    os.symlink(skill, skill / "self")
    loaded = load_skill(skill)
    reasons = {str(s.path): s.reason for s in loaded.skipped}
    assert reasons["a"] == "broken-symlink" and reasons["self"] == "symlink-dir"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file_is_skipped(tmp_path: Path) -> None:
    skill = tmp_path / "s"
    skill.mkdir()
    (skill / "x.py").write_text("x")
    (skill / "x.py").chmod(0)
    assert [s.reason for s in load_skill(skill).skipped] == ["unreadable"]
