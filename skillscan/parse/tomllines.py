"""TOML for agent configs (Codex `config.toml`): tomllib for the structure, plus a small scanner
that finds the line of every key and value so findings can point at them.

tomllib is the authority on what the document means; the scanner only walks the same text for
positions (table headers, arrays of tables, dotted and quoted keys, inline tables, multi-line
arrays and strings). If the scanner gets lost on something exotic, the positions found so far
are kept and the rest fall back to their nearest located ancestor.
"""

from __future__ import annotations

import tomllib

from skillscan.parse.jsonc import JsonPath, Located
from skillscan.textpos import LineIndex

_BARE_KEY = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
MAX_DEPTH = 64


def parse(text: str) -> Located:
    """Parse a TOML document; raises tomllib.TOMLDecodeError (a ValueError) when it is invalid."""
    located = Located(tomllib.loads(text))
    try:
        _Scanner(text, located).run()
    except (ValueError, IndexError, RecursionError):
        pass  # keep the positions found so far
    return located


class _Scanner:
    def __init__(self, text: str, located: Located) -> None:
        self.text = text
        self.pos = 0
        self.index = LineIndex(text)
        self.located = located

    def line(self) -> int:
        return self.index.position(self.pos)[0]

    def run(self) -> None:
        table: JsonPath = ()
        arrays: dict[JsonPath, int] = {}  # array-of-tables path → how many elements so far
        self.located.value_lines[()] = 1
        while True:
            self.skip(newlines=True)
            if self.pos >= len(self.text):
                return
            if self.text[self.pos] == "[":
                double = self.text.startswith("[[", self.pos)
                header_line = self.line()
                self.pos += 2 if double else 1
                keys = self.key()
                self.expect("]]" if double else "]")
                table = _concrete(keys, double, arrays)
                self.located.key_lines[table] = header_line
                self.located.value_lines.setdefault(table, header_line)
            else:
                self.member(table, 0)
            self.skip(newlines=False)
            if self.pos < len(self.text) and self.text[self.pos] not in "\r\n":
                raise ValueError(f"line {self.line()}: expected the end of the line")

    def member(self, table: JsonPath, depth: int) -> None:
        key_line = self.line()
        path = (*table, *self.key())
        self.skip(newlines=False)
        self.expect("=")
        self.skip(newlines=False)
        self.located.key_lines[path] = key_line
        self.value(path, depth)

    def value(self, path: JsonPath, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise ValueError("nested too deep")
        self.located.value_lines[path] = self.line()
        text = self.text
        char = text[self.pos]
        if char in "\"'":
            self.string()
        elif char == "[":
            self.pos += 1
            count = 0
            while True:
                self.skip(newlines=True)
                if text[self.pos] == "]":
                    self.pos += 1
                    return
                self.value((*path, count), depth + 1)
                count += 1
                self.skip(newlines=True)
                if text[self.pos] == ",":
                    self.pos += 1
        elif char == "{":
            self.pos += 1
            while True:
                self.skip(newlines=False)
                if text[self.pos] == "}":
                    self.pos += 1
                    return
                self.member(path, depth + 1)
                self.skip(newlines=False)
                if text[self.pos] == ",":
                    self.pos += 1
        else:  # number, boolean, date: up to the next delimiter
            while self.pos < len(text) and text[self.pos] not in ",]}#\r\n":
                self.pos += 1

    def key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self.skip(newlines=False)
            char = self.text[self.pos]
            if char == '"':
                parts.append(_unquote(self.string()))
            elif char == "'":
                parts.append(self.string()[1:-1])
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] in _BARE_KEY:
                    self.pos += 1
                if start == self.pos:
                    raise ValueError(f"line {self.line()}: expected a key")
                parts.append(self.text[start : self.pos])
            self.skip(newlines=False)
            if self.pos < len(self.text) and self.text[self.pos] == ".":
                self.pos += 1
                continue
            return parts

    def string(self) -> str:
        """Skip one string literal (any of the four kinds); returns its raw text with quotes."""
        text, start = self.text, self.pos
        quote = text[start]
        triple = text.startswith(quote * 3, start)
        closer = quote * 3 if triple else quote
        self.pos += len(closer)
        while self.pos < len(text):
            if quote == '"' and text[self.pos] == "\\":
                self.pos += 2
                continue
            if not triple and text[self.pos] == "\n":
                raise ValueError(f"line {self.line()}: unterminated string")
            if text.startswith(closer, self.pos):
                self.pos += len(closer)
                while triple and self.pos < len(text) and text[self.pos] == quote:  # """a"""" ends in a quote
                    self.pos += 1
                return text[start : self.pos]
            self.pos += 1
        raise ValueError("unterminated string")

    def skip(self, newlines: bool) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self.pos += 1
            elif char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def expect(self, token: str) -> None:
        if not self.text.startswith(token, self.pos):
            raise ValueError(f"line {self.line()}: expected {token!r}")
        self.pos += len(token)


def _concrete(keys: list[str], double: bool, arrays: dict[JsonPath, int]) -> JsonPath:
    """The data path a table header names: `[[a.b]]` appends a new element to a.b; a header
    inside an array of tables continues its latest element."""
    path: JsonPath = ()
    for number, part in enumerate(keys):
        path = (*path, part)
        if double and number == len(keys) - 1:
            count = arrays.get(path, 0)
            arrays[path] = count + 1
            path = (*path, count)
        elif path in arrays:
            path = (*path, arrays[path] - 1)
    return path


def _unquote(raw: str) -> str:
    try:
        return str(tomllib.loads(f"k = {raw}")["k"])
    except (tomllib.TOMLDecodeError, KeyError):
        return raw[1:-1]
