"""Human report: findings grouped by skill, most severe first, then a summary."""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from skillscan import textsafe
from skillscan.model import Finding, Polarity, ScanResult, Severity
from skillscan.report import counts_by_severity, exit_code, suppressed_counts
from skillscan.report.json import scanned_files

# Names, paths and evidence from a scanned skill never reach the terminal raw: rich drops some
# controls (BEL, BS, CR) but passes ESC, C1 and bidi ones (see skillscan/textsafe.py).
_safe = textsafe.shown


SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def render_table(result: ScanResult, fail_on: Severity, color: bool = False, width: int | None = None) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width or 120,
                      highlight=False, soft_wrap=False)
    active = result.active_findings
    by_skill: dict[str, list[Finding]] = {}
    for finding in active:
        by_skill.setdefault(str(finding.skill.root), []).append(finding)
    for skill in result.skills:
        findings = sorted(by_skill.get(str(skill.root), []), key=lambda f: (-f.severity, str(f.location.path), f.location.line))
        if not findings:
            continue
        console.print(Text.assemble((_safe(skill.name, inline=True), "bold"), f"  {_safe(skill.root, inline=True)}  ",
                                    (f"[{_safe(skill.client, inline=True)}/{_safe(skill.scope, inline=True)}]", "dim")))
        console.print(_findings_table(findings))
        console.print()
    console.print(_summary(result, fail_on))
    return buffer.getvalue()


def _findings_table(findings: list[Finding]) -> Table:
    table = Table(show_header=True, header_style="bold", expand=True, pad_edge=False)
    table.add_column("Severity", no_wrap=True, width=10)
    table.add_column("Rule", no_wrap=True, ratio=2)
    table.add_column("Location", ratio=2, overflow="fold")
    table.add_column("Finding", ratio=5, overflow="fold")
    for finding in findings:
        detail = Text(_safe(finding.message))
        detail.append(f"\n{_safe(finding.location.snippet, inline=True)}", style="dim")
        if finding.context.polarity is not Polarity.INSTRUCTION:
            was = finding.base_severity.label if finding.base_severity else ""
            detail.append(f"\ncontext: {finding.context.polarity.value} — {_safe(finding.context.reason)} (rule severity {was})",
                          style="italic")
        table.add_row(
            Text(finding.severity.label.upper(), style=SEVERITY_STYLE[finding.severity]),
            Text(f"{finding.rule_id}\n{finding.slug}"),
            Text(f"{_safe(finding.location.path, inline=True)}:{finding.location.line}"),
            detail,
        )
    return table


def _summary(result: ScanResult, fail_on: Severity) -> Group:
    active = result.active_findings
    skipped = [s for skill in result.skills for s in skill.skipped]
    reasons = Counter(s.reason for s in skipped)
    scanned = sum(len(scanned_files(s)) for s in result.skills)
    counts = counts_by_severity(active)
    lines = [
        Text(f"Scanned {len(result.skills)} skill(s), {scanned} file(s); "
             f"{len(skipped)} skipped" + (f" ({', '.join(f'{n} {r}' for r, n in sorted(reasons.items()))})" if skipped else "")),
        Text("Findings: " + ", ".join(f"{n} {label}" for label, n in counts.items() if n) if active else "No findings."),
        Text("Rule packs: " + ", ".join(f"{p.name} {p.version} ({p.rule_count} rules, {p.digest[:19]}…)" for p in result.rule_packs),
             style="dim"),
    ]
    suppressed = suppressed_counts(result)
    if suppressed:
        by_layer = ", ".join(f"{n} {layer}" for layer, n in suppressed.items())
        lines.append(Text(f"{sum(suppressed.values())} finding(s) suppressed ({by_layer})", style="dim"))
    if result.excluded:
        lines.append(Text(f"{len(result.excluded)} skill(s) excluded by the config's `exclude`", style="dim"))
    if result.skipped_rules:
        lines.append(Text(f"{len(result.skipped_rules)} rule(s) skipped: {_safe(escape(result.skipped_rules[0][1]))}", style="yellow"))
    for error in result.errors[:10]:
        lines.append(Text(f"error: {_safe(error.where, inline=True)}: {_safe(error.message)}", style="red"))
    verdict = exit_code(result, fail_on)
    lines.append(Text(f"Result: {'FAIL' if verdict else 'pass'} (fail-on {fail_on.label})",
                      style="bold red" if verdict else "bold green"))
    return Group(*lines)
