"""Offsets ↔ 1-based line/column, shared by every engine."""

from __future__ import annotations

from bisect import bisect_right

from skillscan.model import Span


class LineIndex:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        position = text.find("\n")
        while position != -1:
            self.starts.append(position + 1)
            position = text.find("\n", position + 1)

    def position(self, offset: int) -> tuple[int, int]:
        line0 = bisect_right(self.starts, offset) - 1
        return line0 + 1, offset - self.starts[line0] + 1

    def span(self, start: int, end: int) -> Span:
        start_line, start_col = self.position(start)
        end_line, end_col = self.position(max(start, end))
        return Span(start_line, start_col, end_line, end_col)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        if line < 1 or line > len(self.starts):
            return ""
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return self.text[start:end]
