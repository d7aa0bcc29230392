"""The baseline: findings accepted when adopting skillscan, by content fingerprint (D6).

    {"version": 1, "tool": "skillscan", "rule_packs": {"core": "0.1.0"},
     "findings": [{"fingerprint": "sks1:…", "rule_id": "SKS-EXF-001", "skill": "telemetry",
                   "path": "scripts/send.py", "line": 12, "note": ""}]}

Identity is (skill, fingerprint); the fingerprint (build.py) hashes rule, path, normalised
evidence and occurrence index, so line shifts do not matter and one entry absorbs exactly one
finding (multiplicity is kept). `line` is a hint for humans, never matched. No timestamps;
entries sorted, so the file diffs cleanly. `update` drops stale entries and never adds.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from skillscan import textsafe
from skillscan.errors import ConfigError
from skillscan.model import Finding, RulePackInfo

VERSION = 1
DEFAULT_FILE = ".skillscan-baseline.json"
_ENTRY_KEYS = ("fingerprint", "rule_id", "skill", "path", "line", "note")


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    rule_id: str
    skill: str
    path: str
    line: int
    note: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.skill, self.fingerprint)

    def sort_key(self) -> tuple[str, str, str, int, str]:
        return (self.skill, self.path, self.rule_id, self.line, self.fingerprint)


@dataclass(frozen=True)
class Baseline:
    entries: tuple[Entry, ...]
    rule_packs: dict[str, str]
    source: Path | None = None


def entry_for(finding: Finding, note: str = "") -> Entry:
    return Entry(finding.fingerprint, finding.rule_id, finding.skill.name, str(finding.location.path),
                 finding.location.line, note)


def create(findings: Iterable[Finding], packs: Sequence[RulePackInfo], previous: Baseline | None = None) -> Baseline:
    """A baseline accepting every given (active) finding; notes carry over from `previous`."""
    findings = list(findings)
    notes = {index: entry.note for index, entry in match(findings, previous).items()} if previous else {}
    entries = sorted((entry_for(f, notes.get(n, "")) for n, f in enumerate(findings)), key=Entry.sort_key)
    return Baseline(tuple(entries), {p.name: p.version for p in packs})


def update(old: Baseline, findings: Iterable[Finding], packs: Sequence[RulePackInfo]) -> tuple[Baseline, int]:
    """(the baseline without entries that no longer match, number dropped). Never adds."""
    findings = list(findings)
    by_entry = {id(entry): findings[index] for index, entry in match(findings, old).items()}
    kept = [replace(e, path=str(f.location.path), line=f.location.line, rule_id=f.rule_id)
            for e in old.entries if (f := by_entry.get(id(e))) is not None]
    kept.sort(key=Entry.sort_key)
    return Baseline(tuple(kept), {p.name: p.version for p in packs}, old.source), len(old.entries) - len(kept)


def match(findings: Sequence[Finding], baseline: Baseline) -> dict[int, Entry]:
    """Index of a finding → the entry that absorbs it; each entry absorbs at most one finding."""
    pool: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for entry in baseline.entries:
        pool[entry.key].append(entry)
    absorbed: dict[int, Entry] = {}
    for index, finding in enumerate(findings):
        candidates = pool.get((finding.skill.name, finding.fingerprint))
        if candidates:
            absorbed[index] = candidates.pop(0)
    return absorbed


def dumps(baseline: Baseline) -> str:
    data = {
        "version": VERSION,
        "tool": "skillscan",
        "rule_packs": dict(sorted(baseline.rule_packs.items())),
        "findings": [{key: getattr(e, key) for key in _ENTRY_KEYS} for e in sorted(baseline.entries, key=Entry.sort_key)],
    }
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    # A lone surrogate (a skill path that is not UTF-8) cannot be encoded: keep it as its JSON escape.
    return textsafe.escape_surrogates(text)


def save(baseline: Baseline, path: Path) -> None:
    """Write-then-rename: a failed write never leaves a truncated baseline behind."""
    text = dumps(baseline)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load(path: Path) -> Baseline:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: baseline file not found (create one with `skillscan baseline create`)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path}: not a readable baseline: {error}") from None
    return parse(data, path)


def parse(data: Any, path: Path | None = None) -> Baseline:
    where = str(path or "baseline")
    if not isinstance(data, dict) or data.get("tool") != "skillscan":
        raise ConfigError(f"{where}: not a skillscan baseline (expected \"tool\": \"skillscan\")")
    version = data.get("version")
    # version → function returning the next version's data (none yet: v1 is current)
    upgrades: dict[object, Callable[[dict[str, Any]], dict[str, Any]]] = {}
    while version in upgrades:
        data = upgrades[version](data)
        version = data["version"]
    if version != VERSION:
        raise ConfigError(f"{where}: field 'version': {version!r} is not supported (this skillscan reads {VERSION})")
    packs = data.get("rule_packs", {})
    if not isinstance(packs, dict) or not all(isinstance(v, str) for v in packs.values()):
        raise ConfigError(f"{where}: field 'rule_packs': must map pack names to versions")
    items = data.get("findings")
    if not isinstance(items, list):
        raise ConfigError(f"{where}: field 'findings': must be a list")
    return Baseline(tuple(_entry(item, f"{where}: findings[{n}]") for n, item in enumerate(items)), dict(packs), path)


def _entry(item: Any, where: str) -> Entry:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: must be an object")
    for key in ("fingerprint", "rule_id", "skill", "path"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise ConfigError(f"{where}.{key}: must be a non-empty string")
    line = item.get("line", 0)
    note = item.get("note", "")
    if not isinstance(line, int) or not isinstance(note, str):
        raise ConfigError(f"{where}: 'line' must be a number and 'note' a string")
    return Entry(item["fingerprint"], item["rule_id"], item["skill"], item["path"], line, note)
