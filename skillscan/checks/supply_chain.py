"""Supply-chain checks (C12) that need more than a regex: typosquatted names, and OpenClaw
install metadata downloads without a checksum.

Options read from the rule's `match`:
  typosquat_names:
    targets: [name, …]     # registry tooling and popular skill names to protect
    min_length: 5          # shorter targets are skipped (too many innocent near-misses)
  openclaw_unverified_downloads: no options
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from skillscan.model import Artifact, ArtifactKind, Match, Skill, Span
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex

# Package names handed to an installer or runner: npx/bunx/pnpm dlx/uvx/pipx run, npm/pnpm/yarn/bun
# add|install|i, pip install, brew install, cargo install, gem install, go install.
_INSTALL = re.compile(
    r"""(?ix)\b(?:
        (?:npx|bunx|uvx)(?:\s+-{1,2}[a-z-]+)*
      | pnpm\s+dlx | pipx\s+(?:run|install)
      | (?:npm|pnpm|yarn|bun)\s+(?:add|install|i)(?:\s+-{1,2}[a-z-]+)*
      | pip3?\s+install(?:\s+-{1,2}[a-z-]+)* | uv\s+(?:pip\s+install|add|tool\s+install)
      | brew\s+install(?:\s+--cask)? | cargo\s+install | gem\s+install
    )\s+(?P<name>@?[a-z0-9][a-z0-9._/-]*)"""
)
_VERSION_SUFFIX = re.compile(r"(?:@[^/\s]*$|==.*$|\[.*$)")
_OPENCLAW_KEYS = ("openclaw", "clawdbot", "clawdis")


def typosquat_names(rule: Rule, skill: Skill) -> Iterator[Match]:
    """The skill's name, or a package it installs, is one edit away from a protected name."""
    targets = tuple(str(t).lower() for t in rule.match.get("targets", ()))
    min_length = int(rule.match.get("min_length", 5))
    protected = tuple(t for t in targets if len(t) >= min_length)
    if not protected:
        return
    skill_md = _skill_md(skill)
    name = skill.manifest.get("name")
    if skill_md is not None and isinstance(name, str):
        hit = _closest(name.strip().lower(), protected)
        if hit is not None:
            line = _frontmatter_line(skill_md, "name")
            yield Match(rule.id, skill_md, Span(line, 1, line, 1), name.strip(), {"target": hit})
    for artifact in skill.artifacts:
        # Real files only: a Markdown file's text already holds its code fences.
        if artifact.is_virtual or not artifact.text:
            continue
        if artifact.kind not in (ArtifactKind.SCRIPT, ArtifactKind.SKILL_MD, ArtifactKind.DOCUMENT):
            continue
        index: LineIndex | None = None
        for found in _INSTALL.finditer(artifact.text):
            package = _VERSION_SUFFIX.sub("", found.group("name").lower())
            bare = package.rsplit("/", 1)[-1] if not package.startswith("@") else package.split("/")[-1]
            hit = _closest(bare, protected)
            if hit is None:
                continue
            index = index or LineIndex(artifact.text)
            start, end = found.span("name")
            yield Match(rule.id, artifact, index.span(start, end), found.group("name"), {"target": hit})


def openclaw_unverified_downloads(rule: Rule, skill: Skill) -> Iterator[Match]:
    """`metadata.openclaw.install` entries of kind `download` (or with a `url`) without `sha256`."""
    skill_md = _skill_md(skill)
    metadata = skill.manifest.get("metadata")
    if skill_md is None or not isinstance(metadata, Mapping):
        return
    for key in _OPENCLAW_KEYS:
        block = metadata.get(key)
        installs = block.get("install") if isinstance(block, Mapping) else None
        if not isinstance(installs, Sequence) or isinstance(installs, (str, bytes)):
            continue
        for entry in installs:
            if not isinstance(entry, Mapping):
                continue
            url = entry.get("url")
            kind = str(entry.get("kind", "")).lower()
            if not isinstance(url, str) or (kind and kind != "download"):
                continue
            checksum = entry.get("sha256")
            if isinstance(checksum, str) and re.fullmatch(r"[0-9a-fA-F]{64}", checksum.strip()):
                continue
            line = _line_containing(skill_md, url)
            yield Match(rule.id, skill_md, Span(line, 1, line, 1), url, {"url": url})


def _closest(candidate: str, targets: Sequence[str]) -> str | None:
    """The protected name `candidate` imitates: not equal, within the allowed edit distance, or the
    name with a digit/`-official`-style suffix."""
    candidate = candidate.strip().lower()
    if not candidate or candidate in targets:
        return None
    for target in targets:
        if candidate.startswith(target) and re.fullmatch(r"[-_.]?(?:\d+|official|verified|real|pro|app)", candidate[len(target):]):
            return target
        limit = 1 if len(target) < 9 else 2
        if abs(len(candidate) - len(target)) > limit:
            continue
        if _distance(candidate, target, limit) <= limit:
            return target
    return None


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau–Levenshtein (optimal string alignment) distance, stopping early above `limit`."""
    previous2: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _skill_md(skill: Skill) -> Artifact | None:
    for artifact in skill.artifacts:
        if artifact.kind is ArtifactKind.SKILL_MD and not artifact.is_virtual:
            return artifact
    return None


def _frontmatter_line(artifact: Artifact, key: str) -> int:
    for number, line in enumerate(artifact.text.split("\n"), start=1):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return number
    return 1


def _line_containing(artifact: Artifact, needle: str) -> int:
    for number, line in enumerate(artifact.text.split("\n"), start=1):
        if needle in line:
            return number
    return _frontmatter_line(artifact, "metadata")
