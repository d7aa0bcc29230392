"""Discover stage: skill roots below paths, files mapped to their skill, installed client folders."""

from __future__ import annotations

from pathlib import Path

from skillscan.discovery import discover_installed, discover_paths


def _skill(folder: Path, name: str = "SKILL.md") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("---\nname: x\ndescription: y\n---\n")
    return folder


def test_roots_below_a_path_stop_at_skills_and_skip_vendored_folders(tmp_path: Path) -> None:
    a = _skill(tmp_path / "skills" / "a")
    _skill(a / "nested")  # belongs to a
    b = _skill(tmp_path / "skills" / "b", "skill.md")
    _skill(tmp_path / "node_modules" / "pkg")
    _skill(tmp_path / ".git" / "x")
    assert [r.path for r in discover_paths([tmp_path])] == [a, b]


def test_a_file_maps_to_its_enclosing_skill_once(tmp_path: Path) -> None:
    a = _skill(tmp_path / "a")
    (a / "scripts").mkdir()
    (a / "scripts" / "x.py").write_text("")
    roots = discover_paths([a / "scripts" / "x.py", a / "SKILL.md"])
    assert [r.path for r in roots] == [a]


def test_installed_skills_are_tagged_with_client_and_scope(tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "proj"
    _skill(home / ".claude" / "skills" / "one")
    _skill(project / ".cursor" / "skills" / "two")
    target = _skill(tmp_path / "elsewhere" / "three")
    (home / ".codex" / "skills").mkdir(parents=True)
    (home / ".codex" / "skills" / "three").symlink_to(target)
    found = {r.path.name: (r.client, r.scope) for r in discover_installed(home, project)}
    assert found == {"one": ("claude-code", "user"), "two": ("cursor", "project"), "three": ("codex", "user")}
