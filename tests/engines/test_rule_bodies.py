"""Load-time validation of the code-aware engines' match bodies, and run-time degradation."""

from __future__ import annotations

from typing import Any

import pytest

from skillscan.engines import engines, treesitter
from skillscan.errors import RulePackError
from skillscan.model import ScanError
from skillscan.pipeline import match_and_build
from skillscan.rules.schema import parse_rule
from skillscan.rules.testing import scan_files

from .conftest import neutral_skill


def _rule(engine: str, match: dict[str, Any], **extra: Any) -> Any:
    data = {
        "id": "SKS-EXE-199", "slug": "test-rule", "title": "Test rule", "since": "0.1.0", "severity": "high",
        "confidence": "high", "category": "execution", "engine": engine, "match": match, "message": "m {match}",
        "docs": {"why": "w", "remediation": "r", "known_problems": "k", "references": ["x"]},
        "applies_to": {"artifacts": ["script"]}, **extra,
    }
    return parse_rule(data, "core/execution/test-rule.yaml", "core")


@pytest.mark.parametrize(("engine", "match"), [
    ("treesitter", {"structural": "nope"}),
    ("treesitter", {"language": "python", "query": "(call function: (identifier) @f"}),  # unbalanced
    ("treesitter", {"language": "python", "query": "(call) @c", "capture": "missing"}),
    ("treesitter", {"language": "cobol", "query": "(x) @x"}),
    ("treesitter", {"structural": "download_execute", "query": "(x) @x"}),
    ("bandit", {"test_id": "602"}),
    ("bandit", {"test_id": ["B602"], "extra": 1}),
    ("semgrep", {"rule": {"id": "x", "languages": ["python"], "pattern": "eval(...)"}}),
    ("semgrep", {"rule": {"languages": ["cobol"], "pattern": "eval(...)"}}),
    ("semgrep", {"rule": {"languages": ["python"], "mode": "taint", "pattern-sources": [{"pattern": "x"}]}}),
    ("semgrep", {"rules": []}),
])
def test_bad_match_bodies_fail_at_load_time(engine: str, match: dict[str, Any]) -> None:
    with pytest.raises(RulePackError):
        engines()[engine].validate(_rule(engine, match))


def test_query_rule_captures_feed_the_message() -> None:
    rule = _rule("treesitter", {"language": "python", "capture": "call",
                                "query": '((call function: (identifier) @fn) @call (#eq? @fn "eval"))'},
                 message="calls {fn}: {match}")
    engines()["treesitter"].validate(rule)
    findings = scan_files(neutral_skill("h", "scripts/a.py", "x = 1\nprint(eval('1'))\n"), [rule])
    assert [(f.location.line, f.message) for f in findings] == [(2, "calls eval: eval('1')")]


def test_typescript_query_rules_cover_tsx(tmp_path: Any) -> None:
    rule = _rule("treesitter", {"language": "typescript", "query": '((call_expression function: (identifier) @f) @c (#eq? @f "eval"))',
                                "capture": "c"})
    findings = scan_files(neutral_skill("h", "scripts/a.tsx", "const x = <div/>;\neval(code);\n"), [rule])
    assert [f.location.line for f in findings] == [2]


def test_analysis_failure_on_one_file_is_a_scan_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(artifact: Any) -> Any:
        raise ValueError("boom")

    monkeypatch.setitem(treesitter._ANALYSES, "shell_flows", broken)
    rule = _rule("treesitter", {"structural": "download_execute"})
    from pathlib import Path, PurePosixPath

    from skillscan.load import LoadedFile, LoadedSkill
    from skillscan.parse import parse_skill

    files = (LoadedFile(PurePosixPath("scripts/a.sh"), "curl x | sh\n", "0", 12, 0o100644),
             LoadedFile(PurePosixPath("SKILL.md"), "---\nname: a\ndescription: b\n---\n", "1", 30, 0o100644))
    skill = parse_skill(LoadedSkill(Path("/x"), files, (), ()), "path", "path")
    errors: list[ScanError] = []
    findings, _ = match_and_build([rule], [skill], errors)
    assert not findings and errors and "boom" in errors[0].message and errors[0].where == "scripts/a.sh"
