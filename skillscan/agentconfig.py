"""The machine's own agent configuration as scan targets, and as an inventory.

Every MCP config, hook / permission / env settings file and instruction or memory file listed in
`skillscan.clients` is found here and turned into a pseudo-skill: a Skill whose root is the
file's folder and whose artifacts are exactly the discovered files of that folder (never the
rest of the folder), named after the folder ("agent config in ~/.claude"). Every rule, the
context stage and every reporter then work on them unchanged. Files of one folder share one
pseudo-skill because the pipeline and the reporters key skills by root (~/.claude holds
settings.json and CLAUDE.md; a project root holds .mcp.json, CLAUDE.md and AGENTS.md).

Nothing found in a config is ever run; files are read with the loader's safe reader (size cap,
no FIFOs, no symlink games).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from skillscan import clients
from skillscan.clients import SurfaceKind
from skillscan.load import MAX_FILE_BYTES, LoadedFile, LoadedSkill
from skillscan.model import ArtifactKind, Skill, SkippedFile
from skillscan.parse import agentconfig as parsed
from skillscan.rules.schema import Rule

# Checks that read the skill *folder* on disk (modes, git state). A pseudo-skill's folder is a
# config folder, $HOME or the project, not something the pseudo-skill owns, so they are skipped.
FOLDER_CHECKS = frozenset({"hygiene.world_writable", "hygiene.group_writable", "hygiene.linked_into_temp",
                           "hygiene.uncommitted_changes"})
_LANGUAGES = {"json": "json", "jsonc": "json", "toml": "toml", "markdown": "markdown"}


@dataclass(frozen=True)
class ConfigFile:
    path: Path  # absolute, as found under $HOME or the project
    client: str
    scope: str  # "user" | "project" | "plugin"
    kinds: tuple[SurfaceKind, ...]  # a file can be both an MCP config and a settings file
    fmt: str  # the table's format: "json", "jsonc", "toml", "markdown"
    display: str  # ~/… for files under $HOME, ./… for project files


def discover_config_files(home: Path, project: Path, skill_roots: Iterable[Path] = ()) -> list[ConfigFile]:
    """Every existing agent config / instruction file, once (the first table row that names a
    file owns it; later rows add their kind). Files inside a skill folder belong to that skill."""
    inside = [_real(r) for r in skill_roots]
    found: dict[Path, ConfigFile] = {}
    for location in clients.CLIENTS:
        if location.kind is SurfaceKind.SKILLS:
            continue
        for path in clients.expand(location, home, project):
            real = _real(path)
            if real is None or not path.is_file() or any(r is not None and real.is_relative_to(r) for r in inside):
                continue
            known = found.get(real)
            if known is None:
                found[real] = ConfigFile(path.absolute(), location.client, str(location.scope), (location.kind,),
                                         location.fmt, _display(path, location.scope, home, project))
            elif location.kind not in known.kinds:
                found[real] = replace(known, kinds=(*known.kinds, location.kind))
    return list(found.values())


def config_skills(home: Path, project: Path, skill_roots: Iterable[Path] = (),
                  max_file_bytes: int = MAX_FILE_BYTES) -> list[Skill]:
    """The pseudo-skills to scan: one per folder holding discovered agent files."""
    from skillscan.parse import parse_skill

    by_folder: dict[Path, list[ConfigFile]] = {}
    for config in discover_config_files(home, project, skill_roots):
        by_folder.setdefault(config.path.parent, []).append(config)
    skills = []
    for folder, configs in by_folder.items():
        files: list[LoadedFile] = []
        skipped: list[SkippedFile] = []
        for config in configs:
            _read(config.path, max_file_bytes, files, skipped)
        # One client and scope per skill (the report contract): the first file's; the inventory
        # (`skillscan discover`) lists each file with its own.
        skill = parse_skill(LoadedSkill(folder, tuple(files), tuple(skipped), ()), configs[0].client, configs[0].scope)
        skill = _as_formats(skill, {c.path.name: c.fmt for c in configs})
        skills.append(replace(skill, name=_name(configs), manifest={}))
    return skills


def config_rules(rules: Sequence[Rule]) -> list[Rule]:
    """The rules to run on pseudo-skills: all but the checks that judge the folder on disk."""
    return [r for r in rules if not (r.engine == "check" and r.match.get("check") in FOLDER_CHECKS)]


def inventory(home: Path, project: Path, skill_roots: Iterable[Path] = ()) -> dict[str, list[dict[str, Any]]]:
    """What `skillscan discover` reports besides skills: config files, MCP servers and hooks.
    Env and header values are never included (names only); commands and URLs are redacted."""
    configs, servers, hooks = [], [], []
    for config in discover_config_files(home, project, skill_roots):
        entry: dict[str, Any] = {"path": str(config.path), "client": config.client, "scope": config.scope,
                                 "kinds": [str(k) for k in config.kinds], "format": config.fmt}
        configs.append(entry)
        if config.fmt == "markdown":
            continue
        doc = _parse_file(config)
        entry["parsed"] = doc is not None
        if doc is None:
            continue
        where = {"client": config.client, "scope": config.scope, "file": str(config.path)}
        for server in doc.servers():
            servers.append({
                "name": server.name, **where, "line": server.line, "transport": server.transport,
                "command": parsed.redact(" ".join(server.command[:1])),
                "args": parsed.redact_words(server.command[1:]),
                "url": parsed.redact(server.url),
                "env": [name for name, _, _ in server.env], "headers": [name for name, _, _ in server.headers],
            })
        for hook in doc.hooks():
            hooks.append({"event": hook.event, "kind": hook.kind, **where, "line": hook.line,
                          "matcher": hook.matcher, "command": parsed.redact(hook.command)})
    return {"configs": configs, "mcp_servers": servers, "hooks": hooks}


# ---------------------------------------------------------------- helpers


def _read(path: Path, max_file_bytes: int, files: list[LoadedFile], skipped: list[SkippedFile]) -> None:
    """Read one config file with the loader's safe reader (resolved: dotfile managers link them)."""
    from pathlib import PurePosixPath

    from skillscan.load import _load_regular

    rel = PurePosixPath(path.name)
    try:
        real = path.resolve(strict=True)
        st = os.stat(real)
    except (OSError, RuntimeError) as error:
        skipped.append(SkippedFile(rel, "unreadable", getattr(error, "strerror", "") or str(error)))
        return
    _load_regular(real, rel, st, max_file_bytes, files, skipped)


def _parse_file(config: ConfigFile) -> parsed.ConfigDoc | None:
    files: list[LoadedFile] = []
    _read(config.path, MAX_FILE_BYTES, files, [])
    if not files or files[0].text is None:
        return None
    return parsed.read(files[0].text, config.path.name, _LANGUAGES.get(config.fmt, ""))


def _as_formats(skill: Skill, formats: dict[str, str]) -> Skill:
    """Read each file the way its client does, whatever its name suggests (.cursorrules is
    Markdown, *.kiro.hook is JSON, an .mdc rule is Markdown prose)."""
    from skillscan.parse import _markdown_artifacts

    artifacts = []
    for artifact in skill.artifacts:
        wanted = _LANGUAGES.get(formats.get(str(artifact.path), ""))
        if artifact.is_virtual or wanted is None or artifact.kind is ArtifactKind.BINARY:
            artifacts.append(artifact)
        elif wanted == "markdown":
            if artifact.kind is ArtifactKind.DOCUMENT and artifact.language == "markdown":
                artifacts.append(artifact)
            else:
                loaded = LoadedFile(artifact.path, artifact.text, artifact.sha256, len(artifact.text), 0o100644)
                artifacts.extend(_markdown_artifacts(loaded, ArtifactKind.DOCUMENT, 1, ""))
        elif artifact.kind is ArtifactKind.CONFIG and artifact.language == wanted:
            artifacts.append(artifact)
        else:
            artifacts.append(replace(artifact, kind=ArtifactKind.CONFIG, language=wanted))
    return replace(skill, artifacts=tuple(artifacts))


def _name(configs: list[ConfigFile]) -> str:
    """Named after the folder only: a baseline keys findings by skill name, so the name must not
    change when another config file appears next to the first one."""
    folder = configs[0].display.rsplit("/", 1)[0] or "/"
    return f"agent config in {folder}/" if folder in ("~", ".") else f"agent config in {folder}"


def _display(path: Path, scope: clients.Scope, home: Path, project: Path) -> str:
    bases = [(project, "."), (home, "~")] if scope is clients.Scope.PROJECT else [(home, "~"), (project, ".")]
    for base, prefix in bases:
        for form in (base.absolute(), _real(base)):
            if form is not None and path.is_relative_to(form):
                return f"{prefix}/{path.relative_to(form).as_posix()}"
    return str(path)


def _real(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None
