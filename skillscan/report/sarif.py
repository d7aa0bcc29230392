"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Rules come from rule metadata (help text, `security-severity`, precision); results carry
`partialFingerprints["skillscan/v1"]` (the baseline fingerprint, so alerts are tracked across
commits) and locations relative to a `uriBaseId`: `%SRCROOT%` (the current directory, a CI
checkout) for skills below it, `SKILLROOT_<n>` for skills elsewhere (installed ones), each
resolved in `originalUriBaseIds`. Suppressed findings are kept, with SARIF `suppressions`.
Validated against the OASIS schema in tests/schemas/sarif-schema-2.1.0.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from skillscan import __version__
from skillscan.model import Confidence, Finding, ScanResult, Severity, Skill
from skillscan.report import HOMEPAGE, exit_code, help_uri, jsontext, suppression_layer, suppression_reason
from skillscan.rules.schema import Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "skillscan/v1"
SRCROOT = "%SRCROOT%"
# GitHub code scanning ranks security alerts by this number (critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0).
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "1.0"}
PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}


def level(severity: Severity) -> str:
    if severity >= Severity.HIGH:
        return "error"
    return "warning" if severity is Severity.MEDIUM else "note"


def render_sarif(result: ScanResult, fail_on: Severity, source_root: Path | None = None) -> str:
    return jsontext.dumps(sarif_dict(result, fail_on, source_root)) + "\n"


def sarif_dict(result: ScanResult, fail_on: Severity, source_root: Path | None = None) -> dict[str, Any]:
    bases = _Bases((source_root or Path.cwd()).absolute())
    descriptors = [rule_descriptor(rule) for rule in result.rules]
    known = {rule.id for rule in result.rules}
    for finding in result.findings:  # a finding whose rule the result does not list (library callers)
        if finding.rule_id not in known:
            known.add(finding.rule_id)
            descriptors.append(_fallback_descriptor(finding))
    index = {d["id"]: n for n, d in enumerate(descriptors)}
    results = [_result(f, index[f.rule_id], bases) for f in result.findings]
    notifications = [{"level": "error", "message": {"text": f"{e.where}: {e.message}"}} for e in result.errors]
    notifications += [{"level": "warning", "message": {"text": f"rule {rule_id} skipped: {reason}"}}
                      for rule_id, reason in result.skipped_rules]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "skillscan",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": HOMEPAGE,
                "rules": descriptors,
            }},
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
            "originalUriBaseIds": bases.described(),
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "rulePacks": [{"name": p.name, "version": p.version, "digest": p.digest} for p in result.rule_packs],
                "failOn": fail_on.label,
                "exitCode": exit_code(result, fail_on),
                "skills": len(result.skills),
            },
        }],
    }


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    docs = rule.docs
    text = f"{docs.why}\n\nRemediation: {docs.remediation}\n\nKnown problems: {docs.known_problems}"
    markdown = (f"**{rule.title}**\n\n### Why it matters\n\n{docs.why}\n\n### Remediation\n\n{docs.remediation}\n\n"
                f"### Known problems\n\n{docs.known_problems}")
    if docs.references:
        text += "\n\nReferences: " + "; ".join(docs.references)
        markdown += "\n\n### References\n\n" + "\n".join(f"- {r}" for r in docs.references)
    return {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": docs.why},
        "help": {"text": text, "markdown": markdown},
        "helpUri": help_uri(rule.id),
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": {
            "tags": sorted({"security", rule.category, *rule.tags}),
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "precision": PRECISION[rule.confidence],
        },
    }


def _fallback_descriptor(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.rule_id,
        "name": finding.slug,
        "shortDescription": {"text": finding.title},
        "help": {"text": finding.remediation or finding.title},
        "helpUri": help_uri(finding.rule_id),
        "properties": {"tags": ["security", finding.category],
                       "security-severity": SECURITY_SEVERITY[finding.base_severity or finding.severity],
                       "precision": PRECISION[finding.confidence]},
    }


def _result(finding: Finding, rule_index: int, bases: _Bases) -> dict[str, Any]:
    location = finding.location
    region: dict[str, Any] = {"startLine": max(1, location.line), "startColumn": max(1, location.column)}
    if location.snippet:
        region["snippet"] = {"text": location.snippet}
    item: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {"artifactLocation": bases.artifact(finding.skill, str(location.path)),
                                            "region": region}}],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "severity": finding.severity.label,
            "confidence": finding.confidence.label,
            "skill": finding.skill.name,
            "context": finding.context.polarity.value,
        },
    }
    if finding.context.reason:
        item["properties"]["contextReason"] = finding.context.reason
    if finding.related:
        item["relatedLocations"] = [
            {"id": n, "physicalLocation": {"artifactLocation": bases.artifact(finding.skill, str(r.path)),
                                           "region": {"startLine": max(1, r.line), "startColumn": max(1, r.column)}},
             "message": {"text": r.snippet or str(r.path)}}
            for n, r in enumerate(finding.related)
        ]
    if not finding.active:
        kind = "inSource" if suppression_layer(finding) == "inline" else "external"
        item["suppressions"] = [{"kind": kind, "status": "accepted", "justification": suppression_reason(finding)}]
    return item


class _Bases:
    """uriBaseIds: %SRCROOT% for files below the source root, one SKILLROOT_<n> per other skill."""

    def __init__(self, source_root: Path) -> None:
        self.source_root = source_root
        self.skill_roots: dict[Path, str] = {}

    def artifact(self, skill: Skill, relative: str) -> dict[str, str]:
        root = skill.root.absolute()
        if root.is_relative_to(self.source_root):
            return {"uri": _uri((root.relative_to(self.source_root) / relative).as_posix()), "uriBaseId": SRCROOT}
        base = self.skill_roots.setdefault(root, f"SKILLROOT_{len(self.skill_roots) + 1}")
        return {"uri": _uri(relative), "uriBaseId": base}

    def described(self) -> dict[str, Any]:
        bases: dict[str, Any] = {SRCROOT: {"uri": self.source_root.as_uri() + "/",
                                           "description": {"text": "The directory skillscan ran in."}}}
        for root, name in self.skill_roots.items():
            bases[name] = {"uri": root.as_uri() + "/", "description": {"text": f"Skill folder {root.name}"}}
        return bases


def _uri(path: str) -> str:
    """%-encoded; a file name that is not UTF-8 (undecodable bytes arrive as surrogate escapes)
    keeps its original bytes, any other lone surrogate its escape."""
    try:
        return quote(path, safe="/!", errors="surrogateescape")
    except UnicodeEncodeError:
        return quote(path, safe="/!", errors="backslashreplace")
