"""Every rule: metadata, in-YAML examples, and annotated fixture skills."""

from __future__ import annotations

import time
from pathlib import Path

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


EXTRA_RULE = """id: SKS-EXE-901
slug: extra-test-rule
title: A rule of a pack under test
since: "0.1.0"
severity: high
confidence: high
category: execution
engine: regex
match:
  any: ['\\bdanger-word\\b']
message: "{message}"
docs:
  why: For the test.
  remediation: None.
  known_problems: None.
"""


def test_an_edited_pack_is_read_again_though_its_digest_is_remembered(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The pack digest is remembered with the pack folder's tree stamp, so an untouched pack is not
    read; any edit changes the stamp and the pack is read, hashed and validated again."""
    from skillscan import stamps
    from skillscan.rules import loader

    monkeypatch.setenv("SKILLSCAN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(stamps, "RACY_SECONDS", 0.0)  # the files were written a moment ago
    pack = tmp_path / "pack"
    (pack / "execution").mkdir(parents=True)
    (pack / "pack.yaml").write_text('name: extra\nversion: "1.0.0"\nmin_skillscan: "0.1.0"\n')
    (pack / "execution" / "extra.yaml").write_text(EXTRA_RULE.replace("{message}", "first"))
    hashed: list[Path] = []
    real_digest = loader._digest
    monkeypatch.setattr(loader, "_digest", lambda root, contents: hashed.append(root) or real_digest(root, contents))

    first = load_pack(pack)
    assert hashed == [pack] and first.rules[0].message == "first"
    assert load_pack(pack).digest == first.digest and hashed == [pack], "untouched: answered by the stamp"
    (pack / "execution" / "extra.yaml").write_text(EXTRA_RULE.replace("{message}", "second"))
    edited = load_pack(pack)
    assert hashed == [pack, pack] and edited.digest != first.digest and edited.rules[0].message == "second"
