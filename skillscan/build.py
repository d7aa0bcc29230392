"""Build stage: the only place findings are made (D4). Match + Rule + context → Finding.

Here the message is rendered, the evidence cut and masked, the location mapped from a virtual
fence back into its Markdown file, severity adjusted by context, and the content fingerprint
computed (stable across line shifts, multiplicity kept through the occurrence index).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping

from skillscan.model import Finding, Location, Match, Polarity, Skill
from skillscan.rules.schema import Rule
from skillscan.secrets import mask, mask_known

MAX_SNIPPET = 200
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def build_findings(matches: Iterable[Match], rules: Mapping[str, Rule], skill: Skill) -> list[Finding]:
    matches = [m for m in matches if rules[m.rule_id].report]
    secrets = {_evidence(m) for m in matches if rules[m.rule_id].secret}
    occurrences: Counter[tuple[str, str, str]] = Counter()
    findings = []
    for match in sorted(matches, key=lambda m: (str(m.artifact.display_path), _line(m), m.span.start_col, m.rule_id)):
        rule = rules[match.rule_id]
        findings.append(_finding(rule, match, skill, secrets, occurrences))
    return findings


def _finding(
    rule: Rule, match: Match, skill: Skill, secrets: set[str], occurrences: Counter[tuple[str, str, str]]
) -> Finding:
    from skillscan import context as context_stage  # here: a scan the caches answer builds nothing

    artifact = match.artifact
    line = _line(match)
    column = match.span.start_col
    if rule.context_sensitive:
        context = context_stage.classify(skill, artifact, match.span)
    else:
        # Insensitive rules ignore the surrounding words, but not the file's role: invisible
        # characters in tests/fixtures are test data. Secrets stay leaks wherever they are.
        role = None if rule.secret else context_stage.file_role(skill, artifact.display_path)
        context = role or context_stage.INSTRUCTION
    severity, confidence = rule.severity, rule.confidence
    if context.polarity is not Polarity.INSTRUCTION:
        steps = context_stage.SEVERITY_STEPS[context.polarity]
        severity = severity.lowered(steps)
        confidence = confidence.lowered(1)
    evidence = _evidence(match)
    shown = mask(evidence) if rule.secret else mask_known(evidence, secrets)
    snippet = mask_known(_snippet(skill, match, line), secrets)
    if rule.secret:
        snippet = snippet.replace(evidence, mask(evidence))
    path = str(artifact.display_path)
    # The fingerprint hashes what the report shows, never a secret: a hash of one would let
    # anyone holding a baseline or SARIF file confirm a guessed password offline.
    normalised = " ".join(shown.split())
    key = (rule.id, path, normalised)
    occurrences[key] += 1
    fingerprint = hashlib.sha256("\0".join((*key, str(occurrences[key]))).encode("utf-8", "replace")).hexdigest()
    message = _render(rule.message, shown, match.captures, secrets, rule.secret)
    if match.note:
        message = f"{message} ({_clean(mask_known(match.note, secrets))})"
    if artifact.decoded_from:
        message = f"{message} [found in {artifact.decoded_from}-decoded content]"
    return Finding(
        rule_id=rule.id,
        slug=rule.slug,
        title=rule.title,
        category=rule.category,
        severity=severity,
        confidence=confidence,
        message=message,
        skill=skill,
        location=Location(artifact.display_path, line, column, snippet),
        context=context,
        fingerprint="sks1:" + fingerprint[:40],
        references=rule.docs.references,
        remediation=rule.docs.remediation,
        engine=rule.engine,
        base_severity=rule.severity,
        related=match.related,
    )


def _evidence(match: Match) -> str:
    return match.captures.get("secret") or match.matched_text


def _line(match: Match) -> int:
    return match.artifact.host_line(match.span.start_line)


def _snippet(skill: Skill, match: Match, line: int) -> str:
    """The source line of the finding in the real file, trimmed around the match."""
    host = match.artifact
    if host.is_virtual:
        host = next((a for a in skill.artifacts if a.path == host.parent), host)
    source_line = line
    lines = host.text.split("\n") if host.text else []
    text = lines[source_line - 1] if 0 < source_line <= len(lines) else match.matched_text
    text = _clean(text.strip())
    if len(text) > MAX_SNIPPET:
        anchor = max(0, text.find(match.matched_text[:40]) - 40)
        text = ("…" if anchor else "") + text[anchor : anchor + MAX_SNIPPET] + "…"
    return text


def _render(template: str, shown: str, captures: Mapping[str, str], secrets: set[str], secret_rule: bool) -> str:
    values = {name: mask(v) if secret_rule else mask_known(v, secrets) for name, v in captures.items()}
    values["match"] = shown

    def substitute(found: re.Match[str]) -> str:
        value = values.get(found.group(1))
        return _clean(value)[:120] if value is not None else found.group(0)

    return _PLACEHOLDER.sub(substitute, template)


def _clean(text: str) -> str:
    """Control and bidi characters never reach a report raw (terminal-escape safety)."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
