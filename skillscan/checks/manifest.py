"""SKILL.md frontmatter checks: name and description (manifest hygiene, trigger hijack).

The checks only look at a frontmatter that parsed cleanly; a missing or malformed frontmatter
is reported once by the `structure.parse_issues` rules instead.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from skillscan.model import Artifact, ArtifactKind, Match, Skill, Span
from skillscan.parse import frontmatter
from skillscan.rules.schema import Rule

# Agent Skills specification: 1–64 characters, lowercase letters, digits and single hyphens.
_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_WORD = re.compile(r"[a-z][a-z0-9+#.-]*")
_STOPWORDS = frozenset(
    "a an and or the to of for in on with when use this skill is are be it as by at from that any all "
    "you your user users asks ask wants need needs about into via using can will".split()
)


def _skill_md(skill: Skill) -> Artifact | None:
    for artifact in skill.artifacts:
        if artifact.kind is ArtifactKind.SKILL_MD and not artifact.is_virtual:
            return artifact
    return None


def _clean_frontmatter(skill: Skill) -> tuple[Artifact, frontmatter.Frontmatter] | None:
    artifact = _skill_md(skill)
    if artifact is None:
        return None
    parsed = frontmatter.parse(artifact.text)
    if parsed.end_line == 0 or any(code != "yaml-duplicate-key" for code, _, _ in parsed.issues):
        return None
    return artifact, parsed


def _key_line(artifact: Artifact, parsed: frontmatter.Frontmatter, key: str) -> int:
    lines = artifact.text.split("\n")
    for number in range(parsed.first_line, parsed.end_line):
        if re.match(rf"^{re.escape(key)}\s*:", lines[number - 1]):
            return number
    return parsed.end_line  # a missing key belongs before the closing `---`


def _at(rule: Rule, artifact: Artifact, line: int, evidence: str, note: str = "") -> Match:
    length = len(artifact.text.split("\n")[line - 1]) if artifact.text else 0
    return Match(rule.id, artifact, Span(line, 1, line, length + 1), evidence, note=note)


def name_problems(rule: Rule, skill: Skill) -> Iterator[Match]:
    """`name` missing, not a string, not in the spec's format, or not the skill folder's name."""
    found = _clean_frontmatter(skill)
    if found is None:
        return
    artifact, parsed = found
    name = parsed.data.get("name")
    if not isinstance(name, str) or not name.strip():
        yield _at(rule, artifact, _key_line(artifact, parsed, "name"), "name: (missing)",
                  note="the frontmatter has no usable `name`")
        return
    line = _key_line(artifact, parsed, "name")
    if len(name) > 64 or not _NAME.match(name):
        yield _at(rule, artifact, line, name[:80],
                  note="a skill name is 1-64 lowercase letters, digits and single hyphens")
        return
    folder = skill.root.name
    if rule.match.get("folder", True) and folder and name != folder:
        yield _at(rule, artifact, line, name, note=f"the skill's folder is named {folder!r}")


def description_missing(rule: Rule, skill: Skill) -> Iterator[Match]:
    """`description` missing, empty, not a string, or shorter than `min_chars`."""
    found = _clean_frontmatter(skill)
    if found is None:
        return
    artifact, parsed = found
    minimum = int(rule.match.get("min_chars", 12))
    description = parsed.data.get("description")
    line = _key_line(artifact, parsed, "description")
    if not isinstance(description, str) or not description.strip():
        yield _at(rule, artifact, line, "description: (missing)", note="the frontmatter has no usable `description`")
    elif len(description.strip()) < minimum:
        yield _at(rule, artifact, line, description.strip(), note=f"a description of {len(description.strip())} characters")


def keyword_stuffing(rule: Rule, skill: Skill) -> Iterator[Match]:
    """A description that is a long keyword list or repeats the same words to win trigger matching."""
    found = _clean_frontmatter(skill)
    if found is None:
        return
    artifact, parsed = found
    description = parsed.data.get("description")
    if not isinstance(description, str):
        return
    min_items = int(rule.match.get("min_items", 30))
    min_repeats = int(rule.match.get("min_repeats", 6))
    line = _key_line(artifact, parsed, "description")
    items = [i.strip() for i in re.split(r"[,;|/\n]|\s+-\s+|\s{2,}", description) if i.strip()]
    short_items = [i for i in items if len(i.split()) <= 3]
    if len(short_items) >= min_items and len(short_items) >= 0.8 * len(items):
        yield _at(rule, artifact, line, f"{len(short_items)} comma-separated keywords",
                  note="keyword-stuffed description: " + ", ".join(short_items[:8]) + ", …")
        return
    words = Counter(w for w in _WORD.findall(description.lower()) if w not in _STOPWORDS and len(w) > 2)
    if words:
        word, count = words.most_common(1)[0]
        if count >= min_repeats and count / max(1, sum(words.values())) > 0.15:
            yield _at(rule, artifact, line, f"{word!r} ×{count}",
                      note=f"the description repeats {word!r} {count} times")
