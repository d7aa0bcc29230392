"""Lenient JSON reader for agent configs that remembers the line of every key and value.

Clients differ in what they accept: Claude Code wants strict JSON, VS Code and OpenCode allow
comments and trailing commas (JSONC), OpenClaw reads JSON5 (unquoted keys, single quotes).
A scanner should read what the client would read, so this accepts the union: `//` and `/* */`
comments, trailing commas, unquoted keys, single-quoted strings, hex and signed numbers.
Findings must point at a line, so every value's position is kept, keyed by its path
(keys and list indexes from the document root). Nothing is evaluated; input is hostile, so depth
is capped and errors are a single exception type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from skillscan.textpos import LineIndex

JsonPath = tuple[str | int, ...]
MAX_DEPTH = 64
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
            "v": "\v", "0": "\0"}
_DOUBLE_STOP = re.compile(r'["\\\n]')
_SINGLE_STOP = re.compile(r"['\\\n]")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_BARE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$+-.")


class JsoncError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class Located:
    """A parsed document: `data` as plain Python values, and where each value starts."""

    data: Any
    value_lines: dict[JsonPath, int] = field(default_factory=dict)
    key_lines: dict[JsonPath, int] = field(default_factory=dict)

    def line(self, path: JsonPath) -> int:
        """The line of the value at `path` (for a container: of its key), else of the nearest
        ancestor that has one; 1 when nothing is known."""
        for cut in range(len(path), -1, -1):
            prefix = path[:cut]
            if prefix in self.key_lines and isinstance(self.get(prefix), (dict, list)):
                return self.key_lines[prefix]
            if prefix in self.value_lines:
                return self.value_lines[prefix]
        return 1

    def get(self, path: JsonPath, default: Any = None) -> Any:
        node = self.data
        for part in path:
            if isinstance(node, dict) and isinstance(part, str) and part in node:  # noqa: SIM114 (mypy narrows each)
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return default
        return node


def parse(text: str) -> Located:
    """Parse one JSON/JSONC/JSON5 document; raises JsoncError on anything malformed."""
    parser = _Parser(text)
    located = parser.located
    parser.skip()
    if parser.at_end():
        raise JsoncError(1, "empty document")
    located.data = parser.value((), 0)
    parser.skip()
    if not parser.at_end():
        raise JsoncError(parser.line(), "text after the end of the document")
    return located


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text.lstrip("\ufeff")
        self.offset = len(text) - len(self.text)  # keep positions in the caller's coordinates
        self.pos = 0
        self.index = LineIndex(text)
        self.located = Located(None)

    def line(self, pos: int | None = None) -> int:
        return self.index.position(self.offset + (self.pos if pos is None else pos))[0]

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip(self) -> None:
        """Whitespace and comments."""
        text, length = self.text, len(self.text)
        while self.pos < length:
            char = text[self.pos]
            if char in " \t\r\n\u00a0\u2028\u2029\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = length if end < 0 else end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise JsoncError(self.line(), "unterminated comment")
                self.pos = end + 2
            else:
                return

    def value(self, path: JsonPath, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise JsoncError(self.line(), f"nested deeper than {MAX_DEPTH} levels")
        self.located.value_lines[path] = self.line()
        char = self.text[self.pos]
        if char == "{":
            return self.obj(path, depth)
        if char == "[":
            return self.array(path, depth)
        if char in "\"'":
            return self.string()
        return self.bare(as_key=False)

    def obj(self, path: JsonPath, depth: int) -> dict[str, Any]:
        self.pos += 1
        result: dict[str, Any] = {}
        while True:
            self.skip()
            if self.at_end():
                raise JsoncError(self.line(), "unterminated object")
            if self.text[self.pos] == "}":
                self.pos += 1
                return result
            key_line = self.line()
            key = self.string() if self.text[self.pos] in "\"'" else self.bare(as_key=True)
            self.skip()
            if self.at_end() or self.text[self.pos] != ":":
                raise JsoncError(self.line(), f"expected ':' after key {str(key)[:40]!r}")
            self.pos += 1
            self.skip()
            if self.at_end():
                raise JsoncError(self.line(), "missing value")
            child = (*path, str(key))
            self.located.key_lines[child] = key_line
            result[str(key)] = self.value(child, depth + 1)  # duplicate keys: the last wins, as in JSON.parse
            if not self.separator("}"):
                self.pos += 1
                return result

    def array(self, path: JsonPath, depth: int) -> list[Any]:
        self.pos += 1
        result: list[Any] = []
        while True:
            self.skip()
            if self.at_end():
                raise JsoncError(self.line(), "unterminated array")
            if self.text[self.pos] == "]":
                self.pos += 1
                return result
            result.append(self.value((*path, len(result)), depth + 1))
            if not self.separator("]"):
                self.pos += 1
                return result

    def separator(self, closer: str) -> bool:
        """After a member: True when a comma was read (more may follow), False at the closer."""
        self.skip()
        if self.at_end():
            raise JsoncError(self.line(), f"expected ',' or {closer!r}")
        char = self.text[self.pos]
        if char == ",":
            self.pos += 1
            return True
        if char == closer:
            return False
        raise JsoncError(self.line(), f"expected ',' or {closer!r}, found {char!r}")

    def string(self) -> str:
        quote = self.text[self.pos]
        start_line = self.line()
        self.pos += 1
        parts: list[str] = []
        text, length = self.text, len(self.text)
        special = _DOUBLE_STOP if quote == '"' else _SINGLE_STOP
        while True:
            found = special.search(text, self.pos)
            end = found.start() if found else length
            parts.append(text[self.pos : end])
            if end >= length or text[end] == "\n":
                raise JsoncError(start_line, "unterminated string")
            if text[end] == quote:
                self.pos = end + 1
                return "".join(parts)
            self.pos = end + 1
            parts.append(self.escape())

    def escape(self) -> str:
        text = self.text
        if self.pos >= len(text):
            raise JsoncError(self.line(), "unterminated escape")
        char = text[self.pos]
        self.pos += 1
        if char in _ESCAPES:
            return _ESCAPES[char]
        if char == "\n":  # JSON5 line continuation
            return ""
        if char in "ux":
            width = 4 if char == "u" else 2
            digits = text[self.pos : self.pos + width]
            if len(digits) != width or not _HEX.fullmatch(digits):  # int() would take "-001", " 1a2", "1_0"
                raise JsoncError(self.line(), f"bad \\{char} escape")
            code = int(digits, 16)
            self.pos += width
            if 0xD800 <= code < 0xDC00 and text.startswith("\\u", self.pos):  # surrogate pair
                low_digits = text[self.pos + 2 : self.pos + 6]
                low = int(low_digits, 16) if _HEX.fullmatch(low_digits) else 0
                if 0xDC00 <= low < 0xE000:
                    self.pos += 6
                    return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
            if 0xD800 <= code < 0xE000:  # a lone surrogate cannot be encoded in any report: U+FFFD
                return "\ufffd"
            return chr(code)
        return char  # JSON5: any other escaped character stands for itself

    def bare(self, as_key: bool) -> Any:
        """Numbers, true/false/null, JSON5 identifiers (keys) and Infinity/NaN."""
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _BARE:
            self.pos += 1
        word = self.text[start : self.pos]
        if not word:
            raise JsoncError(self.line(), f"unexpected character {self.text[start]!r}")
        if as_key:
            return word
        literals = {"true": True, "false": False, "null": None}
        if word in literals:
            return literals[word]
        try:
            if word.lstrip("+-") in ("Infinity", "NaN"):
                return float(word.replace("Infinity", "inf"))  # "+-Infinity" is a ValueError: below
            if word.lstrip("+-").lower().startswith("0x"):
                return int(word, 16)
            number = float(word)
            return int(word) if word.lstrip("+-").isdigit() else number
        except ValueError:
            raise JsoncError(self.line(), f"unexpected value {word[:40]!r}") from None
