"""Hostile text on its way out: one home for what may not reach a terminal or a file raw.

Names, paths and evidence come from scanned skills. Control characters (ESC starts terminal
sequences), C1 controls (8-bit CSI), bidi controls (RTLO reorders what a reviewer reads) and
invisible format characters are shown as escapes; a lone surrogate (Python's spelling of a name
that is not UTF-8) cannot be encoded at all, so it is kept as its escape wherever text is written.
"""

from __future__ import annotations

import re

SURROGATES = re.compile("[\ud800-\udfff]")
# What json.dumps leaves raw inside strings yet steers a terminal or reorders text.
JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# For human text: every C0 control but newline and tab, and the invisible and bidi characters too.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_UNSAFE_INLINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _u_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group(0)):04x}"


def _x_escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_surrogates(text: str) -> str:
    """Lone surrogates as `\\uNNNN` (inside a JSON string that is the same value again)."""
    return SURROGATES.sub(_u_escape, text)


def json_text(text: str) -> str:
    """Serialised JSON made safe to write and to print: surrogates and terminal-steering
    characters as `\\uNNNN` escapes inside their strings (the values are unchanged)."""
    return JSON_UNSAFE.sub(_u_escape, escape_surrogates(text))


def unicode_escaped(text: str) -> str:
    """Control, bidi and invisible characters (newline and tab aside) as `\\uNNNN` escapes: for
    markup such as HTML, where a browser would reorder or hide them."""
    return _UNSAFE.sub(_u_escape, text)


def shown(text: object, inline: bool = False) -> str:
    """Human text with unsafe characters as `\\xNN` / `\\uNNNN`; `inline` also escapes newlines
    and tabs, so a name or path stays on one line. Surrogates are escaped too."""
    pattern = _UNSAFE_INLINE if inline else _UNSAFE
    return escape_surrogates(pattern.sub(_x_escape, str(text)))
