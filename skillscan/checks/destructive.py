"""Destructive-action and resource-abuse checks a regex cannot express well (C14).

- `unguarded_rm_variable`: `rm -rf "$DIR/"` / `rm -rf $DIR/*` in shell where DIR is never
  given a non-empty value in the script (it comes from the environment, a positional argument
  or `read`) and no guard (`${DIR:?}`, `[ -n "$DIR" ]`, `[ -z "$DIR" ] && exit` …) names it.
  An empty DIR turns the command into `rm -rf /` or `rm -rf /*` (the Steam-for-Linux bug).
- `oversized_instructions`: context flooding — a SKILL.md over `skill_md_bytes`, a Markdown or
  text file SKILL.md points at over `reference_bytes`, a Markdown file too large to load at all,
  or a file whose non-blank lines are mostly one line repeated (`repeat_count`, `repeat_share`).

Each function honours the rule's `applies_to` artifact kinds itself.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import PurePosixPath

from skillscan.model import Artifact, ArtifactKind, Match, Skill, Span
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex

_RM_VARIABLE = re.compile(
    r"""\brm\s+(?:-{1,2}[\w-]+\s+)*?(?:-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)\s+(?:-{1,2}[\w-]+\s+)*"""
    r"""(?P<target>"?\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"?/"?\*?"?)(?=[ \t]|$|;|&|\||\))""",
    re.MULTILINE,
)
# Variables that are always set to something harmless-or-covered-elsewhere.
_SKIP_VARIABLES = frozenset({"HOME", "PWD", "OLDPWD"})  # HOME: SKS-DST-001
_POSITIONAL = re.compile(r"""^["']?\$(?:\{?[0-9@*]\}?|\{?[0-9]+[:}])""")


def unguarded_rm_variable(rule: Rule, skill: Skill) -> Iterator[Match]:
    for artifact in skill.artifacts:
        if artifact.kind is not ArtifactKind.SCRIPT or artifact.language != "shell" or not artifact.text:
            continue
        text = artifact.text
        if "rm" not in text:
            continue
        index = LineIndex(text)
        for found in _RM_VARIABLE.finditer(text):
            name = found.group("braced") or found.group("bare")
            if name in _SKIP_VARIABLES or _guarded(text, name) or _assigned_non_empty(text, name):
                continue
            start, end = found.start("target"), found.end("target")
            yield Match(rule.id, artifact, index.span(start, end), found.group(0).strip(),
                        {"variable": name}, note=f"${name} is never checked for being empty")


def _guarded(text: str, name: str) -> bool:
    variable = re.escape(name)
    patterns = (
        rf"\$\{{{variable}:?[?=+-]",  # ${VAR:?} ${VAR?} ${VAR:-x} ${VAR:=x} ${VAR:+x}
        rf"-[nzd]\s+\"?\$\{{?{variable}\}}?\"?",  # [ -n "$VAR" ] / [[ -z $VAR ]] / -d "$VAR"
        rf"\[\[?\s+\"?\$\{{?{variable}\}}?\"?\s+(?:!=|==?|\]\])",  # [ "$VAR" != "" ] / [[ $VAR ]]
        rf"\btest\s+(?:-[nzd]\s+)?\"?\$\{{?{variable}\}}?",
        rf"\bcase\s+\"?\$\{{?{variable}\}}?\"?\s+in\b",
    )
    return any(re.search(p, text) for p in patterns)


def _assigned_non_empty(text: str, name: str) -> bool:
    """True when some assignment gives the variable a value that cannot be empty."""
    variable = re.escape(name)
    for found in re.finditer(
        rf"(?m)^\s*(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)?)?{variable}=(?P<value>[^\n;#]*)", text
    ):
        value = found.group("value").strip()
        if not value or value in ('""', "''"):
            continue
        if re.search(r"\$\{[^}]*\?", value):
            return True  # ${1:?usage} aborts when empty
        if _POSITIONAL.match(value):
            continue  # from the command line: empty when the caller forgets it
        literal = re.sub(r"\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|[\"']", "", value)
        if literal.strip() or value.startswith(("$(", '"$(', "`", '"`')):
            return True  # a literal part (a path) or a command substitution (mktemp -d …)
    return bool(re.search(rf"\bfor\s+{variable}\s+in\b", text))


def oversized_instructions(rule: Rule, skill: Skill) -> Iterator[Match]:
    options = rule.match
    skill_md_limit = int(options.get("skill_md_bytes", 200_000))
    reference_limit = int(options.get("reference_bytes", 1_000_000))
    repeat_count = int(options.get("repeat_count", 100))
    repeat_share = float(options.get("repeat_share", 0.25))
    skill_md = next((a for a in skill.artifacts if a.kind is ArtifactKind.SKILL_MD and not a.is_virtual), None)
    mentioned = skill_md.text.lower() if skill_md is not None and skill_md.text else ""
    for artifact in skill.artifacts:
        if artifact.is_virtual or artifact.kind not in (ArtifactKind.SKILL_MD, ArtifactKind.DOCUMENT) or not artifact.text:
            continue
        if artifact.kind is ArtifactKind.DOCUMENT and artifact.language not in ("markdown", "text"):
            continue
        size = len(artifact.text.encode("utf-8", "replace"))
        referenced = artifact.kind is ArtifactKind.SKILL_MD or artifact.path.name.lower() in mentioned
        limit = skill_md_limit if artifact.kind is ArtifactKind.SKILL_MD else reference_limit
        if referenced and size > limit:
            yield Match(rule.id, artifact, Span(1, 1, 1, 1), f"{artifact.path} is {size // 1024} KB",
                        note=f"the agent loads it into its context; limit {limit // 1024} KB")
            continue
        repeated = _repetition(artifact.text, repeat_count, repeat_share)
        if repeated is not None:
            line, count, share = repeated
            index = artifact.text.split("\n")
            number = next((n for n, l in enumerate(index, start=1) if l.strip() == line), 1)
            yield Match(rule.id, artifact, Span(number, 1, number, 1), line[:80],
                        note=f"the same line appears {count} times ({share:.0%} of the file)")
    for skipped in skill.skipped:
        if skipped.reason == "too-large" and skipped.path.suffix.lower() in (".md", ".markdown", ".txt", ".mdx"):
            placeholder = Artifact(PurePosixPath(str(skipped.path)), ArtifactKind.DOCUMENT, "markdown", "", "")
            yield Match(rule.id, placeholder, Span(1, 1, 1, 1), f"{skipped.path} ({skipped.detail})",
                        note="too large to scan, and far too large for an agent's context")


def _repetition(text: str, min_count: int, min_share: float) -> tuple[str, int, float] | None:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) < min_count:
        return None
    counts = Counter(line for line in lines if len(line) >= 20 and not set(line) <= set("-=*_#|`~ :"))
    if not counts:
        return None
    line, count = counts.most_common(1)[0]
    share = count / len(lines)
    if count >= min_count and share >= min_share:
        return line, count, share
    return None
