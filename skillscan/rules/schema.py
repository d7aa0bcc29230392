"""The rule file format: one YAML file holds all of a rule's metadata (D1).

Validation is hand-written rather than pydantic so that loading the pack stays cheap at start-up;
every error names the file and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatch
from dataclasses import dataclass, field
from typing import Any

from skillscan.errors import RulePackError
from skillscan.model import Artifact, ArtifactKind, Confidence, SegmentKind, Severity

# Category name → (ID code, THREATS.md category). The code is the middle part of a rule ID.
CATEGORIES: Mapping[str, tuple[str, str]] = {
    "instruction-override": ("INJ", "C01"),
    "hidden-content": ("HID", "C02"),
    "concealment": ("CNC", "C03"),
    "exfiltration": ("EXF", "C04"),
    "credential-access": ("CRD", "C05"),
    "hardcoded-secret": ("SEC", "C06"),
    "execution": ("EXE", "C07"),
    "obfuscation": ("OBF", "C08"),
    "redirection": ("RDR", "C09"),
    "persistence": ("PER", "C10"),
    "privilege": ("PRV", "C11"),
    "supply-chain": ("SUP", "C12"),
    "mcp": ("MCP", "C13"),
    "destructive": ("DST", "C14"),
    "capability": ("CAP", "C15"),
    "memory-poisoning": ("MEM", "C16"),
    "integrity": ("INT", "C17"),
    "manifest": ("MFT", ""),
    "meta": ("META", ""),
}
STATUSES = ("preview", "stable", "deprecated", "removed")
ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{1,9}-[A-Z]{3,4}-\d{3}$")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_REQUIRED = ("id", "slug", "title", "since", "severity", "confidence", "category", "engine", "match",
             "message", "docs")
_ALLOWED = frozenset(_REQUIRED) | {
    "status", "tags", "applies_to", "examples", "aliases", "replaced_by", "context", "secret", "report",
    "supersedes",
}
_DOC_FIELDS = ("why", "remediation", "known_problems")


@dataclass(frozen=True)
class AppliesTo:
    artifacts: frozenset[ArtifactKind] = frozenset(ArtifactKind)
    languages: frozenset[str] = frozenset()  # empty = any language
    segments: frozenset[SegmentKind] = frozenset()  # empty = any segment kind
    paths: tuple[str, ...] = ()  # fnmatch globs on the skill-relative path; empty = any

    def accepts(self, kind: ArtifactKind, language: str | None) -> bool:
        if kind not in self.artifacts:
            return False
        return not self.languages or (language or "") in self.languages

    def covers(self, artifact: Artifact) -> bool:
        """Whether a rule with this scope looks at the artifact at all (kind, language, path)."""
        if not self.accepts(artifact.kind, artifact.language):
            return False
        return not self.paths or any(fnmatch(str(artifact.display_path), glob) for glob in self.paths)


@dataclass(frozen=True)
class RuleDocs:
    why: str
    remediation: str
    known_problems: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Example:
    code: str
    language: str | None = None  # None = the rule's first language, or SKILL.md prose
    path: str | None = None  # file name inside the example skill, e.g. "scripts/x.py"


@dataclass(frozen=True)
class Rule:
    id: str
    slug: str
    title: str
    since: str
    severity: Severity
    confidence: Confidence
    category: str
    engine: str
    match: Mapping[str, Any]
    message: str
    docs: RuleDocs
    status: str = "preview"
    tags: tuple[str, ...] = ()
    applies_to: AppliesTo = AppliesTo()
    examples_match: tuple[Example, ...] = ()
    examples_no_match: tuple[Example, ...] = ()
    aliases: tuple[str, ...] = ()
    replaced_by: str | None = None
    context_sensitive: bool = True  # False: severity is not adjusted by context (secrets, unicode)
    secret: bool = False  # the match (or its `secret` capture) is a secret value: always masked
    report: bool = True  # False: a capability fact used only by chain rules
    supersedes: tuple[str, ...] = ()  # narrower rules whose finding at the same line this one replaces
    pack: str = field(default="", compare=False)
    source: str = field(default="", compare=False)  # the rule file, for error messages

    @property
    def threat(self) -> str:
        return CATEGORIES[self.category][1]


def parse_rule(data: Any, source: str, pack: str) -> Rule:
    if not isinstance(data, Mapping):
        raise RulePackError(source, "a rule file must hold a YAML mapping")
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise RulePackError(source, f"missing field(s): {', '.join(missing)}")
    unknown = sorted(set(data) - _ALLOWED)
    if unknown:
        raise RulePackError(source, f"unknown field(s): {', '.join(unknown)}")

    def where(name: str) -> str:
        return f"{source}: field '{name}'"

    rule_id = _string(data, "id", source)
    if not ID_PATTERN.match(rule_id):
        raise RulePackError(where("id"), f"{rule_id!r} is not of the form SKS-EXF-001")
    slug = _string(data, "slug", source)
    if not SLUG_PATTERN.match(slug):
        raise RulePackError(where("slug"), f"{slug!r} must be lowercase-kebab-case")
    category = _string(data, "category", source)
    if category not in CATEGORIES:
        raise RulePackError(where("category"), f"{category!r} is not one of {', '.join(CATEGORIES)}")
    code = CATEGORIES[category][0]
    if rule_id.split("-")[1] != code:
        raise RulePackError(where("id"), f"category {category!r} needs the code {code} in the id")
    status = str(data.get("status", "preview"))
    if status not in STATUSES:
        raise RulePackError(where("status"), f"{status!r} is not one of {', '.join(STATUSES)}")
    replaced_by = data.get("replaced_by")
    if status in ("deprecated", "removed") and not replaced_by:
        raise RulePackError(where("replaced_by"), "required when status is deprecated or removed")
    match = data["match"]
    if not isinstance(match, Mapping):
        raise RulePackError(where("match"), "must be a mapping")
    return Rule(
        id=rule_id,
        slug=slug,
        title=_string(data, "title", source),
        since=str(data["since"]),
        severity=_enum(Severity, data, "severity", source),
        confidence=_enum(Confidence, data, "confidence", source),
        category=category,
        engine=_string(data, "engine", source),
        match=match,
        message=_string(data, "message", source),
        docs=_docs(data["docs"], where("docs")),
        status=status,
        tags=_strings(data.get("tags", ()), where("tags")),
        applies_to=_applies_to(data.get("applies_to", {}), where("applies_to")),
        examples_match=_examples(data.get("examples", {}), "match", where("examples")),
        examples_no_match=_examples(data.get("examples", {}), "no_match", where("examples")),
        aliases=_strings(data.get("aliases", ()), where("aliases")),
        replaced_by=str(replaced_by) if replaced_by else None,
        context_sensitive=_context(data.get("context", "sensitive"), where("context")),
        secret=bool(data.get("secret", False)),
        report=bool(data.get("report", True)),
        supersedes=_strings(data.get("supersedes", ()), where("supersedes")),
        pack=pack,
        source=source,
    )


def _string(data: Mapping[str, Any], key: str, source: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulePackError(f"{source}: field '{key}'", "must be a non-empty string")
    return value.strip()


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise RulePackError(where, "must be a list of strings")
    return tuple(value)


def _enum(enum_type: type[Severity] | type[Confidence], data: Mapping[str, Any], key: str, source: str) -> Any:
    value = data.get(key)
    try:
        return enum_type.parse(str(value))
    except KeyError:
        names = ", ".join(member.label for member in enum_type)
        raise RulePackError(f"{source}: field '{key}'", f"{value!r} is not one of {names}") from None


def _context(value: Any, where: str) -> bool:
    if value not in ("sensitive", "insensitive"):
        raise RulePackError(where, "must be 'sensitive' or 'insensitive'")
    return bool(value == "sensitive")


def _docs(value: Any, where: str) -> RuleDocs:
    if not isinstance(value, Mapping):
        raise RulePackError(where, "must be a mapping with why, remediation, known_problems, references")
    for key in _DOC_FIELDS:
        if not isinstance(value.get(key), str) or not value[key].strip():
            raise RulePackError(f"{where}.{key}", "must be a non-empty string")
    unknown = set(value) - set(_DOC_FIELDS) - {"references"}
    if unknown:
        raise RulePackError(where, f"unknown field(s): {', '.join(sorted(unknown))}")
    return RuleDocs(
        why=value["why"].strip(),
        remediation=value["remediation"].strip(),
        known_problems=value["known_problems"].strip(),
        references=_strings(value.get("references", ()), f"{where}.references"),
    )


def _applies_to(value: Any, where: str) -> AppliesTo:
    if not isinstance(value, Mapping):
        raise RulePackError(where, "must be a mapping")
    unknown = set(value) - {"artifacts", "languages", "segments", "paths"}
    if unknown:
        raise RulePackError(where, f"unknown field(s): {', '.join(sorted(unknown))}")
    try:
        artifacts = frozenset(ArtifactKind(v) for v in _strings(value.get("artifacts", list(ArtifactKind)), where))
        segments = frozenset(SegmentKind(v) for v in _strings(value.get("segments", ()), where))
    except ValueError as error:
        raise RulePackError(where, str(error)) from None
    return AppliesTo(
        artifacts=artifacts,
        languages=frozenset(_strings(value.get("languages", ()), f"{where}.languages")),
        segments=segments,
        paths=_strings(value.get("paths", ()), f"{where}.paths"),
    )


def _examples(value: Any, key: str, where: str) -> tuple[Example, ...]:
    if not isinstance(value, Mapping):
        raise RulePackError(where, "must be a mapping with 'match' and 'no_match' lists")
    items = value.get(key, ())
    if not isinstance(items, (list, tuple)):
        raise RulePackError(f"{where}.{key}", "must be a list")
    examples = []
    for item in items:
        if isinstance(item, str):
            examples.append(Example(item))
        elif isinstance(item, Mapping) and isinstance(item.get("code"), str):
            examples.append(Example(item["code"], item.get("language"), item.get("path")))
        else:
            raise RulePackError(f"{where}.{key}", "entries are strings or {code, language, path} mappings")
    return tuple(examples)
