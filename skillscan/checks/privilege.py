"""Privilege checks (C11): symlinks that lead out of the skill, real or created by its code.

A skill is only the folder the user reviewed. A symlink inside it that points outside (at
~/.ssh, ~/.aws, /etc, the home directory, another skill) lets anything that reads "a file of
the skill" read or write that target instead — a sandbox escape (TS-2026-0031, TS-2026-0157).

Options read from the rule's `match`:
    credential: true|false   # true: only targets matching `any`; false: only targets not matching it
    any: [pattern, …]        # credential-path patterns (lists are expanded by the loader)
    broad: [pattern, …]      # (credential: false only) code-created link targets worth reporting:
                             #   root, home, system folders …
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from skillscan.model import Artifact, ArtifactKind, Match, Skill, Span
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex

# Commands and calls that create a symbolic link; the named group is the link *target*.
_LINK_CREATION = (
    # ln -s [-f|-n|-v …] TARGET LINK   (flags may be combined: -sf, -sfn)
    re.compile(r"""\bln\s+(?:-[a-zA-Z]*s[a-zA-Z]*|--symbolic)(?:\s+-{1,2}[a-zA-Z-]+)*\s+["']?(?P<target>[^\s"';|&]+)"""),
    # os.symlink(TARGET, LINK) / os.symlink(os.path.expanduser("~/.ssh"), …)
    re.compile(r"""\bos\.symlink\s*\(\s*(?:os\.path\.expanduser\s*\(\s*|Path\s*\(\s*)?[rfb]?["'](?P<target>[^"']+)["']"""),
    # Path(LINK).symlink_to(TARGET)
    re.compile(r"""\.symlink_to\s*\(\s*(?:os\.path\.expanduser\s*\(\s*|Path\s*\(\s*)?[rfb]?["'](?P<target>[^"']+)["']"""),
    # fs.symlinkSync(TARGET, LINK) / fs.symlink / fs.promises.symlink
    re.compile(r"""\bsymlink(?:Sync)?\s*\(\s*(?:path\.join\s*\(\s*os\.homedir\(\)\s*,\s*)?["'`](?P<target>[^"'`]+)["'`]"""),
    # New-Item -ItemType SymbolicLink … -Target TARGET   /   mklink [/D] LINK TARGET
    re.compile(r"""(?i)\bNew-Item\b[^\n]*-ItemType\s+SymbolicLink\b[^\n]*-(?:Target|Value)\s+["']?(?P<target>[^\s"']+)"""),
    re.compile(r"""(?i)\bmklink\s+(?:/[dhj]\s+)*["']?[^\s"']+["']?\s+["']?(?P<target>[^\s"']+)"""),
)
_HOME_PREFIX = re.compile(r"""^(?:~|\$HOME|\$\{HOME\}|%USERPROFILE%|\$env:USERPROFILE|/home/[^/]+|/Users/[^/]+|/root)(?=/|$)""")
_HOME_CALL = re.compile(r"""os\.homedir\(\)|Path\.home\(\)|expanduser""")


def symlink_escape(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Escaping symlinks in the skill folder, and link-creating code whose target is selected."""
    credential = bool(rule.match.get("credential", False))
    patterns = _compile(tuple(rule.match.get("any", ())))
    broad = _compile(tuple(rule.match.get("broad", ())))

    def wanted(target: str, from_code: bool) -> bool:
        normalised = _normalise(target)
        is_credential = any(p.search(normalised) for p in patterns)
        if credential:
            return is_credential
        if is_credential:
            return False
        return not from_code or any(p.search(normalised) for p in broad)

    escaping = {s.path for s in skill.skipped if s.reason == "symlink-escape"}
    broken = {s.path for s in skill.skipped if s.reason == "broken-symlink"}
    for link, target in skill.symlinks:
        # A dangling link still counts when its written target leaves the skill: the target may
        # simply not exist on the scanning machine (no ~/.aws here, but on the victim's).
        leaves = link in escaping or (link in broken and _leaves_skill(link, target))
        if leaves and wanted(target, from_code=False):
            yield Match(rule.id, _placeholder(link), Span(1, 1, 1, 1), f"{link} -> {target}")
    for artifact in skill.artifacts:
        if artifact.kind not in (ArtifactKind.SCRIPT, ArtifactKind.CONFIG) or not artifact.text:
            continue
        if "ln" not in artifact.text and "symlink" not in artifact.text.lower() and "mklink" not in artifact.text.lower():
            continue
        index: LineIndex | None = None
        for pattern in _LINK_CREATION:
            for found in pattern.finditer(artifact.text):
                target = found.group("target")
                if not wanted(target, from_code=True):
                    continue
                index = index or LineIndex(artifact.text)
                start, end = found.span()
                yield Match(rule.id, artifact, index.span(start, end), found.group(0), {"target": target})


def _leaves_skill(link: PurePosixPath, target: str) -> bool:
    text = target.strip().replace("\\", "/")
    if text.startswith(("/", "~", "$")) or re.match(r"^[A-Za-z]:/", text):
        return True
    depth = len(link.parts) - 1
    for part in PurePosixPath(text).parts:
        depth += -1 if part == ".." else (0 if part == "." else 1)
        if depth < 0:
            return True
    return False


def _normalise(target: str) -> str:
    """`$HOME/.ssh/id_rsa`, `/Users/a/.ssh`, `%USERPROFILE%\\.ssh` → `~/.ssh/…` for matching."""
    text = target.strip().strip("\"'").replace("\\", "/")
    text = _HOME_PREFIX.sub("~", text)
    if _HOME_CALL.search(text):
        text = "~/" + text.split(",")[-1].strip(" \"')")
    return text


@lru_cache(maxsize=64)
def _compile(patterns: tuple[Any, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns if isinstance(p, str))


def _placeholder(path: object) -> Artifact:
    return Artifact(PurePosixPath(str(path)), ArtifactKind.BINARY, None, "", "")
