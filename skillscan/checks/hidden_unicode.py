"""Invisible and reordering Unicode: what the model reads but a reviewer does not see.

Benign uses are left alone: a BOM at offset 0, ZWJ inside emoji sequences, ZWNJ/ZWJ between
letters of joining scripts (Arabic, Persian, Indic), a single variation selector after a
symbol, and directional marks in genuine right-to-left text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from skillscan.checks.hidden_text import instruction_signal
from skillscan.model import Artifact, ArtifactKind, Match, Skill
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex
from skillscan.unicode_sets import BIDI_CONTROLS, DIRECTIONAL_MARKS, JOINERS, TAG_RANGE, VARIATION_SELECTORS, ZERO_WIDTH

_JOINING_SCRIPTS = ("ARABIC", "SYRIAC", "NKO", "DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA",
                    "TAMIL", "TELUGU", "KANNADA", "MALAYALAM", "SINHALA", "MONGOLIAN", "HEBREW", "THAI",
                    "KHMER", "MYANMAR", "TIBETAN")


def tag_characters(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Runs of Unicode tag characters (ASCII smuggling); the evidence is the decoded text."""
    for artifact, text in _texts(skill):
        if not any(0xE0000 <= ord(c) < 0xE0080 for c in text):
            continue
        index = LineIndex(text)
        for start, end in _runs(text, lambda c: ord(c) in TAG_RANGE):
            if _subdivision_flag(text, start, end):
                continue
            hidden = "".join(chr(ord(c) - 0xE0000) for c in text[start:end] if 0x20 <= ord(c) - 0xE0000 < 0x7F)
            yield Match(rule.id, artifact, index.span(start, end), f"hidden text: {hidden!r}",
                        note=f"{end - start} Unicode tag characters decode to ASCII")


def _subdivision_flag(text: str, start: int, end: int) -> bool:
    """🏴 + region tags + CANCEL TAG: the emoji flags of England, Scotland, Wales …"""
    return start > 0 and text[start - 1] == "\U0001F3F4" and text[end - 1] == "\U000E007F" and end - start <= 8


def bidi_controls(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Bidi overrides/embeddings/isolates anywhere, and directional marks outside RTL text."""
    for artifact, text in _texts(skill):
        index = LineIndex(text)
        for offset, char in enumerate(text):
            code = ord(char)
            if code not in BIDI_CONTROLS and code not in DIRECTIONAL_MARKS:
                continue
            line, _ = index.position(offset)
            line_text = index.line_text(line)
            rtl_line = _has_rtl(line_text)
            if code in DIRECTIONAL_MARKS and (rtl_line or artifact.kind not in (ArtifactKind.SCRIPT, ArtifactKind.CONFIG)):
                continue  # marks only reorder text next to RTL letters; in prose they are copy-paste noise
            if code in BIDI_CONTROLS and rtl_line and artifact.kind not in (ArtifactKind.SCRIPT, ArtifactKind.CONFIG):
                continue  # RTL prose legitimately embeds and isolates runs
            yield Match(rule.id, artifact, index.span(offset, offset + 1), f"U+{code:04X} {_name(char)}",
                        note=f"line shows as: {line_text.strip()[:120]!r}")


def invisible_characters(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Zero-width and filler characters (and variation-selector runs) that hide content."""
    for artifact, text in _texts(skill):
        index = LineIndex(text)
        for start, end in _runs(text, lambda c: ord(c) in ZERO_WIDTH or ord(c) in VARIATION_SELECTORS):
            if _benign_invisible(text, start, end):
                continue
            codes = ", ".join(sorted({f"U+{ord(c):04X}" for c in text[start:end]}))
            yield Match(rule.id, artifact, index.span(start, end), f"{end - start} invisible character(s): {codes}")


def _texts(skill: Skill) -> Iterator[tuple[Artifact, str]]:
    """Real files' texts that hold any non-ASCII character (every character these checks look
    for is outside ASCII; `isascii` answers in C, most files are plain ASCII)."""
    for artifact in skill.artifacts:
        text = artifact.text
        if text and not text.isascii() and not artifact.is_virtual and artifact.kind is not ArtifactKind.BINARY:
            yield artifact, text


def _runs(text: str, wanted: object) -> Iterator[tuple[int, int]]:
    predicate = wanted  # type: ignore[assignment]
    start = None
    for offset, char in enumerate(text):
        if predicate(char):  # type: ignore[operator]
            if start is None:
                start = offset
        elif start is not None:
            yield start, offset
            start = None
    if start is not None:
        yield start, len(text)


def _benign_invisible(text: str, start: int, end: int) -> bool:
    run = text[start:end]
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if run == "\ufeff" and start == 0:
        return True
    if len(run) == 1 and ord(run) in VARIATION_SELECTORS and before and _is_symbol(before):
        return True  # VS15/VS16 after a symbol or emoji
    if run in ("\ufe0e", "\ufe0f") and before in "0123456789#*" and before and after == "\u20e3":
        return True  # keycap emoji: digit, # or * + VS16 + COMBINING ENCLOSING KEYCAP (1️⃣)
    if all(ord(c) in JOINERS for c in run) and len(run) <= 2:
        if before and after and _is_symbol(before) and _is_symbol(after):
            return True  # emoji ZWJ sequence
        if before and after and (_joining(before) or _joining(after)):
            return True  # shaping in Arabic, Persian, Indic …
    if "\u200d" in run and before and _is_symbol(before) and all(ord(c) in JOINERS | VARIATION_SELECTORS for c in run):
        return True  # e.g. emoji + VS16 + ZWJ inside one sequence
    return False


def _is_symbol(char: str) -> bool:
    return unicodedata.category(char) in ("So", "Sk") or 0x1F000 <= ord(char) <= 0x1FAFF


def _joining(char: str) -> bool:
    name = unicodedata.name(char, "")
    return any(name.startswith(script) for script in _JOINING_SCRIPTS)


def _has_rtl(line: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in line)


def _name(char: str) -> str:
    return unicodedata.name(char, "UNKNOWN")


# --- invisible characters that split words ------------------------------------------------------

def _splits_word(text: str, start: int, end: int) -> bool:
    """The run sits between two ASCII letters or digits: it splits one word (`cu\u200brl`)."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return before.isascii() and before.isalnum() and after.isascii() and after.isalnum()


def split_words(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Zero-width or filler characters inside words, one finding per line.

    `mode: instruction` reports lines whose visible text (invisibles removed) also carries a URL,
    address, command, HTTP method, secret or imperative — keyword evasion in an instruction;
    `mode: word` reports the remaining lines (a split word with nothing else to go on)."""
    mode = rule.match.get("mode", "word")
    invisible = ZERO_WIDTH | VARIATION_SELECTORS
    for artifact, text in _texts(skill):
        index = LineIndex(text)
        by_line: dict[int, list[tuple[int, int]]] = {}
        for start, end in _runs(text, lambda c: ord(c) in invisible):
            if _splits_word(text, start, end) and not _benign_invisible(text, start, end):
                by_line.setdefault(index.position(start)[0], []).append((start, end))
        for line, runs in by_line.items():
            shown = "".join(c for c in index.line_text(line) if ord(c) not in invisible)
            why = instruction_signal(shown)
            if (mode == "instruction") != (why is not None):
                continue
            words = ", ".join(dict.fromkeys(_split_word(text, start, end) for start, end in runs))
            note = f"line reads: {shown.strip()[:120]!r}" + (f" (carries {why})" if why else "")
            first, last = runs[0][0], runs[-1][1]
            yield Match(rule.id, artifact, index.span(first, last), f"split word(s): {words}", note=note)


def _split_word(text: str, start: int, end: int) -> str:
    """The word around an invisible run, with the split shown as `|` (`P|OST`)."""
    left = start
    while left > 0 and text[left - 1].isascii() and (text[left - 1].isalnum() or text[left - 1] in "_-"):
        left -= 1
    right = end
    while right < len(text) and text[right].isascii() and (text[right].isalnum() or text[right] in "_-"):
        right += 1
    return f"{text[left:start]}|{text[end:right]}"
