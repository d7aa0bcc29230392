"""JSON text for reports: indented down to the records, each record on a line of its own.

    {
      "schema_version": 1,
      "findings": [
        {"rule_id": "SKS-EXE-001", "severity": "high", ...},
        ...
      ]
    }

One finding per line keeps a report greppable and its diffs small, and lets the C encoder write
every record (`json.dumps(indent=2)` falls back to the pure-Python encoder: on a 1,000-skill
report that was most of the time a warm scan spent). Any JSON parser reads it as before.
"""

from __future__ import annotations

import json
from typing import Any

_compact = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def dumps(value: Any, depth: int = 0) -> str:
    """`value` as JSON: mappings indented by two spaces per level; a list holding mappings or
    lists has one item per line, each item compact."""
    inner, outer = "  " * (depth + 1), "  " * depth
    if isinstance(value, dict) and value:
        items = [f"{inner}{_compact(str(key))}: {dumps(item, depth + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + outer + "}"
    if isinstance(value, list | tuple) and any(isinstance(item, dict | list | tuple) for item in value):
        return "[\n" + ",\n".join(inner + _compact(item) for item in value) + "\n" + outer + "]"
    return _compact(value)
