"""Markdown segmentation with markdown-it-py: prose, headings, fences, comments, links.

Segments carry their exact source lines, so rules match the raw text and findings point at the
real line. Each segment knows its enclosing headings and whether it sits in a blockquote: the
context stage uses both to tell instructions from warnings and examples.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from skillscan.model import Segment, SegmentKind, Span

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@dataclass(frozen=True)
class Fence:
    info: str
    body: str
    first_body_line: int  # 1-based line of the first body line in the file
    span: Span  # the whole fence, markers included


_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
# `[//]: # (hidden)` and `[comment]: <> (hidden)`: reference definitions that never render.
_MD_COMMENT = re.compile(r"^ {0,3}\[[^\]\n]*\]:\s*(?:#|<>)\s*[\"'(].*$", re.MULTILINE)
_BACKTICKS = re.compile(r"`+")
# Labels are bounded so '[' repeated 50,000 times stays linear.
_LINK_TARGET = re.compile(r"!?\[([^\]\n]{0,500})\]\([ \t]*<?([^)\s>]{1,2000})>?(?:[ \t]+[\"']([^\"'\n]{0,500})[\"'])?[ \t]*\)")


@lru_cache(maxsize=1)
@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": True}).enable("table")
    # Only block structure is used (inline code, links and comments are found on the raw text),
    # so the core step that runs the inline parser is off: it is also where hostile input is slow
    # (emphasis on 100k underscores). Inline tokens still carry their raw `content`.
    parser.disable(["inline", *parser.get_active_rules()["inline"], *parser.get_active_rules()["inline2"]],
                   ignoreInvalid=True)
    return parser


class _Lines:
    """Character offsets of line starts, to turn line ranges into text slices."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for match in re.finditer("\n", text):
            self.starts.append(match.end())

    def offset(self, line0: int) -> int:
        return self.starts[line0] if line0 < len(self.starts) else len(self.text)

    def line_of(self, offset: int) -> int:
        """0-based line containing a character offset."""
        low, high = 0, len(self.starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.starts[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low

    def block(self, kind: SegmentKind, start0: int, end0: int, **extra: object) -> Segment:
        end0 = max(end0, start0 + 1)
        start, stop = self.offset(start0), self.offset(end0)
        text = self.text[start:stop].rstrip("\n")
        last_line = text.split("\n")[-1] if text else ""
        span = Span(start0 + 1, 1, start0 + 1 + text.count("\n"), len(last_line) + 1)
        return Segment(kind, span, text, start, **extra)  # type: ignore[arg-type]

    def slice(self, kind: SegmentKind, start: int, stop: int, **extra: object) -> Segment:
        text = self.text[start:stop]
        line0 = self.line_of(start)
        end_line0 = self.line_of(max(start, stop - 1))
        span = Span(line0 + 1, start - self.starts[line0] + 1, end_line0 + 1, stop - self.starts[end_line0] + 1)
        return Segment(kind, span, text, start, **extra)  # type: ignore[arg-type]


def segment(text: str, body_start_line: int = 1) -> tuple[list[Segment], list[Fence]]:
    """Segments and fences of a Markdown document; lines before `body_start_line` are frontmatter."""
    lines = _Lines(text)
    skip = lines.offset(body_start_line - 1)
    # Blank the frontmatter instead of cutting it, so markdown-it's line maps stay file lines.
    body = "\n" * text.count("\n", 0, skip) + text[skip:]
    tokens = _parser().parse(body)
    segments: list[Segment] = []
    fences: list[Fence] = []
    headings: list[tuple[int, str]] = []
    quote_depth = 0
    fence_ranges: list[tuple[int, int]] = []
    for index, token in enumerate(tokens):
        if token.type == "blockquote_open":
            quote_depth += 1
        elif token.type == "blockquote_close":
            quote_depth -= 1
        if token.map is None:
            continue
        start0, end0 = token.map
        path = tuple(title for _, title in headings)
        common = {"heading_path": path, "in_blockquote": quote_depth > 0}
        if token.type == "heading_open":
            level = int(token.tag[1:])
            title = tokens[index + 1].content if index + 1 < len(tokens) else ""
            while headings and headings[-1][0] >= level:
                headings.pop()
            segments.append(lines.block(SegmentKind.HEADING, start0, end0, **common))
            headings.append((level, title))
        elif token.type == "paragraph_open":
            segments.append(lines.block(SegmentKind.PROSE, start0, end0, **common))
            inline = tokens[index + 1] if index + 1 < len(tokens) else None
            if inline is not None:
                segments.extend(_inline_segments(lines, start0, end0, inline, common))
        elif token.type == "tr_open":
            segments.append(lines.block(SegmentKind.PROSE, start0, end0, key="table", **common))
        elif token.type in ("fence", "code_block"):
            info = token.info.strip() if token.type == "fence" else ""
            fence_segment = lines.block(SegmentKind.CODE_FENCE, start0, end0, key=info, **common)
            segments.append(fence_segment)
            first_body = start0 + 2 if token.type == "fence" else start0 + 1
            fences.append(Fence(info, token.content, first_body, fence_segment.span))
            fence_ranges.append((lines.offset(start0), lines.offset(end0)))
        elif token.type == "html_block":
            kind = SegmentKind.HTML_COMMENT if token.content.lstrip().startswith("<!--") else SegmentKind.HTML
            if kind is SegmentKind.HTML:
                segments.append(lines.block(kind, start0, end0, **common))
    segments.extend(_comments(lines, fence_ranges, skip))
    segments.sort(key=lambda s: (s.start_offset, s.kind))
    return segments, fences


def _inline_segments(
    lines: _Lines, start0: int, end0: int, inline: Token, common: dict[str, object]
) -> list[Segment]:
    start, stop = lines.offset(start0), lines.offset(end0)
    raw = lines.text[start:stop]
    found: list[Segment] = []
    for code_start, code_end in inline_code_spans(raw):
        found.append(lines.slice(SegmentKind.INLINE_CODE, start + code_start, start + code_end, **common))
    for match in _LINK_TARGET.finditer(raw):
        found.append(lines.slice(SegmentKind.LINK, start + match.start(), start + match.end(),
                                 key=match.group(2), **common))
    return found


def inline_code_spans(text: str) -> list[tuple[int, int]]:
    """Content spans of code spans: a run of N backticks closes at the next run of exactly N
    (CommonMark), found in O(runs · log runs) instead of by a backtracking regex."""
    runs = [(m.start(), m.end() - m.start()) for m in _BACKTICKS.finditer(text)]
    by_length: dict[int, list[int]] = {}
    for number, (_, length) in enumerate(runs):
        by_length.setdefault(length, []).append(number)
    spans = []
    number = 0
    while number < len(runs):
        position, length = runs[number]
        candidates = by_length[length]
        later = bisect_right(candidates, number)
        if later < len(candidates):
            closer = candidates[later]
            if runs[closer][0] > position + length:
                spans.append((position + length, runs[closer][0]))
            number = closer + 1
        else:
            number += 1
    return spans


def _comments(lines: _Lines, fence_ranges: list[tuple[int, int]], body_offset: int) -> list[Segment]:
    """HTML comments and Markdown comment idioms anywhere outside code fences."""

    def in_fence(offset: int) -> bool:
        return any(start <= offset < stop for start, stop in fence_ranges)

    found: list[Segment] = []
    for pattern in (_HTML_COMMENT, _MD_COMMENT):
        for match in pattern.finditer(lines.text, body_offset):
            if not in_fence(match.start()):
                found.append(lines.slice(SegmentKind.HTML_COMMENT, match.start(), match.end()))
    return found
