"""Reporters: a ScanResult → text. Machine formats are versioned contracts (D8)."""

from __future__ import annotations

import enum
from collections import Counter

from skillscan.model import Finding, ScanResult, Severity


class Format(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


def render(result: ScanResult, fmt: Format, fail_on: Severity, color: bool = False, width: int | None = None) -> str:
    match fmt:
        case Format.TABLE:
            from skillscan.report.table import render_table

            return render_table(result, fail_on, color=color, width=width)
        case Format.JSON:
            from skillscan.report.json import render_json

            return render_json(result, fail_on)


def counts_by_severity(findings: tuple[Finding, ...]) -> dict[str, int]:
    counted = Counter(f.severity for f in findings)
    return {severity.label: counted.get(severity, 0) for severity in reversed(Severity)}


def exit_code(result: ScanResult, fail_on: Severity) -> int:
    return 1 if any(f.severity >= fail_on for f in result.active_findings) else 0
