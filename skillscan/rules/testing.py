"""Rule self-tests, shared by `skillscan rules test` and the pytest suite.

Examples: each `examples.match` snippet must produce a finding of its rule, each
`examples.no_match` none. Fixtures: mini skills under `fixtures/rules/<pack>/<category>/<slug>/`
annotated semgrep-style on the line before the target line —
`ruleid: ID` (must match as an instruction, at the rule's own severity), `downgraded: ID` (must
match, but context — a warning, example, test, documentation — lowers it), `ok: ID` (must not
match at all), `todoruleid:` / `todook:` (known gaps: reported, not failed). A finding on an
unannotated line is a failure.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path, PurePosixPath

from skillscan.load import LoadedFile, LoadedSkill, load_skill
from skillscan.model import Finding, ScanError
from skillscan.parse import parse_skill
from skillscan.rules.schema import Example, Rule

_ANNOTATION = re.compile(r"(?:#|//|<!--|--|;|REM)\s*(ruleid|downgraded|ok|todoruleid|todook):\s*([A-Z0-9, -]+?)\s*(?:-->)?\s*$")
_SCRIPT_PATHS = {
    "shell": "scripts/example.sh", "python": "scripts/example.py", "javascript": "scripts/example.js",
    "typescript": "scripts/example.ts", "powershell": "scripts/example.ps1", "json": "config/example.json",
    "yaml": "config/example.yaml", "toml": "config/example.toml", "dotenv": ".env", "batch": "scripts/example.bat",
}


@dataclass(frozen=True)
class Failure:
    rule_id: str
    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.where}: {self.problem}"


def scan_files(files: dict[str, str], rules: Sequence[Rule], root: Path = Path("/example-skill")) -> list[Finding]:
    """Scan an in-memory skill (relative path → text) with only the given rules."""
    from skillscan.pipeline import match_and_build

    loaded = LoadedSkill(
        root,
        tuple(
            LoadedFile(PurePosixPath(p), t, hashlib.sha256(t.encode()).hexdigest(), len(t.encode()), 0o100644)
            for p, t in sorted(files.items())
        ),
        (),
        (),
    )
    skill = parse_skill(loaded, "path", "path")
    errors: list[ScanError] = []
    findings, _ = match_and_build(rules, [skill], errors)
    if errors:
        raise RuntimeError("; ".join(e.message for e in errors))
    return findings


def example_files(rule: Rule, example: Example) -> dict[str, str]:
    """Where an example snippet goes: a script for script rules, else the body of SKILL.md."""
    front = "---\nname: example-skill\ndescription: Example skill used to test one rule.\n---\n"
    language = example.language or next(iter(sorted(rule.applies_to.languages)), None)
    if example.path:
        files = {example.path: example.code}
        if example.path.lower() != "skill.md":
            files["SKILL.md"] = front + "\nExample skill.\n"
        return files
    from skillscan.model import ArtifactKind

    wants_script = ArtifactKind.SKILL_MD not in rule.applies_to.artifacts or example.language is not None
    if wants_script and language in _SCRIPT_PATHS:
        return {"SKILL.md": front + "\nExample skill.\n", _SCRIPT_PATHS[language]: example.code}
    return {"SKILL.md": front + "\n" + example.code + "\n"}


@lru_cache(maxsize=1)
def _builtin_rules() -> tuple[Rule, ...]:
    from skillscan.rules.loader import builtin_pack_dir, load_pack

    return load_pack(builtin_pack_dir()).rules


def runnable(rule: Rule, all_rules: Sequence[Rule] | None = None) -> list[Rule]:
    """The rule under test, reported even when it is a capability fact, plus what its chain needs."""
    from skillscan.pipeline import with_dependencies

    return with_dependencies([replace(rule, report=True)], all_rules if all_rules is not None else _builtin_rules())


def check_examples(rule: Rule) -> Iterator[Failure]:
    # Rules about file modes, links or git state cannot be shown as text snippets; they are
    # tagged `filesystem` and tested on real folders (tests/integrity) instead.
    if not rule.examples_match and "filesystem" not in rule.tags:
        yield Failure(rule.id, "examples.match", "no positive example")
    if not rule.examples_no_match:
        yield Failure(rule.id, "examples.no_match", "no negative example")
    for number, example in enumerate(rule.examples_match, start=1):
        if not _hits(rule, example):
            yield Failure(rule.id, f"examples.match[{number}]", f"did not match: {example.code[:80]!r}")
    for number, example in enumerate(rule.examples_no_match, start=1):
        if _hits(rule, example):
            yield Failure(rule.id, f"examples.no_match[{number}]", f"matched: {example.code[:80]!r}")


def _hits(rule: Rule, example: Example) -> list[Finding]:
    return [f for f in scan_files(example_files(rule, example), runnable(rule)) if f.rule_id == rule.id]


def fixture_dir(fixtures_root: Path, rule: Rule) -> Path:
    category_folder = Path(rule.source).parent.name if rule.source else rule.category
    return fixtures_root / rule.pack / category_folder / rule.slug


def check_fixtures(rule: Rule, fixtures_root: Path) -> tuple[list[Failure], list[str]]:
    """(failures, known gaps) of a rule's fixture cases."""
    folder = fixture_dir(fixtures_root, rule)
    cases = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    if not cases:
        return [Failure(rule.id, str(folder), "no fixture cases")], []
    failures: list[Failure] = []
    gaps: list[str] = []
    for case in cases:
        expected = _annotations(case)
        found: dict[tuple[str, int], list[Finding]] = {}
        skill = parse_skill(load_skill(case), "path", "path")
        from skillscan.pipeline import match_and_build

        findings, _ = match_and_build(runnable(rule), [skill], [])
        for finding in findings:
            key = (str(finding.location.path), finding.location.line)
            found.setdefault(key, []).append(finding)
        if not any(kind == "ruleid" for kind, _ in expected.values()) and case.name.startswith("bad"):
            failures.append(Failure(rule.id, str(case), "a bad-* case without any 'ruleid' annotation"))
        for (path, line), (kind, ids) in expected.items():
            if rule.id not in ids:
                continue
            hits = found.get((path, line), [])
            hit = bool(hits)
            where = f"{case.name}/{path}:{line}"
            if kind in ("ruleid", "downgraded") and not hit:
                failures.append(Failure(rule.id, where, "expected a finding, got none"))
            elif kind == "ruleid" and rule.context_sensitive and not any(_full(f) for f in hits):
                reason = hits[0].context.reason
                failures.append(Failure(rule.id, where, f"expected full severity, context lowered it: {reason}"))
            elif kind == "downgraded" and any(_full(f) for f in hits):
                failures.append(Failure(rule.id, where, "expected context to lower the severity; it did not"))
            elif kind == "ok" and hit:
                failures.append(Failure(rule.id, where, "expected no finding, got one"))
            elif kind == "todoruleid" and not hit:
                gaps.append(f"{rule.id} {where}: known miss")
            elif kind == "todook" and hit:
                gaps.append(f"{rule.id} {where}: known false positive")
        for key in found:
            annotation = expected.get(key)
            if annotation is None or rule.id not in annotation[1]:
                failures.append(Failure(rule.id, f"{case.name}/{key[0]}:{key[1]}", "unannotated finding"))
    return failures, gaps


def _full(finding: Finding) -> bool:
    return finding.severity == finding.base_severity


def _annotations(case: Path) -> dict[tuple[str, int], tuple[str, set[str]]]:
    """(file, target line) → (annotation kind, rule ids) for every annotated line of a case."""
    result: dict[tuple[str, int], tuple[str, set[str]]] = {}
    for path in sorted(case.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            lines = path.read_text(encoding="utf-8").split("\n")
        except (UnicodeDecodeError, OSError):
            continue
        relative = path.relative_to(case).as_posix()
        for number, line in enumerate(lines, start=1):
            found = _ANNOTATION.search(line)
            if found:
                ids = {part.strip() for part in found.group(2).split(",") if part.strip()}
                result[(relative, number + 1)] = (found.group(1), ids)
    return result
