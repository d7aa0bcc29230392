"""The bandit engine: bandit's checks under skillscan rule ids, in-process, once per scan.

Match body:

    test_id: B602            # or a list: [B602, B605]

Each mapped rule carries its own docs; bandit results whose test id no rule maps are dropped.
Findings keep bandit's test id and text in their note ("bandit B602: …"). All Python artifacts of
all skills (bundled files and Python code fences) are written to one private temporary folder and
handed to one BanditManager run, restricted to the mapped test ids. `# nosec` comments in scanned
skills are ignored. Syntax errors in bundled `.py` files are reported as scan errors; fences,
often snippets with placeholders, are skipped quietly.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

from skillscan.engines import Availability
from skillscan.engines.staging import StagingDir
from skillscan.errors import RulePackError
from skillscan.model import ArtifactKind, Match, ScanError, Skill, Span
from skillscan.rules.schema import Rule

_TEST_ID = re.compile(r"^B\d{3}$")
Prepared = dict[str, list[Rule]]  # bandit test id → rules


def _keywords(rule: Rule) -> list[str]:
    """`keywords`: the file must hold one of them (case-insensitive) for bandit to read it; a
    cheap prefilter, written as a superset of what the rule's bandit tests can flag."""
    value = rule.match.get("keywords", [])
    if not isinstance(value, list) or not all(isinstance(k, str) and k for k in value):
        raise RulePackError(f"{rule.source}: field 'match.keywords'", "a list of non-empty strings")
    return [k.lower() for k in value]


def _wanted(artifact: Any, rules: Iterable[Rule]) -> bool:
    """Whether any rule that covers this Python script may match in it (see `_keywords`)."""
    lowered: str | None = None
    for rule in rules:
        if not rule.applies_to.covers(artifact):
            continue
        keywords = _keywords(rule)
        if not keywords:
            return True
        lowered = lowered if lowered is not None else artifact.text.lower()
        if any(k in lowered for k in keywords):
            return True
    return False


def _test_ids(rule: Rule) -> list[str]:
    value = rule.match.get("test_id")
    ids = [value] if isinstance(value, str) else value
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and _TEST_ID.match(i) for i in ids):
        raise RulePackError(f"{rule.source}: field 'match.test_id'", "a bandit test id like B602, or a list of them")
    return ids


class BanditEngine:
    name: ClassVar[str] = "bandit"

    def availability(self) -> Availability:
        # Asked without importing bandit (a tenth of a second): a scan the cache answers never runs it.
        from importlib.util import find_spec

        from skillscan.distributions import installed_version

        try:
            version = installed_version("bandit") if find_spec("bandit") is not None else None
        except (ImportError, ValueError) as error:
            return Availability(False, reason=f"bandit is not installed: {error}")
        if version is None:
            return Availability(False, reason="bandit is not installed")
        return Availability(True, f"bandit {version}")

    def validate(self, rule: Rule) -> None:
        unknown = set(rule.match) - {"test_id", "keywords"}
        if unknown:
            raise RulePackError(f"{rule.source}: field 'match'", f"unknown key(s) for the bandit engine: {', '.join(sorted(unknown))}")
        _test_ids(rule)
        _keywords(rule)

    def prepare(self, rules: Sequence[Rule]) -> Prepared:
        mapping: Prepared = defaultdict(list)
        for rule in rules:
            for test_id in _test_ids(rule):
                mapping[test_id].append(rule)
        return dict(mapping)

    def run(self, prepared: Prepared, skill: Skill, errors: list[ScanError]) -> Iterator[Match]:
        for _, match in self.run_batch(prepared, [skill], errors):
            yield match

    def run_batch(self, prepared: Prepared, skills: Sequence[Skill], errors: list[ScanError]) -> Iterator[tuple[Skill, Match]]:

        rules = {rule.id: rule for group in prepared.values() for rule in group}
        with StagingDir("skillscan-bandit-") as staging:
            for skill in skills:
                for artifact in skill.artifacts:
                    if (artifact.language == "python" and artifact.kind is ArtifactKind.SCRIPT and artifact.text
                            and _wanted(artifact, rules.values())):
                        staging.add(skill, artifact)
            if not len(staging):
                return
            try:
                issues, skipped = _run_bandit([str(p) for p in sorted(staging.targets.iterdir())], set(prepared))
            except Exception as error:  # bandit itself failing must not end the scan
                errors.append(ScanError("bandit", f"bandit failed: {type(error).__name__}: {error}; "
                                        f"rules not run: {', '.join(sorted(rules))}"))
                return
            for path, reason in skipped:
                staged = staging.lookup(path)
                if staged is not None and not staged.artifact.is_virtual:
                    errors.append(ScanError(str(staged.artifact.path), f"bandit skipped the file: {reason}"))
            for issue in issues:
                staged = staging.lookup(issue.fname)
                if staged is None:
                    continue
                for rule in prepared.get(issue.test_id, []):
                    if rule.applies_to.covers(staged.artifact):
                        yield staged.skill, _match(rule, staged.artifact, issue)


def _run_bandit(paths: list[str], test_ids: set[str]) -> tuple[list[Any], list[tuple[str, str]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from bandit.core import config, manager  # type: ignore[import-untyped]

    logger = logging.getLogger("bandit")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # bandit warns on stderr about every odd file
    try:
        bandit_manager = manager.BanditManager(
            config.BanditConfig(), "file", quiet=True, ignore_nosec=True,
            profile={"include": test_ids, "exclude": set()},
        )
        bandit_manager.discover_files(paths)
        bandit_manager.run_tests()
        return list(bandit_manager.results), list(bandit_manager.skipped)
    finally:
        logger.setLevel(level)


def _match(rule: Rule, artifact: Any, issue: Any) -> Match:
    lines = artifact.text.split("\n")
    line = max(1, int(issue.lineno))
    source = lines[line - 1] if line <= len(lines) else ""
    start = int(getattr(issue, "col_offset", 0) or 0)
    end = int(getattr(issue, "end_col_offset", 0) or 0) or len(source)
    text = source[start:end].strip() if end > start else source.strip()
    span = Span(line, start + 1, line, max(start, end) + 1)
    captures = {"test_id": issue.test_id}
    if (password := _password(issue.text, text or source)) is not None:
        captures["secret"] = password  # rules with `secret: true` mask it everywhere and never cache it
    return Match(rule.id, artifact, span, text[:200] or source.strip()[:200], captures,
                 note=f"bandit {issue.test_id}: {issue.text}")


_PASSWORD_TEXT = re.compile(r"Possible hardcoded password: '(.*)'$", re.DOTALL)
_STRING_LITERAL = re.compile(r"""(['"])((?:\\.|(?!\1).)+)\1""")


def _password(issue_text: str, code: str) -> str | None:
    """The value of a hardcoded-password issue (B105–B107): bandit quotes it in its text."""
    found = _PASSWORD_TEXT.search(issue_text or "")
    if found is not None and found.group(1):
        return found.group(1)
    literal = _STRING_LITERAL.search(code)
    return literal.group(2) if literal is not None and "password" in (issue_text or "").lower() else None
