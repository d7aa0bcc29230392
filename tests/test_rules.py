"""Every rule: metadata, in-YAML examples, and annotated fixture skills."""

from __future__ import annotations

import time

import pytest

from skillscan import __version__
from skillscan.rules.loader import builtin_pack_dir, load_pack
from skillscan.rules.schema import CATEGORIES
from skillscan.rules.testing import check_examples, check_fixtures, fixture_dir, scan_files

from .conftest import FIXTURES

CORE = load_pack(builtin_pack_dir())
RULES = CORE.rules
IDS = [rule.id for rule in RULES]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def test_pack_has_enough_rules() -> None:
    assert len(RULES) >= 25


def test_ids_slugs_unique_and_well_formed() -> None:
    names = [n for rule in RULES for n in (rule.id, rule.slug, *rule.aliases)]
    assert len(names) == len(set(names))
    for rule in RULES:
        assert rule.id.split("-")[1] == CATEGORIES[rule.category][0], rule.id


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_metadata(rule) -> None:  # type: ignore[no-untyped-def]
    assert _version(rule.since) <= _version(__version__), f"{rule.id}: since {rule.since} is in the future"
    assert rule.docs.references, f"{rule.id}: cite at least one reference"
    assert len(rule.title) <= 90
    if rule.engine == "regex":
        assert rule.match.get("keywords"), f"{rule.id}: regex rules need a keywords prefilter"


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_examples(rule) -> None:  # type: ignore[no-untyped-def]
    failures = list(check_examples(rule))
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_fixtures(rule) -> None:  # type: ignore[no-untyped-def]
    assert fixture_dir(FIXTURES / "rules", rule).is_dir(), f"{rule.id}: no fixture folder"
    failures, _gaps = check_fixtures(rule, FIXTURES / "rules")
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.parametrize("rule", [r for r in RULES if r.engine == "regex"], ids=lambda r: r.id)
def test_regex_is_fast_on_pathological_input(rule) -> None:  # type: ignore[no-untyped-def]
    """RE2 is linear, but a rule's keywords + patterns still must not crawl on hostile input."""
    keywords = " ".join(rule.match.get("keywords", [])[:20])
    hostile = {
        "SKILL.md": "---\nname: x\ndescription: y\n---\n" + ((keywords + " ") * 200 + "a" * 5000 + "\n") * 20,
        "scripts/x.py": ("x = '" + "\\\\" * 20000 + "'\n") + (keywords + " |" * 3000 + "\n"),
    }
    started = time.perf_counter()
    scan_files(hostile, [rule])
    assert time.perf_counter() - started < 2.0



def test_generated_rule_docs_are_fresh(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from skillscan.rules.gendocs import render_all

    from .conftest import REPO

    checked_in = REPO / "docs" / "rules"
    expected = render_all(RULES)
    actual = {p.name: p.read_text(encoding="utf-8") for p in checked_in.glob("*.md")} if checked_in.is_dir() else {}
    stale = sorted(name for name in set(expected) | set(actual) if expected.get(name) != actual.get(name))
    assert not stale, f"docs/rules is stale ({len(stale)} pages); run: python -m skillscan.rules.gendocs"
