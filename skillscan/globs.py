"""Path globs for `exclude` and per-rule `ignore` (gitignore-like, '/'-separated).

`*` stays inside one path component, `**` crosses components, `?` is one character. A pattern
without '/' matches any single component (`node_modules`, `*.min.js`); one with '/' matches the
whole relative path. A path is matched when it or any of its parent folders matches, so
`fixtures` and `fixtures/**` both cover everything below `fixtures/`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable


@functools.lru_cache(maxsize=512)
def compile_glob(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip().removeprefix("./").lstrip("/")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        char = pattern[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out).rstrip("/") + r"/?\Z")


def matches_one(pattern: str, path: str) -> bool:
    """Does `pattern` match `path` itself (no parent-folder rule)?"""
    regex = compile_glob(pattern)
    if "/" in pattern.strip().rstrip("/"):
        return regex.match(path) is not None
    return regex.match(path.rsplit("/", 1)[-1]) is not None


def matches_path(patterns: Iterable[str], path: str) -> bool:
    """Does any pattern match `path` or one of its parent folders?"""
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    if path.startswith("/"):
        candidates = ["/" + c for c in candidates]
    return any(matches_one(p, c) for p in patterns for c in candidates)
