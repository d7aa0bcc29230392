"""SKILL.md frontmatter: split it off and load it with a safe YAML loader.

Hostile YAML never crashes the scan and never constructs Python objects: `!!python/…` tags,
anchors/aliases (alias bombs), duplicate keys and syntax errors are reported as ParseIssues,
which rules turn into findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

MAX_FRONTMATTER_CHARS = 64 * 1024


@dataclass(frozen=True)
class Frontmatter:
    data: Mapping[str, Any]
    text: str  # the YAML between the fences
    first_line: int  # 1-based line of the first YAML line
    end_line: int  # 1-based line of the closing fence (0 when there is no frontmatter)
    issues: tuple[tuple[str, int, str], ...]  # (code, line, message)


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that refuses aliases and records duplicate keys.

    The pure-Python loader on purpose: the C loader composes nodes internally, out of reach of
    the alias check. Frontmatter is small and capped, so the speed difference does not matter.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                "while composing", None, "YAML alias (anchors/aliases are refused)", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key in seen:
                self.duplicates.append((str(key), key_node.start_mark.line))
            seen.add(key)
        return super().construct_mapping(node, deep)


def split(text: str) -> tuple[str, int, int] | None:
    """(yaml text, first yaml line, closing fence line) when the file starts with a '---' fence."""
    body = text[1:] if text.startswith("\ufeff") else text
    if not (body.startswith("---\n") or body.startswith("---\r\n")):
        return None
    lines = body.split("\n")
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r") in ("---", "..."):
            return "\n".join(lines[1:index]), 2, index + 1
    return None


@lru_cache(maxsize=64)  # the parse stage and three manifest checks read the same SKILL.md
def parse(text: str) -> Frontmatter:
    parts = split(text)
    if parts is None:
        return Frontmatter({}, "", 0, 0, (("no-frontmatter", 1, "SKILL.md has no YAML frontmatter"),))
    yaml_text, first_line, end_line = parts
    if len(yaml_text) > MAX_FRONTMATTER_CHARS:
        issue = ("yaml-too-large", first_line, f"frontmatter larger than {MAX_FRONTMATTER_CHARS} characters")
        return Frontmatter({}, yaml_text, first_line, end_line, (issue,))
    issues: list[tuple[str, int, str]] = []
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(yaml_text)  # the reader already rejects some control characters
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = str(error.problem or error)
        if "python/" in problem or "tag:yaml.org,2002:python" in problem:
            code = "yaml-python-tag"
        elif "alias" in problem:
            code = "yaml-alias"
        else:
            code = "yaml-error"
        issues.append((code, line, problem.strip()))
        data = {}
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        issues.append(("yaml-error", first_line, str(error).splitlines()[0] if str(error) else "invalid YAML"))
        data = {}
    finally:
        if loader is not None:
            loader.dispose()
    for key, line in loader.duplicates if loader is not None else ():
        issues.append(("yaml-duplicate-key", first_line + line, f"duplicate key {key!r}: parsers disagree on which wins"))
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        issues.append(("yaml-not-mapping", first_line, "frontmatter is not a mapping"))
        data = {}
    clean = {str(k): v for k, v in data.items()}
    return Frontmatter(clean, yaml_text, first_line, end_line, tuple(issues))
