"""The treesitter engine: code-aware rules over bundled scripts and SKILL.md code fences.

Grammars come from the official wheels (tree-sitter-bash, -python, -javascript, -typescript).
PowerShell uses the optional `tree-sitter-powershell` wheel (Airbus CERT) when installed, else
a text fallback (see `skillscan.engines.powershell`). Each artifact is parsed lazily — only when a
rule applies to it — and each analysis runs once per artifact for all rules that use it.
Virtual artifacts (code fences) are handled like files; build maps their lines back.

Match body, one of two modes:

    language: python | javascript | typescript | shell | powershell
    query: |                  # a tree-sitter query; #eq? / #match? / #any-of? predicates work
      (call function: (identifier) @fn (#eq? @fn "eval")) @call
    capture: call             # the capture that locates the finding (default: the first one)
    max_hits: 20              # per artifact

    structural: NAME          # a built-in analysis:
      pipe_to_interpreter     #   shell/PowerShell: a download streamed into sh/bash/python/node/iex
      download_execute        #   shell/PowerShell: downloaded content kept, then executed
                              #   (variable + `bash -c`/eval, saved file run, inline -c code)
      obfuscated_call         #   Python: exec/eval/os.system/subprocess… reached via getattr on
                              #   builtins, __dict__, __import__/import_module of computed names
      decoded_payload         #   Python: exec/eval/system given constants decoded at run time
                              #   (rot13, base64, hex, zlib, joins, reversals, chr lists)

Query captures feed the message as `{name}`; structural findings carry their evidence in the note
and point at the download (or the resolving expression) through `related`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from skillscan.engines import Availability, grammars
from skillscan.errors import RulePackError
from skillscan.model import Artifact, ArtifactKind, Location, Match, ScanError, Skill, Span
from skillscan.rules.schema import Rule

_STRUCTURAL: dict[str, tuple[str, frozenset[str]]] = {  # name → (analysis, languages)
    "pipe_to_interpreter": ("shell_flows", frozenset({"shell", "powershell"})),
    "download_execute": ("shell_flows", frozenset({"shell", "powershell"})),
    "obfuscated_call": ("python_obfuscation", frozenset({"python"})),
    "decoded_payload": ("python_obfuscation", frozenset({"python"})),
}
_QUERY_LANGUAGES = frozenset({"python", "javascript", "typescript", "shell", "powershell"})
_BODY_KEYS = frozenset({"language", "query", "capture", "max_hits", "structural", "allow_hosts"})
_OFFICIAL = ("shell", "python", "javascript", "typescript")


@dataclass(frozen=True)
class _Hit:
    kind: str
    span: Span
    text: str
    note: str = ""
    related: Span | None = None
    captures: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Prepared:
    rule: Rule
    structural: str | None
    languages: frozenset[str]
    queries: dict[str, Any]  # grammar name → compiled tree_sitter.Query
    capture: str | None
    max_hits: int


class TreeSitterEngine:
    name: ClassVar[str] = "treesitter"

    def availability(self) -> Availability:
        try:
            import tree_sitter  # noqa: F401
        except ImportError as error:
            return Availability(False, reason=f"tree-sitter is not installed: {error}")
        missing = [name for name in _OFFICIAL if grammars.language(name) is None]
        if missing:
            return Availability(False, reason=f"grammar wheel(s) missing: {', '.join(missing)}")
        found = grammars.versions()
        parts = [f"{dist.removeprefix('tree-sitter-') or dist} {v}" for dist, v in sorted(found.items())]
        if grammars.language("powershell") is None:
            parts.append("powershell: text fallback")
        return Availability(True, ", ".join(parts))

    def validate(self, rule: Rule) -> None:
        self._prepare_one(rule)

    def prepare(self, rules: Sequence[Rule]) -> list[_Prepared]:
        return [self._prepare_one(rule) for rule in rules]

    def _prepare_one(self, rule: Rule) -> _Prepared:
        body = rule.match
        where = f"{rule.source}: field 'match'"
        unknown = set(body) - _BODY_KEYS
        if unknown:
            raise RulePackError(where, f"unknown key(s) for the treesitter engine: {', '.join(sorted(unknown))}")
        max_hits = int(body.get("max_hits", 20))
        structural = body.get("structural")
        if structural is not None:
            if structural not in _STRUCTURAL or "query" in body:
                raise RulePackError(f"{where}.structural", f"one of {', '.join(_STRUCTURAL)}, without a query")
            return _Prepared(rule, structural, _STRUCTURAL[structural][1], {}, None, max_hits)
        language, source = body.get("language"), body.get("query")
        if language not in _QUERY_LANGUAGES or not isinstance(source, str) or not source.strip():
            raise RulePackError(where, f"needs 'structural', or 'language' ({', '.join(sorted(_QUERY_LANGUAGES))}) and 'query'")
        queries = {}
        for grammar in ("typescript", "tsx") if language == "typescript" else (language,):
            compiled = grammars.language(grammar)
            if compiled is None:
                continue  # optional grammar missing: the rule matches nothing, the pack still loads
            import tree_sitter

            try:
                queries[grammar] = tree_sitter.Query(compiled, source)
            except (tree_sitter.QueryError, ValueError) as error:
                raise RulePackError(f"{where}.query", f"invalid tree-sitter query: {error}") from None
        capture = body.get("capture")
        for query in queries.values():
            names = [query.capture_name(i) for i in range(query.capture_count)]
            if not names or (capture is not None and capture not in names):
                raise RulePackError(f"{where}.capture", f"the query needs a capture{f' named {capture!r}' if capture else ''}")
        return _Prepared(rule, None, frozenset({language}), queries, capture, max_hits)

    def run(self, prepared: list[_Prepared], skill: Skill, errors: list[ScanError]) -> Iterator[Match]:
        for artifact in skill.artifacts:
            if artifact.kind is ArtifactKind.BINARY or not artifact.text or artifact.language is None:
                continue
            applicable = [p for p in prepared if artifact.language in p.languages and p.rule.applies_to.covers(artifact)]
            if not applicable:
                continue
            cache: dict[str, Any] = {}
            for item in applicable:
                try:
                    hits = self._hits(item, artifact, cache)
                except Exception as error:  # a bug on one hostile file must not end the scan
                    errors.append(ScanError(str(artifact.display_path), f"treesitter ({item.rule.id}): "
                                            f"{type(error).__name__}: {error}"))
                    continue
                for hit in hits[: item.max_hits]:
                    yield _match(item.rule, artifact, hit)

    def _hits(self, item: _Prepared, artifact: Artifact, cache: dict[str, Any]) -> list[_Hit]:
        if item.structural is None:
            return _query_hits(item, artifact, cache)
        analysis = _STRUCTURAL[item.structural][0]
        key = f"{analysis}:{artifact.language}"
        if key not in cache:
            cache[key] = _ANALYSES[analysis](artifact)
        return [hit for hit in cache[key] if hit.kind == item.structural]


def _shell_flows(artifact: Artifact) -> list[_Hit]:
    if artifact.language == "powershell":
        from skillscan.engines.powershell import flows
    else:
        from skillscan.engines.shellflow import flows
    return [_Hit(f.kind, f.span, f.text, f.note, f.related) for f in flows(artifact.text)]


def _python_obfuscation(artifact: Artifact) -> list[_Hit]:
    from skillscan.engines.pyobf import findings

    return [_Hit(f.kind, f.span, f.text, f.note, f.related) for f in findings(artifact.text)]


_ANALYSES: dict[str, Callable[[Artifact], list[_Hit]]] = {
    "shell_flows": _shell_flows,
    "python_obfuscation": _python_obfuscation,
}


def _query_hits(item: _Prepared, artifact: Artifact, cache: dict[str, Any]) -> list[_Hit]:
    grammar = grammars.grammar_for(artifact)
    query = item.queries.get(grammar or "")
    if query is None:
        return []
    key = f"tree:{grammar}"
    if key not in cache:
        cache[key] = grammars.Source(artifact.text, grammar)  # type: ignore[arg-type]
    source: grammars.Source = cache[key]
    if source.root is None:
        return []
    import tree_sitter

    locate = item.capture or query.capture_name(0)
    hits = []
    for _, captured in tree_sitter.QueryCursor(query).matches(source.root):
        nodes = captured.get(locate)
        if not nodes:
            continue
        texts = tuple((name, source.node_text(found[0])[:120]) for name, found in captured.items() if found)
        hits.append(_Hit("query", source.span(nodes[0]), source.node_text(nodes[0])[:200], captures=texts))
        if len(hits) >= item.max_hits:
            break
    return hits


def _match(rule: Rule, artifact: Artifact, hit: _Hit) -> Match:
    related: tuple[Location, ...] = ()
    if hit.related is not None:
        line = hit.related.start_line
        lines = artifact.text.split("\n")
        snippet = lines[line - 1].strip()[:200] if 0 < line <= len(lines) else ""
        related = (Location(artifact.display_path, line + artifact.line_offset, hit.related.start_col, snippet),)
    return Match(rule.id, artifact, hit.span, hit.text, dict(hit.captures), related, hit.note)
