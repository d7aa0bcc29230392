"""Reporters: a ScanResult → text. Machine formats are versioned contracts (D8)."""

from __future__ import annotations

import enum
from collections import Counter
from typing import assert_never

from skillscan import textsafe
from skillscan.model import Finding, ScanResult, Severity

# Rule pages generated from rules/ by `python -m skillscan.rules.gendocs`.
DOCS_URL = "https://github.com/skillscan/skillscan/blob/main/docs/rules"
HOMEPAGE = "https://github.com/skillscan/skillscan"


class Format(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"
    HTML = "html"


def render(result: ScanResult, fmt: Format, fail_on: Severity, color: bool = False, width: int | None = None) -> str:
    """The report as text that can always be written: a lone surrogate (from a `\\udc00` escape
    in a skill's JSON or YAML) would make encoding fail and lose the whole report, so it is
    shown as its escape (in JSON and SARIF, the same escape in a string: valid JSON)."""
    text = _render(result, fmt, fail_on, color, width)
    if fmt in (Format.JSON, Format.SARIF):  # the same values, but nothing that steers a terminal or reorders text
        return textsafe.json_text(text)
    return textsafe.escape_surrogates(text)


def _render(result: ScanResult, fmt: Format, fail_on: Severity, color: bool, width: int | None) -> str:
    match fmt:
        case Format.TABLE:
            from skillscan.report.table import render_table

            return render_table(result, fail_on, color=color, width=width)
        case Format.JSON:
            from skillscan.report.json import render_json

            return render_json(result, fail_on)
        case Format.SARIF:
            from skillscan.report.sarif import render_sarif

            return render_sarif(result, fail_on)
        case Format.MARKDOWN:
            from skillscan.report.markdown import render_markdown

            return render_markdown(result, fail_on)
        case Format.HTML:
            from skillscan.report.html import render_html

            return render_html(result, fail_on)
        case _:
            assert_never(fmt)


def counts_by_severity(findings: tuple[Finding, ...]) -> dict[str, int]:
    counted = Counter(f.severity for f in findings)
    return {severity.label: counted.get(severity, 0) for severity in reversed(Severity)}


def exit_code(result: ScanResult, fail_on: Severity) -> int:
    return 1 if any(f.severity >= fail_on for f in result.active_findings) else 0


def suppression_layer(finding: Finding) -> str:
    """inline, config, baseline or filtered: the part of `suppressed_by` before the reason."""
    return (finding.suppressed_by or "").split(":", 1)[0].strip()


def suppression_reason(finding: Finding) -> str:
    layer, _, reason = (finding.suppressed_by or "").partition(":")
    return reason.strip() or layer.strip()


def suppressed_counts(result: ScanResult) -> dict[str, int]:
    counted = Counter(suppression_layer(f) for f in result.findings if not f.active)
    return dict(sorted(counted.items()))


def help_uri(rule_id: str) -> str:
    return f"{DOCS_URL}/{rule_id}.md"
