"""Normalisation before matching (design rule 2), with a map back to the original offsets.

The regex engine matches the normalised view, so that a rule for `webhook.site` still fires on
`web\u200bhook.site`, `ｗｅｂｈｏｏｋ.site`, `wеbhook.site` (Cyrillic е), a command split over shell
line continuations, or a host assembled from literal shell variables. The invisible characters
themselves are reported by their own rules (SKS-HID-*); here they are only removed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from skillscan.unicode_sets import BIDI_CONTROLS, DIRECTIONAL_MARKS, TAG_RANGE, VARIATION_SELECTORS, ZERO_WIDTH

_DROP = frozenset(ZERO_WIDTH | BIDI_CONTROLS | DIRECTIONAL_MARKS | VARIATION_SELECTORS | {0x00AD}) | frozenset(TAG_RANGE)
# Look-alike letters attackers substitute into Latin words; folded only inside mixed-script words.
_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M",
    "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "ο": "o", "α": "a", "ε": "e", "ι": "i",
    "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "Ο": "O", "Α": "A", "Ε": "E", "Ι": "I",
    "Κ": "K", "Ν": "N", "Ρ": "P", "Τ": "T", "Χ": "X", "Ζ": "Z", "Β": "B", "Μ": "M", "Η": "H",
})
_WORD = re.compile(r"[^\W\d_]+")
_SHELL_ASSIGNMENT = re.compile(r"""(?m)^[ \t]*(?:export[ \t]+|local[ \t]+|readonly[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"$`\\\n]*)"|'([^'\n]*)'|([^\s"'$`;&|<>()\\]+))[ \t]*(?:;|$)""")
_SHELL_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_STRING_CONCAT = re.compile(r"""(["'])([^"'\\\n]{0,200})\1\s*\+\s*(["'])([^"'\\\n]{0,200})\3""")
# Python joins adjacent literals by itself: "whenever another " "server's tool …"
_IMPLICIT_CONCAT = re.compile(r"""(["'])([^"'\\\n]{0,200})\1[ \t]*\n?[ \t]*(["'])([^"'\\\n]{0,200})\3""")
MAX_NORMALISED_CHARS = 2_000_000


@dataclass(frozen=True)
class View:
    """A normalised text and, for each of its characters, the offset it came from."""

    text: str
    origin: tuple[int, ...] | None  # None: identical to the source

    def source_offset(self, offset: int) -> int:
        if self.origin is None:
            return offset
        if offset >= len(self.origin):
            return self.origin[-1] + 1 if self.origin else 0
        return self.origin[offset]


def view(text: str, language: str | None) -> View:
    """The normalised view of one segment's text."""
    if len(text) > MAX_NORMALISED_CHARS or (text.isascii() and not _needs_code_steps(text, language)):
        return View(text, None)
    return _view(text, language or "")


@lru_cache(maxsize=4096)
def _view(text: str, language: str) -> View:
    chars, origin = _characters(text)
    if language in ("shell", "powershell"):
        chars, origin = _join_continuations(chars, origin, "`" if language == "powershell" else "\\")
    if language == "shell":
        chars, origin = _substitute_shell_variables(chars, origin)
    if language in ("python", "javascript", "typescript", "shell", "powershell"):
        chars, origin = _join_string_literals(chars, origin, python=language == "python")
    joined = "".join(chars)
    if joined == text:
        return View(text, None)
    return View(joined, tuple(origin))


def _needs_code_steps(text: str, language: str | None) -> bool:
    if language == "shell":
        return "\\\n" in text or "$" in text or "+" in text
    if language == "powershell":
        return "`\n" in text or "+" in text
    if language == "python":
        return "+" in text or '" "' in text or "' '" in text or '"\n' in text
    if language in ("javascript", "typescript"):
        return "+" in text
    return False


def _characters(text: str) -> tuple[list[str], list[int]]:
    """Drop invisible characters, apply NFKC, fold confusables inside mixed-script words."""
    chars: list[str] = []
    origin: list[int] = []
    for offset, char in enumerate(text):
        code = ord(char)
        if code in _DROP:
            continue
        if code < 0x80:
            chars.append(char)
            origin.append(offset)
            continue
        for piece in unicodedata.normalize("NFKC", char):
            chars.append(piece)
            origin.append(offset)
    folded = "".join(chars)
    for word in _WORD.finditer(folded):
        token = word.group(0)
        if not token.isascii() and any("a" <= c.lower() <= "z" for c in token):
            replaced = token.translate(_CONFUSABLES)
            if len(replaced) == len(token):
                chars[word.start() : word.end()] = list(replaced)
    return chars, origin


def _join_continuations(chars: list[str], origin: list[int], marker: str) -> tuple[list[str], list[int]]:
    out_chars: list[str] = []
    out_origin: list[int] = []
    index = 0
    while index < len(chars):
        if chars[index] == marker and index + 1 < len(chars) and chars[index + 1] == "\n":
            # As the shell does: the backslash-newline vanishes, so `tok\<newline>en` is one word;
            # the next line's indentation (if any) still separates words, as one space.
            index += 2
            indented = index < len(chars) and chars[index] in " \t"
            while index < len(chars) and chars[index] in " \t":
                index += 1
            if indented:
                out_chars.append(" ")
                out_origin.append(origin[index - 1])
            continue
        out_chars.append(chars[index])
        out_origin.append(origin[index])
        index += 1
    return out_chars, out_origin


def _substitute_shell_variables(chars: list[str], origin: list[int]) -> tuple[list[str], list[int]]:
    """Replace `$name` / `${name}` by literal values assigned earlier in the same text."""
    text = "".join(chars)
    values: dict[str, str] = {}
    for found in _SHELL_ASSIGNMENT.finditer(text):
        value = next((g for g in found.groups()[1:] if g is not None), "")
        if len(value) <= 500:
            values[found.group(1)] = value
    if not values:
        return chars, origin
    return _replace(chars, origin, _SHELL_REFERENCE, lambda m: values.get(m.group(1) or m.group(2)))


def _join_string_literals(chars: list[str], origin: list[int], python: bool = False) -> tuple[list[str], list[int]]:
    """"https://web" + "hook.site" → "https://webhook.site" (repeated for longer chains)."""
    patterns = [_STRING_CONCAT, _IMPLICIT_CONCAT] if python else [_STRING_CONCAT]
    for pattern in patterns:
        for _ in range(8):
            text = "".join(chars)
            if not pattern.search(text):
                break
            chars, origin = _replace(chars, origin, pattern, lambda m: f"{m.group(1)}{m.group(2)}{m.group(4)}{m.group(1)}")
    return chars, origin


def _replace(chars: list[str], origin: list[int], pattern: re.Pattern[str], value_of) -> tuple[list[str], list[int]]:  # type: ignore[no-untyped-def]
    text = "".join(chars)
    out_chars: list[str] = []
    out_origin: list[int] = []
    last = 0
    for found in pattern.finditer(text):
        replacement = value_of(found)
        if replacement is None:
            continue
        out_chars.extend(chars[last : found.start()])
        out_origin.extend(origin[last : found.start()])
        out_chars.extend(replacement)
        out_origin.extend([origin[found.start()]] * len(replacement))
        last = found.end()
    out_chars.extend(chars[last:])
    out_origin.extend(origin[last:])
    return out_chars, out_origin
