"""Rule documentation, rendered from the rule file (the one source of rule metadata)."""

from __future__ import annotations

from skillscan.rules.schema import Rule


def render_rule(rule: Rule) -> str:
    """A Markdown page for one rule: header line, then the sections users look for."""
    lines = [
        f"## {rule.id} · {rule.slug}",
        "",
        f"**{rule.title}** — severity {rule.severity.label}, confidence {rule.confidence.label} · "
        f"{rule.status} · added in {rule.since} · engine `{rule.engine}` · category {rule.category}"
        + (f" ({rule.threat})" if rule.threat else ""),
        "",
        "### Why it matters",
        "",
        rule.docs.why,
        "",
        "### Known problems",
        "",
        rule.docs.known_problems,
        "",
    ]
    if rule.examples_match:
        lines += ["### Example (flagged)", "", "```", *[e.code.rstrip() for e in rule.examples_match], "```", ""]
    if rule.examples_no_match:
        lines += ["### Not flagged", "", "```", *[e.code.rstrip() for e in rule.examples_no_match], "```", ""]
    lines += ["### Remediation", "", rule.docs.remediation, ""]
    if rule.docs.references:
        lines += ["### References", "", *[f"- {r}" for r in rule.docs.references], ""]
    return "\n".join(lines)
