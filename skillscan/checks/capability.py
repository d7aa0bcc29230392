"""High-impact capabilities without a human in the loop (C15).

`unconfirmed` reports a sentence (or code flag) that removes the user's confirmation — "without
asking", "no need to confirm", "automatically execute trades", `auto_confirm=True` — when a
high-impact capability is named in the same sentence (`near`; for code flags: within
`within_lines` lines, or an `anywhere` API call in the same file). With `require: both` the skill
must also contain `anywhere` evidence (e.g. private-key loading) somewhere.

Options read from the rule's `match` (patterns are RE2, case-insensitive by default):
    near: [pattern, …]        # capability words close to the confirmation-removing sentence
    anywhere: [pattern, …]    # capability evidence anywhere in the skill (APIs, key loading …)
    require: near | both
    within_lines: 3           # code only; in Markdown "near" means the same sentence (and the
                              # lead-in line ending in ":" above a list item)
    removal: [pattern, …]     # override the built-in confirmation-removal phrases
    code_removal: [pattern, …]  # override the built-in code flags (auto_confirm=True …)

The finding points at the confirmation-removing text, so context (a warning such as "never
trade without asking") lowers it like any other rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from skillscan.model import Artifact, ArtifactKind, Match, SegmentKind, Skill
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex

REMOVAL = (
    r"(?i)\bwithout\s+(?:first\s+|ever\s+|any\s+)?(?:asking|confirming|(?:any\s+|user\s+|human\s+|explicit\s+)?confirmation|checking\s+(?:with|back)|waiting\s+for|prompting|consulting|notifying|telling|(?:user|human|manual)\s+(?:approval|confirmation|input|review|sign-?off)|(?:the\s+)?user'?s?\s+(?:approval|confirmation|consent|permission|input))\b",
    r"(?i)\b(?:no|there\s+is\s+no|there'?s\s+no)\s+need\s+to\s+(?:ask|confirm|check\s+(?:with|back)|wait\s+for|get\s+(?:approval|confirmation))\b",
    r"(?i)\b(?:do\s+not|don'?t|never)\s+(?:ask|wait|prompt|check\s+(?:with|back))\s+(?:the\s+user\s+|them\s+)?(?:for\s+)?(?:confirmation|approval|permission|consent|first|before)\b",
    r"(?i)\b(?:skip|bypass|suppress)\s+(?:the\s+|any\s+|all\s+)?(?:user\s+|human\s+|manual\s+)?(?:confirmation|approval|review)s?\b",
    r"(?i)\bautomatically\s+(?:execute|place|submit|approve|confirm|sign|send|broadcast|transfer|pay|buy|sell|trade|post|publish|unlock|disarm|open|grant|mass[- ]?send|message|email|dm)\b",
    r"(?i)\bauto-?(?:approve|confirm|execute|sign|trade|buy|sell|pay|send)\b",
    r"(?i)\b(?:approve|confirm|sign)\s+(?:the\s+|all\s+|any\s+|every\s+|each\s+)?(?:pending\s+)?(?:transactions?|transfers?|payments?|trades?|orders?|swaps?|withdrawals?)\s+(?:automatically|yourself|on\s+(?:the\s+user'?s|their)\s+behalf|immediately|right\s+away|without)\b",
    r"(?i)\b(?:immediately|right\s+away|instantly)\s+(?:execute|place|submit|send|broadcast|sign)\s+(?:the\s+|any\s+|all\s+)?(?:trades?|orders?|transactions?|transfers?|payments?)\b",
    r"(?i)\b(?:silently|quietly|in\s+the\s+background)\s+(?:execute|place|submit|send|broadcast|sign|transfer|pay|post|publish|message|email)\b",
)
CODE_REMOVAL = (
    r"(?i)\b(?:auto_?(?:confirm|execute|approve|trade|sign|send)|skip_?confirm\w*|no_?confirm\w*)[\"']?\s*[:=]\s*(?:True|true|1)\b",
    r"(?i)\b(?:require_?(?:user_?)?confirm\w*|ask_?(?:for_?)?confirm\w*|confirm_?(?:each|before)\w*)[\"']?\s*[:=]\s*(?:False|false|0)\b",
)
_PROSE = frozenset({SegmentKind.PROSE, SegmentKind.HEADING, SegmentKind.INLINE_CODE, SegmentKind.FRONTMATTER,
                    SegmentKind.HTML_COMMENT, SegmentKind.LINK})


def unconfirmed(rule: Rule, skill: Skill) -> Iterator[Match]:
    options = rule.match
    near = _compile(options.get("near", ()))
    anywhere = _compile(options.get("anywhere", ()))
    removal = _compile(options.get("removal", REMOVAL))
    code_removal = _compile(options.get("code_removal", CODE_REMOVAL))
    require = str(options.get("require", "near"))
    window = int(options.get("within_lines", 3))
    present = _anywhere(skill, anywhere) if anywhere else False
    seen: set[tuple[str, int]] = set()
    for artifact, start, end, text, context in _candidates(skill, removal, code_removal):
        index = LineIndex(artifact.text)
        line, _ = index.position(start)
        key = (str(artifact.path), line)
        if key in seen:
            continue
        if context is None:  # code: a window of lines around the flag, or the file's own API calls
            first = max(1, line - window)
            context = "\n".join(index.line_text(n) for n in range(first, line + window + 1))
            close = any(p.search(context) for p in near) or any(p.search(artifact.text) for p in anywhere)
        else:
            close = any(p.search(context) for p in near)
        if not close or (require == "both" and not present):
            continue
        seen.add(key)
        yield Match(rule.id, artifact, index.span(start, end), text,
                    note="the capability is named in the same sentence" if require != "both"
                    else "the capability is named in the same sentence and the skill loads the key material")


def _compile(patterns: Sequence[str]) -> tuple[Any, ...]:
    from skillscan.engines.regex import compile_pattern  # RE2: linear time on hostile text

    return tuple(compile_pattern(p if p.startswith("(?") else "(?i)" + p) for p in patterns)


def _candidates(
    skill: Skill, removal: tuple[Any, ...], code_removal: tuple[Any, ...]
) -> Iterator[tuple[Artifact, int, int, str, str | None]]:
    """(artifact, start, end, text, nearby text): in Markdown the nearby text is the sentence (and
    the lead-in line of a list item); in code it is left to the caller (a line window)."""
    for artifact in skill.artifacts:
        if artifact.kind is ArtifactKind.BINARY or not artifact.text:
            continue
        if artifact.language == "markdown" and not artifact.is_virtual:
            lines = artifact.text.split("\n")
            for segment in artifact.segments:
                if segment.kind not in _PROSE:
                    continue
                for pattern in removal:
                    for found in pattern.finditer(segment.text):
                        context = _sentence(lines, segment, found.start(), found.end())
                        yield (artifact, segment.start_offset + found.start(), segment.start_offset + found.end(),
                               found.group(0), context)
        elif artifact.kind in (ArtifactKind.SCRIPT, ArtifactKind.CONFIG) and not artifact.decoded_from:
            for pattern in code_removal:
                for found in pattern.finditer(artifact.text):
                    yield artifact, found.start(), found.end(), found.group(0), None


_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\s*\n")


def _sentence(lines: list[str], segment: Any, start: int, end: int) -> str:
    """The sentence around the match, plus the lead-in line ending in ":" above a list item."""
    text = segment.text
    cut = 0
    for found in _SENTENCE_END.finditer(text, 0, start):
        cut = found.end()
    stop = _SENTENCE_END.search(text, end)
    parts = [text[cut : stop.end() if stop else len(text)]]
    before = segment.span.start_line - 2  # 0-based index of the line above the segment
    while before >= 0 and not lines[before].strip():
        before -= 1
    if before >= 0 and lines[before].rstrip().endswith(":"):
        parts.append(lines[before])
    return "\n".join(parts)


def _anywhere(skill: Skill, patterns: tuple[Any, ...]) -> bool:
    for artifact in skill.artifacts:
        if artifact.kind is ArtifactKind.BINARY or not artifact.text:
            continue
        if any(p.search(artifact.text) for p in patterns):
            return True
    return False
