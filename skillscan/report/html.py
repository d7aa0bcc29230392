"""HTML report: one self-contained file, readable offline, grouped by skill.

Inline CSS only, no scripts at all, and a Content-Security-Policy that forbids loading anything,
so even a mistake in escaping could not run code or call out. Every string that comes from a
scanned skill goes through `html.escape` (scanned content is hostile).
"""

from __future__ import annotations

from html import escape as _html_escape

from skillscan import __version__, textsafe
from skillscan.model import Finding, ScanResult, Severity, Skill
from skillscan.report import counts_by_severity, exit_code, help_uri, suppressed_counts, suppression_reason
from skillscan.report.json import scanned_files

def escape(text: str) -> str:
    """`html.escape`, with control, bidi and invisible characters shown as \\uNNNN escapes: they
    would reorder or hide text in a browser, and act on a terminal that prints the file."""
    return textsafe.unicode_escaped(_html_escape(text))


CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
COLOURS = {Severity.CRITICAL: "#7f1d1d", Severity.HIGH: "#c2410c", Severity.MEDIUM: "#a16207",
           Severity.LOW: "#1d4ed8", Severity.INFO: "#4b5563"}
_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#111827;background:#f9fafb}
header,main,footer{max-width:1200px;margin:0 auto;padding:1rem 1.5rem}
h1{margin:.2rem 0}h2{margin:1.6rem 0 .2rem;font-size:1.2rem}
.verdict{display:inline-block;padding:.2rem .7rem;border-radius:4px;color:#fff;font-weight:700}
.fail{background:#b91c1c}.pass{background:#15803d}
.meta,.path{color:#4b5563;font-size:.9rem;overflow-wrap:anywhere}
.counts span{display:inline-block;margin:.2rem .4rem .2rem 0;padding:.1rem .5rem;border-radius:4px;color:#fff}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0}
th,td{border:1px solid #e5e7eb;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}
td.sev{color:#fff;font-weight:700;text-transform:uppercase;font-size:.8rem;white-space:nowrap}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
pre{background:#f3f4f6;padding:.3rem .5rem;margin:.3rem 0 0;border-radius:3px}
.context{color:#6b7280;font-style:italic;font-size:.85rem}
details{margin:.4rem 0}summary{cursor:pointer;color:#374151}
"""


def render_html(result: ScanResult, fail_on: Severity) -> str:
    verdict = exit_code(result, fail_on)
    active = result.active_findings
    counts = counts_by_severity(active)
    badges = "".join(f'<span style="background:{COLOURS[Severity.parse(label)]}">{n} {label}</span>'
                     for label, n in counts.items() if n)
    suppressed = suppressed_counts(result)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>skillscan report: {'fail' if verdict else 'pass'}</title>", f"<style>{_CSS}</style></head><body>",
        "<header><h1>skillscan report</h1>",
        f'<p><span class="verdict {"fail" if verdict else "pass"}">{"FAIL" if verdict else "PASS"}</span> '
        f"fail-on {fail_on.label}</p>",
        f'<p class="counts">{badges or "No active findings."}</p>',
        f'<p class="meta">{len(result.skills)} skill(s), {sum(len(scanned_files(s)) for s in result.skills)} file(s) scanned'
        + (f"; suppressed: {escape(', '.join(f'{n} {k}' for k, n in suppressed.items()))}" if suppressed else "")
        + "; rule packs: " + escape(", ".join(f"{p.name} {p.version} ({p.digest[:19]}…)" for p in result.rule_packs))
        + "</p></header><main>",
    ]
    by_skill: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_skill.setdefault(str(finding.skill.root), []).append(finding)
    clean = []
    for skill in sorted(result.skills, key=lambda s: _worst(by_skill.get(str(s.root), [])), reverse=True):
        findings = by_skill.get(str(skill.root), [])
        if findings:
            parts.append(_skill_section(skill, findings))
        else:
            clean.append(skill)
    if clean:
        parts.append(f"<h2>Skills without findings ({len(clean)})</h2><ul>")
        parts += [f'<li>{escape(s.name)} <span class="path">{escape(str(s.root))}</span></li>' for s in clean]
        parts.append("</ul>")
    if result.errors or result.skipped_rules:
        parts.append("<h2>Errors and skipped rules</h2><ul>")
        parts += [f"<li>error: <code>{escape(e.where)}</code> {escape(e.message)}</li>" for e in result.errors]
        parts += [f"<li>skipped {escape(r)}: {escape(why)}</li>" for r, why in result.skipped_rules]
        parts.append("</ul>")
    parts.append(f'</main><footer class="meta">skillscan {escape(__version__)}</footer></body></html>')
    return "\n".join(parts) + "\n"


def _worst(findings: list[Finding]) -> int:
    return max((int(f.severity) for f in findings if f.active), default=-1)


def _skill_section(skill: Skill, findings: list[Finding]) -> str:
    active = sorted((f for f in findings if f.active), key=lambda f: (-f.severity, str(f.location.path), f.location.line))
    hidden = [f for f in findings if not f.active]
    out = [f"<section><h2>{escape(skill.name)}</h2>",
           f'<p class="path">{escape(str(skill.root))} · {escape(skill.client)}/{escape(skill.scope)}</p>']
    if active:
        out.append("<table><tr><th>Severity</th><th>Rule</th><th>Location</th><th>Finding and evidence</th></tr>")
        out += [_row(f) for f in active]
        out.append("</table>")
    if hidden:
        out.append(f"<details><summary>{len(hidden)} suppressed finding(s)</summary><table>"
                   "<tr><th>Severity</th><th>Rule</th><th>Location</th><th>Finding and reason</th></tr>")
        out += [_row(f, reason=suppression_reason(f)) for f in hidden]
        out.append("</table></details>")
    out.append("</section>")
    return "\n".join(out)


def _row(finding: Finding, reason: str = "") -> str:
    location = finding.location
    detail = f"{escape(finding.message)}"
    if location.snippet:
        detail += f"<pre><code>{escape(location.snippet)}</code></pre>"
    if finding.context.reason:
        polarity = escape(finding.context.polarity.value)
        detail += f'<div class="context">context: {polarity}: {escape(finding.context.reason)}</div>'
    if reason:
        detail += f'<div class="context">suppressed: {escape(reason)}</div>'
    return (f'<tr><td class="sev" style="background:{COLOURS[finding.severity]}">{finding.severity.label}</td>'
            f'<td><a href="{escape(help_uri(finding.rule_id))}" rel="noreferrer noopener">{escape(finding.rule_id)}</a>'
            f"<br>{escape(finding.slug)}</td>"
            f"<td><code>{escape(str(location.path))}:{location.line}</code></td><td>{detail}</td></tr>")
