"""Per-file result cache: unchanged files are never re-analysed.

Key: the file's SHA-256 and path + a scan key (tool version, rule-pack digests, the rules run and
engine availability). Value: the matches the per-file engines found in that file and in the
virtual artifacts cut from it (code fences, decoded layers). Skill-level engines (checks that
look across files, chains) always run; they are cheap and see the merged matches.

The cache lives in the user cache dir (never inside a scanned folder), one JSON file per scan
key, written atomically. Secrets never reach it: a match of a secret rule is stored as its
position only, and its evidence is cut again from the live file text (same SHA-256, same text).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from skillscan import __version__
from skillscan.model import Location, Match, Skill, Span

FORMAT = 1


def default_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("SKILLSCAN_CACHE_DIR") or user_cache_dir("skillscan"))


def scan_key(pack_digests: Iterable[str], rule_ids: Iterable[str], engines: Iterable[str]) -> str:
    material = json.dumps([FORMAT, __version__, sorted(pack_digests), sorted(rule_ids), sorted(engines)])
    return hashlib.sha256(material.encode()).hexdigest()[:32]


class ResultCache:
    def __init__(self, directory: Path, key: str) -> None:
        self.path = directory / f"results-{key}.json"
        self.entries: dict[str, list[dict[str, Any]]] = {}
        self.dirty = False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") == FORMAT:
                self.entries = data.get("files", {})
        except (OSError, ValueError, AttributeError):
            self.entries = {}

    @staticmethod
    def file_key(path: PurePosixPath, sha256: str) -> str:
        return f"{sha256}:{path}"

    def lookup(self, skill: Skill) -> tuple[set[PurePosixPath], list[Match]]:
        """(real files answered by the cache, their matches rebound to this skill's artifacts)."""
        by_path = {a.path: a for a in skill.artifacts}
        answered: set[PurePosixPath] = set()
        matches: list[Match] = []
        for artifact in skill.real_files:
            records = self.entries.get(self.file_key(artifact.path, artifact.sha256))
            if records is None:
                continue
            rebound = [_match(r, by_path) for r in records]
            if any(m is None for m in rebound):
                continue  # the parse changed shape (new version?): analyse again
            answered.add(artifact.path)
            matches.extend(m for m in rebound if m is not None)
        return answered, matches

    def store(
        self, skill: Skill, files: Iterable[PurePosixPath], matches: Sequence[Match], secret_rules: set[str]
    ) -> None:
        wanted = set(files)
        grouped: dict[PurePosixPath, list[dict[str, Any]]] = {path: [] for path in wanted}
        for match in matches:
            owner = match.artifact.display_path
            if owner in grouped:
                grouped[owner].append(_record(match, match.rule_id in secret_rules))
        shas = {a.path: a.sha256 for a in skill.real_files}
        for path, records in grouped.items():
            if path in shas:
                self.entries[self.file_key(path, shas[path])] = records
                self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".results-", suffix=".tmp")
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"format": FORMAT, "files": self.entries}, handle)
        os.replace(temporary, self.path)


def _record(match: Match, secret: bool) -> dict[str, Any]:
    span = match.span
    record: dict[str, Any] = {
        "rule": match.rule_id, "artifact": str(match.artifact.path),
        "span": [span.start_line, span.start_col, span.end_line, span.end_col],
        "text": match.matched_text, "captures": dict(match.captures), "note": match.note,
        "related": [[str(r.path), r.line, r.column, r.snippet] for r in match.related],
    }
    if secret:
        record.update(text=None, captures={}, secret=True)
    return record


def _match(record: dict[str, Any], by_path: dict[PurePosixPath, Any]) -> Match | None:
    artifact = by_path.get(PurePosixPath(record["artifact"]))
    if artifact is None:
        return None
    span = Span(*record["span"])
    text = record["text"]
    captures = record["captures"]
    if record.get("secret"):
        text = _cut(artifact.text, span)
        captures = {"secret": text}
    return Match(
        record["rule"], artifact, span, text, captures,
        tuple(Location(PurePosixPath(p), line, column, snippet) for p, line, column, snippet in record["related"]),
        record["note"],
    )


def _cut(text: str, span: Span) -> str:
    from skillscan.textpos import LineIndex

    index = LineIndex(text)
    start = index.starts[span.start_line - 1] + span.start_col - 1
    end = index.starts[span.end_line - 1] + span.end_col - 1
    return text[start:end]
