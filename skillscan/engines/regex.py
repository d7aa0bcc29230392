"""The regex engine: a keyword prefilter, then RE2 patterns scoped to segment kinds.

RE2 runs in linear time, so no pattern in any pack can backtrack catastrophically on hostile
input; patterns that need look-around are rejected at load time.

Match body:
    keywords: [literal, …]     # at least one must occur (case-insensitive) before any regex runs
    any: [pattern, …]          # each hit of any pattern is a candidate
    all: [pattern, …]          # every one must also match within `within_lines` of the hit
    within_lines: N            # window for `all` (default: the same segment)
    exclude: [pattern, …]      # drop a hit whose matched text (or capture) matches
    exclude_line: [pattern, …] # drop a hit whose line matches
    capture: NAME              # named group that is the evidence (default: whole match)
    min_entropy: X.Y           # Shannon entropy (bits/char) the evidence must reach
    max_hits: N                # per artifact (default 20)
    raw: true                  # match the text as written, not the normalised view (for rules
                               # about obfuscation itself: split strings, invisible characters)
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from skillscan.errors import RulePackError
from skillscan.engines import Availability
from skillscan.model import Artifact, ArtifactKind, Match, ScanError, Segment, SegmentKind, Skill
from skillscan.normalize import View, view
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex

_LIST_REFERENCE = re.compile(r"\{\{list:([a-z0-9_-]+)\}\}")
_PATTERN_KEYS = ("any", "all", "exclude", "exclude_line")
_BODY_KEYS = frozenset(_PATTERN_KEYS) | {"keywords", "within_lines", "capture", "min_entropy", "max_hits", "allow_hosts", "raw"}
_RE2_ESCAPES = str.maketrans({char: "\\" + char for char in "\\.^$|?*+()[]{}"})
_DEFAULT_MAX_HITS = 20
# Characters a pattern's leading boundary may consume; the reported hit starts after them.
_BOUNDARY = " \t\r\n,;("


def re2_escape(literal: str) -> str:
    return literal.translate(_RE2_ESCAPES)


def expand_list_references(body: Mapping[str, Any], lists: Mapping[str, tuple[str, ...]], source: str) -> Mapping[str, Any]:
    def items(name: str) -> tuple[str, ...]:
        if name not in lists:
            raise RulePackError(f"{source}: field 'match'", f"unknown list {name!r}")
        return lists[name]

    def in_pattern(pattern: str) -> str:
        return _LIST_REFERENCE.sub(lambda m: "(?:" + "|".join(re2_escape(i) for i in items(m.group(1))) + ")", pattern)

    def refers(value: Any) -> bool:
        return isinstance(value, list) and any(isinstance(v, str) and "{{list:" in v for v in value)

    referring = [key for key in (*_PATTERN_KEYS, "keywords", "allow_hosts") if refers(body.get(key))]
    if not referring:
        return body
    changed = dict(body)
    for key in referring:
        if key in _PATTERN_KEYS:
            changed[key] = [in_pattern(p) if isinstance(p, str) else p for p in body[key]]
            continue
        expanded: list[Any] = []
        for entry in body[key]:
            reference = _LIST_REFERENCE.fullmatch(entry) if isinstance(entry, str) else None
            expanded.extend(items(reference.group(1)) if reference else [entry])
        changed[key] = expanded
    return changed


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False
    return re2.compile("(?m)" + pattern, options)


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    keywords: tuple[str, ...]
    any: tuple[Any, ...]
    all: tuple[Any, ...]
    within_lines: int | None
    exclude: tuple[Any, ...]
    exclude_line: tuple[Any, ...]
    capture: str | None
    min_entropy: float
    max_hits: int
    raw: bool = False


def entropy(text: str) -> float:
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


class RegexEngine:
    name: ClassVar[str] = "regex"

    def availability(self) -> Availability:
        import re2  # noqa: F401 - a runtime dependency; fails loudly if the install is broken

        return Availability(True, "re2")

    def validate(self, rule: Rule) -> None:
        self._compile(rule)

    def prepare(self, rules: Sequence[Rule]) -> _Prepared:
        return _Prepared([self._compile(rule) for rule in rules])

    def _compile(self, rule: Rule) -> _Compiled:
        body = rule.match
        where = f"{rule.source}: field 'match'"
        unknown = set(body) - _BODY_KEYS
        if unknown:
            raise RulePackError(where, f"unknown key(s) for the regex engine: {', '.join(sorted(unknown))}")
        if not body.get("any"):
            raise RulePackError(where, "needs a non-empty 'any' list of patterns")
        keywords = body.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
            raise RulePackError(f"{where}.keywords", "must be a list of non-empty strings")

        def patterns(key: str) -> tuple[Any, ...]:
            values = body.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise RulePackError(f"{where}.{key}", "must be a list of pattern strings")
            compiled = []
            for value in values:
                try:
                    compiled.append(compile_pattern(value))
                except Exception as error:  # re2.error: unsupported or invalid syntax
                    raise RulePackError(f"{where}.{key}", f"invalid RE2 pattern {value!r}: {error}") from None
            return tuple(compiled)

        compiled_any = patterns("any")
        capture = body.get("capture")
        if capture is not None and not all(capture in p.groupindex for p in compiled_any):
            raise RulePackError(f"{where}.capture", f"every 'any' pattern needs a group named {capture!r}")
        return _Compiled(
            rule=rule,
            keywords=tuple(k.lower() for k in keywords),
            any=compiled_any,
            all=patterns("all"),
            within_lines=body.get("within_lines"),
            exclude=patterns("exclude"),
            exclude_line=patterns("exclude_line"),
            capture=capture,
            min_entropy=float(body.get("min_entropy", 0.0)),
            max_hits=int(body.get("max_hits", _DEFAULT_MAX_HITS)),
            raw=bool(body.get("raw", False)),
        )

    def run(self, prepared: _Prepared, skill: Skill, errors: list[ScanError]) -> Iterator[Match]:
        for artifact in skill.artifacts:
            if artifact.kind is ArtifactKind.BINARY or not artifact.text:
                continue
            applicable = [c for c in prepared.rules if c.rule.applies_to.covers(artifact)]
            if not applicable:
                continue
            # Prefilter on the normalised text too, so zero-width-split keywords still qualify.
            lowered = artifact.text.lower() + "\n" + view(artifact.text, artifact.language).text.lower()
            present = prepared.keywords_in(lowered)
            index = LineIndex(artifact.text)
            for compiled in applicable:
                if compiled.keywords and present.isdisjoint(compiled.keywords):
                    continue
                yield from _match_artifact(compiled, artifact, index)


class _Prepared:
    """The compiled rules, and one automaton for every rule's keywords: a text is searched once
    for all of them instead of once per keyword per rule."""

    def __init__(self, rules: list[_Compiled]) -> None:
        import re2

        self.rules = rules
        self.words = sorted({k for c in rules for k in c.keywords})
        self.automaton = re2.Set.SearchSet(re2.Options())
        for word in self.words:
            self.automaton.Add(re2.escape(word))
        self.automaton.Compile()

    def keywords_in(self, lowered: str) -> set[str]:
        if not self.words:
            return set()
        return {self.words[i] for i in self.automaton.Match(lowered) or ()}  # None when nothing matched


def segments_in_scope(rule: Rule, artifact: Artifact) -> list[Segment]:
    """Segments a rule looks at. Markdown fences are left to their virtual script artifacts
    unless a rule asks for `code_fence` explicitly; whole-file segments always count."""
    wanted = rule.applies_to.segments
    if SegmentKind.CODE_FENCE in wanted:
        wanted = wanted | {SegmentKind.CODE_TEXT}
    if wanted:
        return [s for s in artifact.segments if s.kind in wanted or s.kind is SegmentKind.WHOLE]
    return [s for s in artifact.segments if s.kind is not SegmentKind.CODE_FENCE]


def _match_artifact(compiled: _Compiled, artifact: Artifact, index: LineIndex) -> Iterator[Match]:
    """Run each pattern once over the artifact's normalised text, keeping hits that start in a
    segment the rule looks at (one regex call per pattern, not per segment)."""
    segments = segments_in_scope(compiled.rule, artifact)
    if not segments:
        return
    normal = View(artifact.text, None) if compiled.raw else view(artifact.text, artifact.language)
    starts = [s.start_offset for s in segments]
    seen: set[int] = set()
    hits = 0
    for pattern in compiled.any:
        group = pattern.groupindex[compiled.capture] if compiled.capture else 0  # re2 wants numbers
        for found in pattern.finditer(normal.text):
            evidence = found.group(group) or ""
            # A leading boundary like (?:^|\s) may eat the previous line's newline: report where
            # the evidence itself starts.
            lead = len(evidence) - len(evidence.lstrip(_BOUNDARY))
            evidence = evidence.lstrip(_BOUNDARY).rstrip()
            start = normal.source_offset(found.start(group) + lead)
            segment = _segment_of(segments, starts, start)
            if segment is None or start in seen:
                continue
            end = normal.source_offset(max(found.start(group), found.end(group) - 1)) + 1
            if not _accept(compiled, evidence, segment, artifact.language, index, start):
                continue
            seen.add(start)
            hits += 1
            captures = {k: v for k, v in found.groupdict().items() if v is not None}
            yield Match(compiled.rule.id, artifact, index.span(start, end), evidence, captures)
            if hits >= compiled.max_hits:
                return


def _segment_of(segments: list[Segment], starts: list[int], offset: int) -> Segment | None:
    """The in-scope segment containing a source offset (segments may nest: take the innermost)."""
    position = bisect_right(starts, offset)
    for candidate in reversed(segments[max(0, position - 4) : position]):
        if candidate.start_offset <= offset < candidate.start_offset + max(1, len(candidate.text)):
            return candidate
    return None


def _accept(
    compiled: _Compiled, evidence: str, segment: Segment, language: str | None, index: LineIndex, start: int
) -> bool:
    if compiled.min_entropy and entropy(evidence) < compiled.min_entropy:
        return False
    if any(p.search(evidence) for p in compiled.exclude):
        return False
    line, _ = index.position(start)
    if compiled.exclude_line and any(p.search(view(index.line_text(line), language).text) for p in compiled.exclude_line):
        return False
    if compiled.all:
        if compiled.within_lines is None:
            window = view(segment.text, language).text
        else:
            first = max(1, line - compiled.within_lines)
            window = "\n".join(index.line_text(n) for n in range(first, line + compiled.within_lines + 1))
        if not all(p.search(window) for p in compiled.all):
            return False
    return True
