"""Shared helpers for the code-aware engine tests (treesitter, bandit, semgrep)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import yaml

from skillscan.model import Finding, Severity
from skillscan.rules.schema import Rule

CODE_ENGINES = ("treesitter", "bandit", "semgrep")
FRONT = "---\nname: {name}\ndescription: A small helper skill for everyday tasks.\n---\n\n# {name}\n\nRun the script in scripts/.\n"


@pytest.fixture(scope="session")
def code_rules() -> list[Rule]:
    """The core rules of the code-aware engines, read file by file so that these tests judge the
    engines alone (and do not depend on every other rule file of the pack loading)."""
    from skillscan.engines import get_engine
    from skillscan.rules.loader import builtin_pack_dir
    from skillscan.rules.schema import parse_rule

    root = builtin_pack_dir()
    rules = []
    for path in sorted(root.rglob("*.yaml")):
        if path.name == "pack.yaml" or path.parent.name == "lists":
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("engine") in CODE_ENGINES:
            rule = parse_rule(data, str(path.relative_to(root.parent)), "core")
            get_engine(rule.engine).validate(rule)
            rules.append(rule)
    assert len(rules) >= 13
    return rules


def neutral_skill(name: str, script_path: str, script: str) -> dict[str, str]:
    return {"SKILL.md": FRONT.format(name=name), script_path: script}


def high_lines(findings: Sequence[Finding], path: str) -> set[int]:
    return {f.location.line for f in findings if str(f.location.path) == path and f.severity >= Severity.HIGH}
