"""High-impact capabilities without a human in the loop (C15).

`unconfirmed` reports a sentence (or code flag) that removes the user's confirmation — "without
asking", "no need to confirm", "don't pause to confirm", "skip the approval step", "they
pre-authorised every trade", "treat the request as standing authorisation", "confirm afterwards",
`auto_confirm=True` — when a high-impact capability is named close by (`near`; for code flags:
within `within_lines` lines, or an `anywhere` API call in the same file). With `require: both`
the skill must also contain `anywhere` evidence (e.g. private-key loading) somewhere.

"Close by" in Markdown is, first, the sentence itself (plus the lead-in line ending in ":" above
a list item). When the sentence alone does not name the capability, the step it belongs to is
read: its paragraph, the list the paragraph introduces with a trailing ":", and any bundled
script the sentence tells the agent to run (checked with the `anywhere` patterns) — unless that
step also asks for a confirmation ("ask the user to confirm before …"), in which case it is not
the confirmation being removed.

Immediacy wording ("place the order immediately", "run it right away") is a weaker signal: it
only counts when its sentence says nothing about confirming, approving or the user asking.

Options read from the rule's `match` (patterns are RE2, case-insensitive by default):
    near: [pattern, …]        # capability words close to the confirmation-removing sentence
    anywhere: [pattern, …]    # capability evidence anywhere in the skill (APIs, key loading …)
    require: near | both
    within_lines: 3           # code only
    removal: [pattern, …]     # override the built-in confirmation-removal phrases
    weak_removal: [pattern, …]  # override the built-in immediacy phrases
    code_removal: [pattern, …]  # override the built-in code flags (auto_confirm=True …)

The finding points at the confirmation-removing text, so context (a warning such as "never
trade without asking") lowers it like any other rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from skillscan.model import Artifact, ArtifactKind, Match, Segment, SegmentKind, Skill
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex

_WHO = r"(?:the\s+)?(?:user|owner|customer|client|admin|requester|finance\s+lead|them|anyone|a\s+human)"
REMOVAL = (
    # without asking / confirmation / the user's approval / showing it to the user / the phone check
    r"(?i)\bwithout\s+(?:first\s+|ever\s+|any\s+)?(?:asking|confirming|(?:any\s+|user\s+|human\s+|explicit\s+)?confirmation|checking\s+(?:with|back)|waiting\s+for|prompting|consulting|notifying|telling|(?:user|human|manual)\s+(?:approval|confirmation|input|review|sign-?off)|(?:the\s+)?user'?s?\s+(?:approval|confirmation|consent|permission|input|review|ok|go-?ahead))\b",
    r"(?i)\bwithout\s+(?:first\s+)?(?:showing|presenting|displaying|running)\s+(?:\w+\s+){0,4}?(?:to|by|past)\s+" + _WHO + r"\b",
    r"(?i)\bwithout\s+(?:a\s+|any\s+|the\s+)?(?:confirmation|approval|review)\s+(?:step|prompt|dialog|screen|check)\b",
    r"(?i)\bwithout\s+(?:a\s+|any\s+|the\s+)?(?:phone|call-?back|manual|second|dual|two-person|four-eyes|4-eyes)\s+(?:check|verification|approval|sign-?off|call|review)\b",
    # no need to ask / you don't need to confirm / no confirmation needed
    r"(?i)\b(?:no|there\s+is\s+no|there'?s\s+no)\s+need\s+to\s+(?:ask|confirm|check\s+(?:with|back)|wait\s+for|get\s+(?:approval|confirmation|sign-?off))\b",
    r"(?i)\bno\s+need\s+for\s+(?:a\s+|any\s+|user\s+|human\s+|explicit\s+)?(?:confirmation|approval|review|sign-?off)\b",
    r"(?i)\b(?:do\s+not|don'?t|won'?t|never)\s+need\s+(?:to\s+)?(?:ask|confirm|check\s+(?:with|back)|wait\s+for|get\s+(?:approval|confirmation|sign-?off))\b",
    r"(?i)\bno\s+(?:user\s+|human\s+|further\s+|additional\s+|extra\s+|explicit\s+)?(?:confirmation|approval|sign-?off)\s+(?:is\s+|will\s+be\s+)?(?:needed|required|necessary)\b",
    r"(?i)\b(?:confirmation|approval|sign-?off)\s+(?:is\s+not|isn'?t|is\s+never|are\s+not|aren'?t)\s+(?:needed|required|necessary)\b",
    # don't ask first / don't wait for confirmation / don't pause to confirm / don't show it for approval
    r"(?i)\b(?:do\s+not|don'?t|never)\s+(?:ask|wait|prompt|check\s+(?:with|back))\s+(?:the\s+user\s+|them\s+|the\s+owner\s+|anyone\s+)?(?:for\s+)?(?:confirmation|approval|permission|consent|first|before|beforehand|again)\b",
    r"(?i)\b(?:do\s+not|don'?t|never)\s+(?:pause|stop|bother|hesitate|wait)\s+(?:to\s+|for\s+|and\s+)?(?:ask|confirm|check|verify|get\s+(?:approval|confirmation|sign-?off))\b",
    r"(?i)\b(?:do\s+not|don'?t|never)\s+(?:show|present|display|run|send|pass)\s+(?:\w+\s+){0,4}?(?:to\s+" + _WHO + r"\s+)?(?:for|to\s+get)\s+(?:approval|review|confirmation|sign-?off|a\s+check)\b",
    r"(?i)\b(?:do\s+not|don'?t|never)\s+(?:confirm|double-check|verify|check)\s+(?:it\s+|this\s+|them\s+|each\s+\w+\s+)?with\s+" + _WHO + r"\b",
    # skip / bypass / turn off the confirmation step, dual approval, the call-back
    r"(?i)\b(?:skip|bypass|suppress|omit|disable|turn\s+off|switch\s+off|dispense\s+with|forgo|forego|leave\s+out)s?\s+(?:the\s+|any\s+|all\s+|every\s+)?(?:user\s+|human\s+|manual\s+|dual\s+|second\s+|two-person\s+|four-eyes\s+|4-eyes\s+)?(?:confirmation|approval|review|sign-?off)s?\b",
    r"(?i)\b(?:skip|bypass|omit|forgo|forego|dispense\s+with)s?\s+(?:the\s+|any\s+)?(?:phone|call-?back|payee|vendor|bank[- ]detail|identity)\s+(?:check|verification|call|confirmation)s?\b",
    # automatically execute / auto-approve
    r"(?i)\bautomatically\s+(?:execute|place|submit|approve|confirm|sign|send|broadcast|transfer|pay|buy|sell|trade|post|publish|unlock|disarm|open|grant|mass[- ]?send|message|email|dm)\b",
    r"(?i)\bauto-?(?:approve|confirm|execute|sign)\b|\bauto-(?:trade|buy|sell|pay|send)\b",
    r"(?i)\b(?:approve|confirm|sign)\s+(?:the\s+|all\s+|any\s+|every\s+|each\s+)?(?:pending\s+)?(?:transactions?|transfers?|payments?|trades?|orders?|swaps?|withdrawals?)\s+(?:automatically|yourself|on\s+(?:the\s+user'?s|their)\s+behalf|immediately|right\s+away|without)\b",
    r"(?i)\b(?:silently|quietly|in\s+the\s+background)\s+(?:execute|place|submit|send|broadcast|sign|transfer|pay|post|publish|message|email)\b",
    # consent claimed in advance: pre-authorised, standing authorisation, "the request is the approval"
    r"(?i)\bpre-?(?:authori[sz]ed|approved|confirmed)\s+(?:every|all|each|any|these|those|this|future|recurring|standing)\b",
    r"(?i)\b(?:user|owner|they|you|customer|client)\s+(?:has\s+|have\s+|had\s+)?(?:already\s+)?pre-?(?:authori[sz]ed|approved|confirmed)\b",
    r"(?i)\balready\s+(?:approved|authori[sz]ed|confirmed|consented\s+to|agreed\s+to)\s+(?:every|all|each|any|standing|future|recurring|blanket)\b",
    r"(?i)\b(?:standing|blanket|advance|open-ended)\s+(?:authori[sz]ation|approval|consent|permission|go-?ahead)\b",
    r"(?i)\bas\s+(?:(?:standing|blanket|advance|prior|implicit|general|full|sufficient|ongoing|permanent)\s+)+(?:authori[sz]ation|approval|consent|confirmation|permission|go-?ahead|sign-?off)\b",
    r"(?i)\b(?:request|installation|install|schedule|invocation|command|trigger|signal|strategy)\s+(?:itself\s+)?(?:is|counts\s+as|serves\s+as|constitutes|was)\s+(?:the\s+|their\s+|your\s+|all\s+the\s+)?(?:approval|authori[sz]ation|consent|confirmation|permission|go-?ahead)\b",
    r"(?i)\b(?:installing|enabling|invoking)\s+(?:this\s+|the\s+)?(?:skill|tool|strategy|bot|plugin)\s+(?:is|counts\s+as|means|implies)\s+(?:\w+\s+){0,3}?(?:approval|authori[sz]ation|consent|permission)\b",
    # the user hears about it only afterwards
    r"(?i)\b(?:confirm|check)\s+(?:it\s+|them\s+|with\s+the\s+user\s+){0,2}(?:only\s+)?(?:afterwards|after\s+the\s+fact|retroactively|post[- ]hoc)\b",
    r"(?i)\bonly\s+(?:present|show|report|tell|list|summari[sz]e|notify)\b[^.\n]{0,40}?\b(?:once|after|when)\s+(?:everything|all|every\w*|they|it|each)\b[^.\n]{0,30}?\b(?:paid|sent|executed|transferred|posted|placed|done|completed|submitted|unlocked)\b",
)
# Immediacy: counts only when the sentence says nothing about confirmation or the user asking.
WEAK_REMOVAL = (
    r"(?i)\b(?:immediately|right\s+away|instantly|straight\s+away|at\s+once)\s+(?:execute|place|submit|send|broadcast|sign|pay|transfer|issue|buy|sell|unlock|disarm|post|message|text|email)\b",
    r"(?i)\b(?:execute|place|submit|send|broadcast|sign|pay|transfer|issue|buy|sell|unlock|disarm|run|post|text|email|message)\s+(?:\w+\s+){0,4}?(?:immediately|right\s+away|instantly|straight\s+away|at\s+once|as\s+soon\s+as)\b",
)
_WEAK_GUARD = re.compile(
    r"(?i)\b(?:confirm\w*|approv\w*|consent\w*|permission|review\w*|sign-?off|yes)\b|"
    r"\b(?:user|owner|they|customer)\s+(?:explicitly\s+)?(?:asks?|requests?|says?|tells?|instructs?|types?)\b"
)
# The step itself keeps a confirmation: then a "without asking" elsewhere in it is about something else.
_CONFIRMATION_KEPT = re.compile(
    r"(?i)\b(?:ask|wait\s+for|get|obtain|require|request|needs?)\s+(?:for\s+)?(?:the\s+(?:user|owner|admin)'?s?\s+|their\s+|an?\s+)?(?:explicit\s+|written\s+)?(?:confirmation|approval|consent|go-?ahead|yes)\b|"
    r"\b(?:after|once|when|until|unless)\s+(?:the\s+)?(?:user|owner|admin|they)\s+(?:has\s+|have\s+)?(?:explicitly\s+)?(?:confirm|approv|says?\s+yes|agree)\w*|"
    r"\bconfirm\s+(?:with\s+(?:the\s+)?(?:user|owner)\s+)?(?:before|first)\b|"
    r"\bonly\s+(?:after|on|with)\s+(?:an?\s+)?(?:explicit\s+)?(?:confirmation|approval|yes|consent)\b"
)
# "without asking for a title" asks for information, not for consent.
_ASKS_FOR_INFO = re.compile(
    r"(?i)\s+(?:the\s+user\s+|them\s+|anyone\s+)?(?:for\s+(?:a|an|the|their|its|any|more)\s+"
    r"(?!(?:explicit\s+|further\s+|final\s+)?(?:confirm|approv|permission|consent|go-?ahead|ok\b|sign-?off|review))"
    r"|what\b|which\b|how\b|where\b|when\b|about\b|questions\b|clarif)"
)
_ASKING_END = re.compile(r"(?i)\b(?:ask|asking|prompting|consulting)$")
# A sentence about looking things up (and not about moving, sending or unlocking anything).
_READ_ONLY = re.compile(
    r"(?i)\b(?:read-?only|look(?:ing)?\s+(?:\w+\s+){0,3}?up|lookups?|quotes?|fetch(?:ing|es)?|view(?:ing|s)?|"
    r"search(?:ing|es)?|query(?:ing)?|summari[sz]e\w*|inspect\w*|check(?:ing)?\s+(?:the\s+)?(?:balance|status|state)s?)\b"
)
_ACTION = re.compile(
    r"(?i)\b(?:pay|pays|paying|buy|sell|place|submit|send|sends|sending|transfer|wire|execute|trade|refund|issue|settle|"
    r"approve|sign|broadcast|unlock|disarm|open|post|publish|email|text|message|dm|grant|attach|withdraw|swap|run)\b"
)
CODE_REMOVAL = (
    r"(?i)\b(?:auto_?(?:confirm|execute|approve|trade|sign|send)|skip_?confirm\w*|no_?confirm\w*)[\"']?\s*[:=]\s*(?:True|true|1)\b",
    r"(?i)\b(?:require_?(?:user_?)?confirm\w*|ask_?(?:for_?)?confirm\w*|confirm_?(?:each|before)\w*)[\"']?\s*[:=]\s*(?:False|false|0)\b",
)
_PROSE = frozenset({SegmentKind.PROSE, SegmentKind.HEADING, SegmentKind.INLINE_CODE, SegmentKind.FRONTMATTER,
                    SegmentKind.HTML_COMMENT, SegmentKind.LINK})
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
_SCRIPT_PATH = re.compile(r"(?<![\w/.-])((?:\./)?[\w.-]+(?:/[\w.-]+)*\.(?:py|sh|bash|js|mjs|cjs|ts|ps1|rb|pl|php|go))\b")


def unconfirmed(rule: Rule, skill: Skill) -> Iterator[Match]:
    options = rule.match
    near = _compile(options.get("near", ()))
    anywhere = _compile(options.get("anywhere", ()))
    removal = _compile(options.get("removal", REMOVAL))
    weak = _compile(options.get("weak_removal", WEAK_REMOVAL))
    code_removal = _compile(options.get("code_removal", CODE_REMOVAL))
    require = str(options.get("require", "near"))
    window = int(options.get("within_lines", 3))
    present = _anywhere(skill, anywhere) if anywhere else False
    blank = removal + weak
    seen: set[tuple[str, int]] = set()
    for candidate in _candidates(skill, removal, weak, code_removal):
        artifact, start, end, text = candidate.artifact, candidate.start, candidate.end, candidate.text
        index = LineIndex(artifact.text)
        line, _ = index.position(start)
        key = (str(artifact.path), line)
        if key in seen:
            continue
        if candidate.sentence is None:  # code: a window of lines around the flag, or the file's own API calls
            first = max(1, line - window)
            context = "\n".join(index.line_text(n) for n in range(first, line + window + 1))
            close = any(p.search(context) for p in near) or any(p.search(artifact.text) for p in anywhere)
        else:
            if candidate.weak and _WEAK_GUARD.search(_blanked(candidate.sentence, blank)):
                continue
            if (_ASKING_END.search(text) and _ASKS_FOR_INFO.match(artifact.text, end)) or _read_only(_blanked(candidate.sentence, blank)):
                continue
            close = any(p.search(candidate.sentence) for p in near)
            if not close and candidate.step and not _CONFIRMATION_KEPT.search(_blanked(candidate.step, blank)):
                close = any(p.search(candidate.step) for p in near) or _runs_capable_script(
                    skill, candidate.sentence, anywhere)
        if not close or (require == "both" and not present):
            continue
        seen.add(key)
        yield Match(rule.id, artifact, index.span(start, end), text,
                    note="the capability is named in the same step" if require != "both"
                    else "the capability is named in the same step and the skill loads the key material")


class _Candidate:
    __slots__ = ("artifact", "start", "end", "text", "sentence", "step", "weak")

    def __init__(self, artifact: Artifact, start: int, end: int, text: str,
                 sentence: str | None = None, step: str = "", weak: bool = False) -> None:
        self.artifact, self.start, self.end, self.text = artifact, start, end, text
        self.sentence, self.step, self.weak = sentence, step, weak


def _read_only(sentence: str) -> bool:
    return bool(_READ_ONLY.search(sentence)) and not _ACTION.search(sentence)


def _compile(patterns: Sequence[str]) -> tuple[Any, ...]:
    from skillscan.engines.regex import compile_pattern  # RE2: linear time on hostile text

    return tuple(compile_pattern(p if p.startswith("(?") else "(?i)" + p) for p in patterns)


def _blanked(text: str, patterns: tuple[Any, ...]) -> str:
    """`text` with every confirmation-removing phrase cut out ("don't wait for confirmation"
    must not count as keeping one)."""
    for pattern in patterns:
        text = pattern.sub(" ", text)
    return text


def _candidates(
    skill: Skill, removal: tuple[Any, ...], weak: tuple[Any, ...], code_removal: tuple[Any, ...]
) -> Iterator[_Candidate]:
    """Confirmation-removing text: in Markdown with its sentence and its step; in code without
    (the caller reads a line window)."""
    for artifact in skill.artifacts:
        if artifact.kind is ArtifactKind.BINARY or not artifact.text:
            continue
        if artifact.language == "markdown" and not artifact.is_virtual:
            # One pass over the whole text per pattern first: most documents hold none of them.
            tiers = [(tier, [p for p in patterns if _may_match(p, artifact.text)])
                     for tier, patterns in ((False, removal), (True, weak))]
            if not any(present for _, present in tiers):
                continue
            lines = artifact.text.split("\n")
            segments = list(artifact.segments)
            for position, segment in enumerate(segments):
                if segment.kind not in _PROSE:
                    continue
                step = ""
                for tier, patterns in tiers:
                    for pattern in patterns:
                        for found in pattern.finditer(segment.text):
                            sentence = _sentence(lines, segment, found.start(), found.end())
                            step = step or _step(lines, segments, position)
                            yield _Candidate(artifact, segment.start_offset + found.start(),
                                             segment.start_offset + found.end(), found.group(0), sentence, step, tier)
        elif artifact.kind in (ArtifactKind.SCRIPT, ArtifactKind.CONFIG) and not artifact.decoded_from:
            for pattern in code_removal:
                for found in pattern.finditer(artifact.text):
                    yield _Candidate(artifact, found.start(), found.end(), found.group(0))


def _may_match(pattern: Any, text: str) -> bool:
    """Whether `pattern` can match in some segment of `text` (anchored ones may match only there)."""
    source = pattern.pattern
    return any(anchor in source for anchor in ("^", "$", "\\A", "\\z")) or bool(pattern.search(text))


_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\s*\n")


def _sentence(lines: list[str], segment: Segment, start: int, end: int) -> str:
    """The sentence around the match, plus the lead-in line ending in ":" above a list item."""
    text = segment.text
    cut = 0
    for found in _SENTENCE_END.finditer(text, 0, start):
        cut = found.end()
    stop = _SENTENCE_END.search(text, end)
    parts = [text[cut : stop.end() if stop else len(text)]]
    lead_in = _lead_in(lines, segment)
    if lead_in:
        parts.append(lead_in)
    return "\n".join(parts)


def _lead_in(lines: list[str], segment: Segment) -> str:
    before = segment.span.start_line - 2  # 0-based index of the line above the segment
    while before >= 0 and not lines[before].strip():
        before -= 1
    if before >= 0 and lines[before].rstrip().endswith(":"):
        return lines[before]
    return ""


def _step(lines: list[str], segments: list[Segment], position: int) -> str:
    """The paragraph holding the match, its lead-in line, and the list it introduces when it
    ends with ":" (the list items are the step's actions)."""
    segment = segments[position]
    if segment.kind not in (SegmentKind.PROSE, SegmentKind.HEADING):
        # inline code / links sit inside a prose paragraph: read that paragraph
        for candidate in segments:
            if (candidate.kind is SegmentKind.PROSE
                    and candidate.span.start_line <= segment.span.start_line <= candidate.span.end_line):
                segment, position = candidate, segments.index(candidate)
                break
        else:
            return ""
    if segment.kind is SegmentKind.HEADING:
        return ""
    parts = [segment.text, _lead_in(lines, segment)]
    if segment.text.rstrip().endswith(":"):
        last = segment.span.end_line
        for following in segments[position + 1 :]:
            if following.span.start_line <= last and following.kind is not SegmentKind.PROSE:
                continue  # inline code and links nested in what was already read
            if following.kind is SegmentKind.HEADING:
                break
            if following.kind is not SegmentKind.PROSE:
                continue
            if not _LIST_ITEM.match(following.text):
                break
            parts.append(following.text)
            last = following.span.end_line
    return "\n".join(p for p in parts if p)


def _runs_capable_script(skill: Skill, sentence: str, anywhere: tuple[Any, ...]) -> bool:
    """The sentence tells the agent to run a bundled script that calls the capability's API."""
    if not anywhere:
        return False
    for found in _SCRIPT_PATH.finditer(sentence):
        wanted = found.group(1).removeprefix("./")
        for artifact in skill.artifacts:
            if artifact.is_virtual or artifact.kind is not ArtifactKind.SCRIPT or not artifact.text:
                continue
            path = str(artifact.path)
            if path == wanted or path.endswith("/" + wanted):
                if any(p.search(artifact.text) for p in anywhere):
                    return True
    return False


def _anywhere(skill: Skill, patterns: tuple[Any, ...]) -> bool:
    for artifact in skill.artifacts:
        if artifact.kind is ArtifactKind.BINARY or not artifact.text:
            continue
        if any(p.search(artifact.text) for p in patterns):
            return True
    return False
