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
        lines += ["### Example (flagged)", "", "```", *[_shown(e.code) for e in rule.examples_match], "```", ""]
    if rule.examples_no_match:
        lines += ["### Not flagged", "", "```", *[_shown(e.code) for e in rule.examples_no_match], "```", ""]
    lines += ["### Remediation", "", rule.docs.remediation, ""]
    if rule.docs.references:
        lines += ["### References", "", *[f"- {r}" for r in rule.docs.references], ""]
    return "\n".join(lines)


def _shown(code: str) -> str:
    """Example code with invisible and control characters written as escapes, so pages stay
    reviewable and stable (a raw \\r or U+200B would vanish or rewrite lines)."""
    out = []
    for char in code.rstrip():
        code_point = ord(char)
        if char in "\n\t" or (32 <= code_point < 127) or (char.isprintable() and code_point > 159 and not 0x2000 <= code_point <= 0x206F
                                                             and not 0xE0000 <= code_point <= 0xE01EF and code_point != 0xFEFF):
            out.append(char)
        else:
            out.append(f"\\u{{{code_point:04x}}}")
    return "".join(out)
