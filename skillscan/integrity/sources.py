"""Where a skill came from, read from files only (git is never run): the enclosing git work
tree's remote and commit, ClawHub's `.clawhub/origin.json`, and Claude Code's
`installed_plugins.json` entry (plugin@marketplace, version, commit).

When the source moved (new commit, new registry version), content drift is an expected update
rather than an unexplained swap. Credentials in remote URLs are dropped before recording.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_META_BYTES = 1024 * 1024
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_SECRETISH = re.compile(r"token|secret|password|passwd|auth|key|cookie|session|credential", re.I)


@dataclass(frozen=True)
class GitRepo:
    worktree: Path  # the folder holding .git
    gitdir: Path
    commondir: Path  # differs from gitdir for linked worktrees


def find_repo(start: Path, max_up: int = 40) -> GitRepo | None:
    for folder in [start, *start.parents][:max_up]:
        dotgit = folder / ".git"
        try:
            if dotgit.is_dir():
                gitdir = dotgit
            elif dotgit.is_file():
                text = _read(dotgit)
                if not text or not text.startswith("gitdir:"):
                    continue
                gitdir = (folder / text[len("gitdir:"):].strip()).resolve()
            else:
                continue
        except OSError:
            continue
        common = gitdir
        pointer = _read(gitdir / "commondir")
        if pointer:
            common = (gitdir / pointer.strip()).resolve()
        return GitRepo(folder, gitdir, common)
    return None


def git_source(root: Path) -> dict[str, str]:
    repo = find_repo(root.resolve())
    if repo is None:
        return {}
    head = (_read(repo.gitdir / "HEAD") or "").strip()
    ref, commit = "", ""
    if head.startswith("ref:"):
        ref = head[4:].strip()
        commit = resolve_ref(repo, ref)
    elif _SHA.match(head):
        commit = head
    result = {"commit": commit, "ref": ref, "remote": remote_url(repo.commondir)}
    try:
        result["subdir"] = root.resolve().relative_to(repo.worktree.resolve()).as_posix()
    except ValueError:
        result["subdir"] = ""
    return {k: v for k, v in result.items() if v}


def resolve_ref(repo: GitRepo, ref: str) -> str:
    if not ref.startswith("refs/") or ".." in ref:
        return ""
    for base in (repo.gitdir, repo.commondir):
        value = (_read(base / ref) or "").strip()
        if _SHA.match(value):
            return value
    for line in (_read(repo.commondir / "packed-refs") or "").splitlines():
        parts = line.split(" ", 1)
        if len(parts) == 2 and parts[1].strip() == ref and _SHA.match(parts[0]):
            return parts[0]
    return ""


def remote_url(commondir: Path) -> str:
    import configparser

    text = _read(commondir / "config")
    if not text:
        return ""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return ""
    remotes = [s for s in parser.sections() if s.startswith('remote "')]
    remotes.sort(key=lambda s: s != 'remote "origin"')
    for section in remotes:
        url = parser.get(section, "url", fallback="")
        if url:
            return clean_url(url.strip())
    return ""


def clean_url(url: str) -> str:
    """Drop user:password@ and query strings, where tokens hide."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if not parts.scheme or not parts.netloc:
        return url if "@" not in url.split(":", 1)[0] or url.startswith("git@") else ""
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def clawhub_origin(root: Path) -> dict[str, Any]:
    text = _read(root / ".clawhub" / "origin.json")
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {"error": "unparsable .clawhub/origin.json"}
    if not isinstance(data, dict):
        return {}
    return {k: (clean_url(v) if isinstance(v, str) and "://" in v else v) for k, v in sorted(data.items())
            if isinstance(v, (str, int, float, bool)) and not _SECRETISH.search(k) and len(str(v)) < 512}


def plugin_source(root: Path, home: Path) -> dict[str, str]:
    """Claude Code plugin that installed this skill, from ~/.claude/plugins/installed_plugins.json."""
    data = _plugins_json(home)
    real = root.resolve()
    plugins = data.get("plugins") if isinstance(data, dict) else None
    if not isinstance(plugins, dict):
        return {}
    for ident, installs in plugins.items():
        for install in installs if isinstance(installs, list) else [installs]:
            if not isinstance(install, dict) or not isinstance(install.get("installPath"), str):
                continue
            try:
                if real.is_relative_to(Path(install["installPath"]).resolve()):
                    found = {"plugin": str(ident), "version": str(install.get("version", "")),
                             "commit": str(install.get("gitCommitSha", ""))}
                    return {k: v for k, v in found.items() if v}
            except (OSError, RuntimeError):
                continue
    return {}


_PLUGINS_CACHE: dict[Path, tuple[float, Any]] = {}


def _plugins_json(home: Path) -> Any:
    path = home / ".claude" / "plugins" / "installed_plugins.json"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    cached = _PLUGINS_CACHE.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        data = json.loads(_read(path) or "{}")
    except ValueError:
        data = {}
    _PLUGINS_CACHE[path] = (mtime, data)
    return data


def source_of(root: Path, home: Path) -> dict[str, Any]:
    source: dict[str, Any] = {}
    if git := git_source(root):
        source["git"] = git
    if origin := clawhub_origin(root):
        source["clawhub"] = origin
    if plugin := plugin_source(root, home):
        source["plugin"] = plugin
    return source


def update_event(before: dict[str, Any], after: dict[str, Any]) -> str:
    """A description of how the source moved (an expected update), or '' if it did not."""
    moves = []
    for kind, fields in (("git", ("commit",)), ("clawhub", ("version", "installedVersion")),
                         ("plugin", ("version", "commit"))):
        old, new = before.get(kind) or {}, after.get(kind) or {}
        for name in fields:
            if old.get(name) and new.get(name) and old[name] != new[name]:
                moves.append(f"{kind} {name} {str(old[name])[:12]} → {str(new[name])[:12]}")
    return "; ".join(moves)


def _read(path: Path) -> str | None:
    """A small regular file's text; never blocks on a FIFO planted where metadata should be."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, MAX_META_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    finally:
        os.close(fd)
