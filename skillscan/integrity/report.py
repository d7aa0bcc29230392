"""Render a verify Audit as a table, JSON (schema_version 1) or SARIF 2.1.0."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

from skillscan import __version__
from skillscan.integrity.audit import Audit
from skillscan.integrity.verify import Drift, DriftKind
from skillscan.model import Severity
from skillscan import textsafe

SCHEMA_VERSION = 1
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}
_HELP = {
    DriftKind.FILE_MODIFIED: "A file's content differs from the approved version.",
    DriftKind.FILE_ADDED: "A file appeared in an approved skill.",
    DriftKind.FILE_REMOVED: "A file of an approved skill is gone.",
    DriftKind.MODE_CHANGED: "A file's permission bits changed.",
    DriftKind.EXEC_BIT_ADDED: "A file became executable.",
    DriftKind.TYPE_CHANGED: "An entry changed type (file, folder, symlink).",
    DriftKind.SYMLINK_RETARGETED: "A symlink inside a skill points somewhere else.",
    DriftKind.FOLDER_RELINKED: "The skill folder is (or stopped being) a symlink, or points elsewhere.",
    DriftKind.SOURCE_UPDATED: "The skill's source moved (git commit, registry or plugin version): an expected update.",
    DriftKind.SKILL_UNAPPROVED: "A skill that was never approved is installed.",
    DriftKind.SKILL_REMOVED: "An approved skill is gone.",
    DriftKind.SKILL_QUARANTINED: "An approved skill is in quarantine.",
    DriftKind.SKILL_SHADOWED: "A skill takes the name of an approved skill and may be loaded instead of it.",
    DriftKind.SIGNATURE_INVALID: "The skill's signature does not match its files.",
    DriftKind.SIGNATURE_UNTRUSTED: "The skill is now signed by a key outside the allowed signers.",
    DriftKind.SURFACE_CHANGED: "An MCP server entry or a hook/permission/env setting changed.",
    DriftKind.SURFACE_ADDED: "A new MCP server entry or hook/permission/env setting appeared.",
    DriftKind.SURFACE_REMOVED: "An MCP server entry or hook/permission/env setting was removed.",
    DriftKind.UNREADABLE: "An approved skill could not be read.",
    DriftKind.RISK_INCREASED: "Re-scanning found findings that were not there at approval.",
}


def render_json(audit: Audit, lockfile: Path) -> str:
    result = audit.result
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "skillscan", "version": __version__},
        "lockfile": str(lockfile),
        "drift": [d.to_json() for d in _sorted(result.drifts)],
        "rescan": {"rule_packs_changed": audit.rule_packs_changed, "skills": audit.rescanned,
                   "deltas": [d.to_json() for d in audit.deltas]},
        "errors": result.errors,
        "summary": {"skills": result.skills_checked, "files": result.files_checked,
                    "files_hashed": result.files_hashed, "unsigned_skills": result.unsigned,
                    "drift": len(result.drifted), "drifted_skills": len(result.drifted_skills),
                    "exit_code": result.exit_code},
    }
    return _json_text(data)


def render_sarif(audit: Audit) -> str:
    drifts = _sorted(audit.result.drifts)
    kinds = sorted({d.kind for d in drifts})
    rules = [{"id": f"skillscan/drift/{k}", "name": str(k).replace("-", " ").title().replace(" ", ""),
              "shortDescription": {"text": _HELP[k]}} for k in kinds]
    results = [_sarif_result(d) for d in drifts]
    for delta in audit.deltas:
        for finding in delta.new:
            location = {"artifactLocation": {"uri": Path(delta.path, str(finding.location.path)).as_uri()},
                        "region": {"startLine": max(1, finding.location.line)}}
            results.append({"ruleId": finding.rule_id, "level": _LEVEL[finding.severity],
                            "message": {"text": f"new on re-scan: {finding.message}"},
                            "locations": [{"physicalLocation": location}]})
    sarif = {"$schema": _SARIF_SCHEMA, "version": "2.1.0",
             "runs": [{"tool": {"driver": {"name": "skillscan", "version": __version__,
                                           "informationUri": "https://github.com/skillscan/skillscan",
                                           "rules": rules}},
                       "results": results}]}
    return _json_text(sarif)


def _json_text(data: Any) -> str:
    """As the scan reports do: a lone surrogate (a name that is not UTF-8) stays its JSON escape,
    so the report can always be written, and nothing that steers a terminal or reorders text
    (DEL, C1, bidi controls) is left raw; json.dumps escapes the C0 controls itself."""
    return textsafe.json_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def safe_text(text: object) -> str:
    """One line of terminal text from hostile names (skill, file, folder): control, bidi and
    invisible characters and newlines as the scan table shows them (\\xNN, \\uNNNN), and a lone
    surrogate (a name that is not UTF-8) as its \\uNNNN escape, which any output can encode."""
    return textsafe.shown(text, inline=True)


def _sarif_result(drift: Drift) -> dict[str, Any]:
    target = Path(drift.where) / drift.path if drift.path and drift.path != "." and drift.kind not in (
        DriftKind.SURFACE_ADDED, DriftKind.SURFACE_CHANGED, DriftKind.SURFACE_REMOVED) else Path(drift.where)
    text = f"{drift.skill}: {drift.kind}" + (f" {drift.path}" if drift.path else "")
    text += f" — {drift.detail}" if drift.detail else ""
    return {"ruleId": f"skillscan/drift/{drift.kind}", "level": _LEVEL[drift.severity], "message": {"text": text},
            "properties": {"severity": drift.severity.label},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": target.absolute().as_uri()}}}]}


def render_table(audit: Audit, color: bool = False) -> str:
    result = audit.result
    if not result.drifts and not audit.deltas and not result.errors and not audit.rule_packs_changed:
        return _status(audit) + "\n"  # the common, clean case: no need to load rich
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = StringIO()
    console = Console(file=buffer, force_terminal=color, width=160, highlight=False)
    drifts = _sorted(result.drifts)
    if drifts:
        table = Table("Severity", "Drift", "Skill", "Path", "Detail", title=f"{len(result.drifted)} drift(s)")
        for d in drifts:
            # Text, not markup: a name like "[red]x" is shown as it is, never interpreted.
            table.add_row(d.severity.label, str(d.kind), Text(safe_text(d.skill)),
                          Text(safe_text(d.path or d.where)), Text(safe_text(d.detail)))
        console.print(table)
    for delta in audit.deltas:
        console.print(Text(f"re-scan {safe_text(delta.skill)}: {_counts(delta.before)} → {_counts(delta.after)}; "
                           f"{len(delta.new)} new, {delta.resolved} resolved"))
        for f in delta.new:
            console.print(Text(f"  + {f.severity.label} {f.rule_id} {safe_text(f.title)} "
                               f"({safe_text(f.location.path)}:{f.location.line})"))
    if audit.rule_packs_changed:
        console.print("rule packs changed since approval: every skill was re-scanned")
    for error in result.errors:
        console.print(Text(f"warning: {safe_text(error)}"))
    console.print(_status(audit))
    return buffer.getvalue()


def _status(audit: Audit) -> str:
    result = audit.result
    status = "no drift" if not result.drifted else f"DRIFT in {len(result.drifted_skills)} skill(s)"
    return (f"{status}: {result.skills_checked} skill(s), {result.files_checked} file(s) checked, "
            f"{result.files_hashed} hashed; {result.unsigned} unsigned skill(s) (info)")


def _counts(counts: dict[str, int]) -> str:
    shown = [f"{n} {label}" for label, n in counts.items() if n]
    return ", ".join(shown) or "none"


def _sorted(drifts: list[Drift]) -> list[Drift]:
    return sorted(drifts, key=lambda d: (-d.severity, d.where, d.path, str(d.kind)))
