"""Tree-sitter grammars from the official wheels, cached parsers, and node → Span mapping.

Grammars load lazily (only when a rule needs that language on some artifact). PowerShell uses
the `tree-sitter-powershell` wheel (Airbus CERT, MIT) when it is installed; it is optional, and
`skillscan.engines.powershell` falls back to a text reading of `.ps1` without it.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from skillscan.model import Artifact, Span

# skillscan language → (module, function returning the grammar pointer)
GRAMMARS: dict[str, tuple[str, str]] = {
    "shell": ("tree_sitter_bash", "language"),
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "powershell": ("tree_sitter_powershell", "language"),
}


@cache
def language(name: str) -> Any | None:
    """The tree_sitter.Language for a skillscan language name, or None when its wheel is missing."""
    if name not in GRAMMARS:
        return None
    module_name, function = GRAMMARS[name]
    try:
        import tree_sitter

        module = importlib.import_module(module_name)
        return tree_sitter.Language(getattr(module, function)())
    except (ImportError, AttributeError, ValueError):
        return None


@cache
def _parser(name: str) -> Any | None:
    grammar = language(name)
    if grammar is None:
        return None
    import tree_sitter

    return tree_sitter.Parser(grammar)


def grammar_for(artifact: Artifact) -> str | None:
    """Which grammar parses this artifact (TSX files need their own)."""
    lang = artifact.language or ""
    if lang == "typescript" and str(artifact.path).lower().endswith(".tsx"):
        return "tsx"
    return lang if lang in GRAMMARS else None


def versions() -> dict[str, str]:
    from skillscan.distributions import installed_version

    found = {}
    for module_name, _ in set(GRAMMARS.values()):
        dist = module_name.replace("_", "-")
        if (version := installed_version(dist)) is not None:
            found[dist] = version
    return found


class Source:
    """Text parsed once, with byte offsets mapped to 1-based line/character columns."""

    def __init__(self, text: str, grammar: str) -> None:
        self.text = text
        self.data = text.encode("utf-8", "surrogatepass")
        parser = _parser(grammar)
        self.tree = parser.parse(self.data) if parser is not None else None
        self._line_starts = [0]
        position = self.data.find(b"\n")
        while position != -1:
            self._line_starts.append(position + 1)
            position = self.data.find(b"\n", position + 1)

    @property
    def root(self) -> Any:
        return self.tree.root_node if self.tree is not None else None

    def node_text(self, node: Any) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def _column(self, row: int, byte: int) -> int:
        start = self._line_starts[row] if row < len(self._line_starts) else 0
        return len(self.data[start:byte].decode("utf-8", "replace")) + 1

    def span(self, node: Any) -> Span:
        return Span(
            node.start_point[0] + 1,
            self._column(node.start_point[0], node.start_byte),
            node.end_point[0] + 1,
            self._column(node.end_point[0], node.end_byte),
        )
