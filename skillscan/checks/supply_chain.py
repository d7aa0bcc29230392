"""Supply-chain checks (C12) that need more than a regex: typosquatted names, OpenClaw install
metadata downloads without a checksum, and npm install hooks that run a bundled script which
goes to the network.

Options read from the rule's `match`:
  typosquat_names:
    targets: [name, …]     # registry tooling and popular skill names to protect
    min_length: 5          # shorter targets are skipped (too many innocent near-misses)
  openclaw_unverified_downloads:
    tier: moving|fixed     # moving: only URLs naming a moving target (`any`) on a host not in
                           #   `exclude`; fixed: only the others; unset: every unverified download
    any: [pattern, …]      # what makes a URL a moving target (latest, nightly, main branch …)
    exclude: [pattern, …]  # hosts whose moving URLs stay in the fixed tier (code hosting, vendors)
  install_hook_network_script:
    any: [pattern, …]      # what counts as network use inside the script the hook runs
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from skillscan.model import Artifact, ArtifactKind, Location, Match, Skill, Span
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
    tier = rule.match.get("tier")
    moving = [re.compile(p) for p in rule.match.get("any", ()) if isinstance(p, str)]
    trusted = [re.compile(p) for p in rule.match.get("exclude", ()) if isinstance(p, str)]
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
            if tier in ("moving", "fixed"):
                escalated = any(m.search(url) for m in moving) and not any(t.search(url) for t in trusted)
                if escalated != (tier == "moving"):
                    continue
            line = _line_containing(skill_md, url)
            yield Match(rule.id, skill_md, Span(line, 1, line, 1), url, {"url": url})


# An npm lifecycle script that runs a file of the package: `node scripts/x.js`, `sh ./setup.sh` …
_HOOK_SCRIPTS = ("preinstall", "install", "postinstall", "prepare", "preprepare", "postprepare")
_RUNS_FILE = re.compile(
    r"""(?:^|[\s;&|(])(?:(?:node|nodejs|bun|deno\s+run|tsx|ts-node|python[0-9.]*|py|sh|bash|zsh|pwsh|powershell)"""
    r"""(?:\s+-{1,2}[\w=-]+)*\s+)?["']?(?P<path>\.{0,2}/?[\w./-]+\.(?:c?js|mjs|ts|py|sh|ps1))\b"""
)
# … or another script of the same package.json: `npm run setup`, `yarn setup`, `pnpm run setup`
_RUNS_SCRIPT = re.compile(r"(?:^|[\s;&|(])(?:npm\s+run(?:-script)?|pnpm(?:\s+run)?|yarn(?:\s+run)?|bun\s+run)\s+(?P<name>[\w:.-]+)")
_MAX_HOPS = 3


def install_hook_network_script(rule: Rule, skill: Skill) -> Iterator[Match]:
    """package.json install hooks (preinstall, install, postinstall, prepare) whose code uses the
    network: a script of the skill they run, or another npm script they call (`npm run setup`)."""
    from skillscan.parse import jsonc

    network = [re.compile(p) for p in rule.match.get("any", ()) if isinstance(p, str)]
    by_path = {str(a.path): a for a in skill.artifacts if not a.is_virtual and a.text}
    for artifact in skill.artifacts:
        if artifact.is_virtual or not artifact.text or artifact.path.name != "package.json":
            continue
        try:
            located = jsonc.parse(artifact.text)
        except ValueError:
            continue
        manifest = located.data
        scripts = manifest.get("scripts") if isinstance(manifest, Mapping) else None
        if not isinstance(scripts, Mapping):
            continue
        for hook in _HOOK_SCRIPTS:
            command = scripts.get(hook)
            if not isinstance(command, str):
                continue
            found = _hook_network(command, scripts, artifact.path, located.value_lines, by_path, network, set())
            if found is None:
                continue
            where, line, snippet = found
            json_line = located.value_lines.get(("scripts", hook)) or _line_containing_all(artifact, f'"{hook}"')
            related = (Location(where, line, 1, snippet),)
            yield Match(rule.id, artifact, Span(json_line, 1, json_line, 1), f"{hook}: {command.strip()}",
                        {"hook": hook, "script": str(where)}, related,
                        note=f"{where}:{line} uses the network: {snippet}")


def _hook_network(command: str, scripts: Mapping[str, Any], manifest: PurePosixPath, lines: Mapping[Any, int],
                  by_path: Mapping[str, Artifact], network: Sequence[re.Pattern[str]],
                  visited: set[str]) -> tuple[PurePosixPath, int, str] | None:
    """(file, line, snippet) of the first network use the hook command reaches, following local
    script files and other npm scripts of the same manifest a few hops deep."""
    for found in _RUNS_FILE.finditer(command):
        target = by_path.get(_join(manifest.parent, found.group("path")))
        if target is not None:
            hit = _first_match(network, target.text)
            if hit is not None:
                return target.path, hit[0], hit[1]
    for found in _RUNS_SCRIPT.finditer(command):
        name = found.group("name")
        other = scripts.get(name)
        if name in visited or len(visited) >= _MAX_HOPS or not isinstance(other, str):
            continue
        visited.add(name)
        if _first_match(network, other) is not None:
            return manifest, lines.get(("scripts", name), 1), f'"{name}": {other.strip()[:160]}'
        deeper = _hook_network(other, scripts, manifest, lines, by_path, network, visited)
        if deeper is not None:
            return deeper
    return None


def _join(base: PurePosixPath, relative: str) -> str:
    parts: list[str] = [] if str(base) in ("", ".") else list(base.parts)
    for part in relative.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def _first_match(patterns: Sequence[re.Pattern[str]], text: str) -> tuple[int, str] | None:
    best: re.Match[str] | None = None
    for pattern in patterns:
        found = pattern.search(text)
        if found is not None and (best is None or found.start() < best.start()):
            best = found
    if best is None:
        return None
    line = text.count("\n", 0, best.start()) + 1
    return line, text.split("\n")[line - 1].strip()[:160]


def _line_containing_all(artifact: Artifact, *needles: str) -> int:
    for number, line in enumerate(artifact.text.split("\n"), start=1):
        if all(n in line for n in needles):
            return number
    for number, line in enumerate(artifact.text.split("\n"), start=1):
        if needles and needles[0] in line:
            return number
    return 1


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
