"""Structural checks: what the loader and parsers noticed about a skill's files."""

from __future__ import annotations

from collections.abc import Iterator

from skillscan.model import Artifact, ArtifactKind, Match, Skill, Span
from skillscan.rules.schema import Rule


def parse_issues(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Parser issues whose code is in the rule's `codes` option."""
    codes = set(rule.match.get("codes", ()))
    by_path = {a.path: a for a in skill.artifacts}
    for issue in skill.parse_issues:
        artifact = by_path.get(issue.path)
        if issue.code in codes and artifact is not None:
            yield Match(rule.id, artifact, Span(issue.line, 1, issue.line, 1), issue.message)


def symlink_escape(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Symlinks that point outside the skill: never followed, always reported."""
    escaping = {s.path for s in skill.skipped if s.reason == "symlink-escape"}
    for link, target in skill.symlinks:
        if link in escaping:
            yield Match(rule.id, _placeholder(link), Span(1, 1, 1, 1), f"{link} -> {target}")


def binary_files(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Binary files of the kinds named in the rule's `magic` option (executables, bytecode …)."""
    wanted = set(rule.match.get("magic", ()))
    for artifact in skill.artifacts:
        if artifact.kind is ArtifactKind.BINARY and artifact.language in wanted:
            yield Match(rule.id, artifact, Span(1, 1, 1, 1), f"{artifact.language} file {artifact.path.name}")


def _placeholder(path: object) -> Artifact:
    from pathlib import PurePosixPath

    return Artifact(PurePosixPath(str(path)), ArtifactKind.BINARY, None, "", "")
