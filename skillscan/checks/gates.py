"""Trigger gates (C08): a condition that decides whether network or exec code runs.

`gated_sink` reports a gate (a date comparison, a random draw, a sandbox/VM/debugger probe …) when a
sink (network call, command execution, eval) follows it within a few lines — in the gate's own line or
the block right after it. Order matters: a sink *before* the condition is not guarded by it, which a
symmetric `all: … within_lines` window cannot express.

Rule options (in `match`):
    gate: [pattern, …]       # RE2; a named group `gate` (if present) is the evidence
    sink: [pattern, …]       # RE2
    after_lines: N           # how many lines after the gate may hold the sink (default 4)
    max_hits: N              # per file (default 5)
The rule's `applies_to` (artifacts, languages, paths) is honoured like the regex engine does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from skillscan.model import ArtifactKind, Match, Skill
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex


def gated_sink(rule: Rule, skill: Skill) -> Iterator[Match]:
    from skillscan.engines.regex import compile_pattern

    gates = [compile_pattern(p) for p in rule.match.get("gate", ())]
    sinks = [compile_pattern(p) for p in rule.match.get("sink", ())]
    after = int(rule.match.get("after_lines", 4))
    max_hits = int(rule.match.get("max_hits", 5))
    for artifact in skill.artifacts:
        if artifact.kind is ArtifactKind.BINARY or not artifact.text or not rule.applies_to.covers(artifact):
            continue
        # Patterns are multi-line (?m): one search of the whole text tells which gates can hit a line.
        present = [p for p in gates if p.search(artifact.text)]
        if not present:
            continue
        index = LineIndex(artifact.text)
        lines = artifact.text.split("\n")
        sink_lines: dict[int, bool] = {}

        def has_sink(number: int) -> bool:
            if number not in sink_lines:
                text = lines[number] if number < len(lines) else ""
                sink_lines[number] = any(p.search(text) for p in sinks)
            return sink_lines[number]

        hits = 0
        for number, line in enumerate(lines):
            if _COMMENT.match(line):
                continue  # commented-out code guards nothing
            for pattern in present:
                found = pattern.search(line)
                if found is None:
                    continue
                if not any(has_sink(n) for n in range(number, min(len(lines), number + after + 1))):
                    continue
                group = pattern.groupindex.get("gate", 0)
                start = index.starts[number] + found.start(group)
                evidence = found.group(group) or ""
                yield Match(rule.id, artifact, index.span(start, start + len(evidence)), evidence)
                hits += 1
                break
            if hits >= max_hits:
                break


_COMMENT = re.compile(r"^\s*(?:#|//|--|;|/\*|\*|REM\b|::)", re.IGNORECASE)
