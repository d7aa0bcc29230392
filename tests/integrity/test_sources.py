"""Sources read from files (git is never run by skillscan), and expected-update classification."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from skillscan.integrity import sources

from ..helpers import run_cli
from .conftest import Env, make_skill

SHA_A, SHA_B = "a" * 40, "b" * 40


def _fake_repo(folder: Path, head: str = "ref: refs/heads/main\n") -> Path:
    git = folder / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text(head)
    (git / "config").write_text('[core]\n\tbare = false\n[remote "origin"]\n'
                                '\turl = https://user:ghp_token123@github.com/acme/skills.git\n')
    return git


def test_git_source_from_loose_ref_and_packed_refs(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    skill = make_skill(repo / "skills", "alpha")
    git = _fake_repo(repo)
    (git / "packed-refs").write_text(f"# pack-refs with: peeled\n{SHA_A} refs/heads/main\n")
    found = sources.git_source(skill)
    assert found == {"commit": SHA_A, "ref": "refs/heads/main", "remote": "https://github.com/acme/skills.git",
                     "subdir": "skills/alpha"}
    (git / "refs" / "heads" / "main").write_text(SHA_B + "\n")  # loose ref wins
    assert sources.git_source(skill)["commit"] == SHA_B
    (git / "HEAD").write_text(SHA_A + "\n")  # detached
    assert sources.git_source(skill)["commit"] == SHA_A


def test_git_source_of_a_linked_worktree(tmp_path: Path) -> None:
    main = tmp_path / "main"
    git = _fake_repo(main)
    (git / "worktrees" / "wt").mkdir(parents=True)
    (git / "worktrees" / "wt" / "HEAD").write_text("ref: refs/heads/feature\n")
    (git / "worktrees" / "wt" / "commondir").write_text("../..\n")
    (git / "refs" / "heads" / "feature").write_text(SHA_B + "\n")
    skill = make_skill(tmp_path / "wt", "alpha")
    (tmp_path / "wt" / ".git").write_text(f"gitdir: {git / 'worktrees' / 'wt'}\n")
    found = sources.git_source(skill)
    assert found["commit"] == SHA_B and found["remote"] == "https://github.com/acme/skills.git"


def test_clawhub_origin_and_claude_plugin(tmp_path: Path) -> None:
    skill = make_skill(tmp_path, "alpha")
    (skill / ".clawhub").mkdir()
    (skill / ".clawhub" / "origin.json").write_text(json.dumps(
        {"registry": "https://clawhub.ai", "slug": "acme/alpha", "version": "1.2.0", "authToken": "secret"}))
    origin = sources.clawhub_origin(skill)
    assert origin == {"registry": "https://clawhub.ai", "slug": "acme/alpha", "version": "1.2.0"}
    home = tmp_path / "home"
    plugin_root = home / ".claude" / "plugins" / "cache" / "mkt" / "tools" / "1.0.0"
    plugin_skill = make_skill(plugin_root / "skills", "beta")
    (home / ".claude" / "plugins" / "installed_plugins.json").write_text(json.dumps(
        {"version": 2, "plugins": {"tools@mkt": [{"scope": "user", "installPath": str(plugin_root),
                                                   "version": "1.0.0", "gitCommitSha": SHA_A}]}}))
    assert sources.plugin_source(plugin_skill, home) == {"plugin": "tools@mkt", "version": "1.0.0", "commit": SHA_A}


def test_moved_commit_makes_drift_an_expected_update(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    skill = make_skill(env.skills, "alpha")
    git = _fake_repo(env.skills / "alpha")
    (git / "refs" / "heads" / "main").write_text(SHA_A + "\n")
    assert run_cli(capsys, "lock", "--no-scan").code == 0
    assert "ghp_token123" not in env.lockfile.read_text()
    (skill / "references" / "a.md").write_text("# A\n\nUpdated upstream.\n")
    (git / "refs" / "heads" / "main").write_text(SHA_B + "\n")
    done = run_cli(capsys, "verify", "--format", "json")
    drifts = {d["kind"]: d for d in json.loads(done.out)["drift"]}
    assert done.code == 1
    assert drifts["file-modified"]["severity"] == "medium"
    assert "expected update" in drifts["source-updated"]["detail"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_uncommitted_changes_from_the_index(tmp_path: Path) -> None:
    from skillscan.integrity.gitindex import uncommitted

    repo = tmp_path / "repo"
    skill = make_skill(repo / "skills", "alpha")
    make_skill(repo / "skills", "beta")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init")
    assert uncommitted(skill) == []
    (skill / "references" / "a.md").write_text("# A\n\nchanged\n")
    (skill / "references" / "b.md").unlink()
    (skill / "SKILL.md").chmod(0o755)
    assert sorted(uncommitted(skill)) == [("SKILL.md", "mode changed"), ("references/a.md", "modified"),
                                          ("references/b.md", "deleted")]
    assert uncommitted(repo / "skills" / "beta") == []
    git("update-index", "--index-version", "4")
    assert len(uncommitted(skill)) == 3
