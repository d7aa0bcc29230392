"""Markdown report, sized for a pull-request comment (GitHub-flavoured Markdown).

Everything that comes from a scanned skill (names, paths, messages, evidence) is hostile: it
goes out only inside code spans, with `|` escaped for tables and newlines flattened, so it can
neither format, link, mention (@someone), nor inject HTML. Rule metadata is ours and is shown
as text.
"""

from __future__ import annotations

import re

from skillscan.model import Finding, ScanResult, Severity
from skillscan.report import counts_by_severity, exit_code, help_uri, suppressed_counts, suppression_reason

MAX_ROWS = 150  # GitHub caps a comment at 65,536 characters
MAX_CELL = 160
SEVERITY_BADGE = {Severity.CRITICAL: "🟥 critical", Severity.HIGH: "🟧 high", Severity.MEDIUM: "🟨 medium",
                  Severity.LOW: "🟦 low", Severity.INFO: "⬜ info"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def code(text: str, limit: int = MAX_CELL) -> str:
    """`text` as an inert inline code span that is safe inside a table cell."""
    text = _CONTROL.sub(" ", text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("|", "\\|")
    if not text:
        return "` `"
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_markdown(result: ScanResult, fail_on: Severity) -> str:
    active = sorted(result.active_findings, key=_order)
    verdict = exit_code(result, fail_on)
    counts = counts_by_severity(tuple(active))
    lines = [
        f"## skillscan: {'❌ fail' if verdict else '✅ pass'} (fail-on {fail_on.label})",
        "",
        f"Scanned **{len(result.skills)}** skill(s). "
        + (("Active findings: " + ", ".join(f"{n} {label}" for label, n in counts.items() if n) + ".")
           if active else "No active findings."),
    ]
    suppressed = suppressed_counts(result)
    if suppressed:
        lines.append(f"Suppressed: {', '.join(f'{n} {layer}' for layer, n in suppressed.items())}.")
    lines.append("")
    if active:
        lines += ["| Severity | Rule | Skill | Location | Finding |", "|---|---|---|---|---|"]
        for finding in active[:MAX_ROWS]:
            lines.append(_row(finding))
        if len(active) > MAX_ROWS:
            lines.append("")
            lines.append(f"…and {len(active) - MAX_ROWS} more; see the full report (`--format json` or `sarif`).")
        lines.append("")
    hidden = [f for f in result.findings if not f.active]
    if hidden:
        lines += ["<details><summary>Suppressed findings</summary>", "",
                  "| Rule | Skill | Location | Reason |", "|---|---|---|---|"]
        for finding in sorted(hidden, key=_order)[:MAX_ROWS]:
            lines.append(f"| {finding.rule_id} | {code(finding.skill.name, 60)} | {_where(finding)} | "
                         f"{code(suppression_reason(finding))} |")
        lines += ["", "</details>", ""]
    if result.errors or result.skipped_rules:
        lines.append("<details><summary>Errors and skipped rules</summary>")
        lines.append("")
        lines += [f"- error: {code(e.where, 80)} {code(e.message)}" for e in result.errors[:50]]
        lines += [f"- skipped {rule_id}: {code(reason)}" for rule_id, reason in result.skipped_rules[:50]]
        lines += ["", "</details>", ""]
    packs = ", ".join(f"{p.name} {p.version}" for p in result.rule_packs)
    lines.append(f"<sub>skillscan · rule packs: {packs}</sub>")
    return "\n".join(lines) + "\n"


def _order(finding: Finding) -> tuple[int, str, str, int]:
    return (-finding.severity, finding.skill.name, str(finding.location.path), finding.location.line)


def _where(finding: Finding) -> str:
    return code(f"{finding.location.path}:{finding.location.line}", 80)


def _row(finding: Finding) -> str:
    rule = f"[{finding.rule_id}]({help_uri(finding.rule_id)})<br>{finding.slug}"
    title = finding.title.replace("|", "\\|")  # rule metadata, but third-party packs exist
    detail = f"{title}<br>{code(finding.message)}"
    if finding.location.snippet:
        detail += f"<br>{code(finding.location.snippet)}"
    return (f"| {SEVERITY_BADGE[finding.severity]} | {rule} | {code(finding.skill.name, 60)} | {_where(finding)} | "
            f"{detail} |")
