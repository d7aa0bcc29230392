"""Per-file result cache: unchanged files are never re-analysed.

Key: the file's SHA-256 and path + a scan key (tool version, rule-pack digests, the rules run and
engine availability). Value: the matches the per-file engines found in that file and in the
virtual artifacts cut from it (code fences, decoded layers). Skill-level engines (checks that
look across files, chains) always run; they are cheap and see the merged matches.

The cache lives in the user cache dir (never inside a scanned folder), one JSON file per scan
key, written atomically; files no scan has written for 30 days are swept out (`forget_stale`).
Secrets never reach it: a file in which a secret rule matched is not cached at all (it is
analysed again next time — such files are rare).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from skillscan import __version__
from skillscan.model import Location, Match, Skill, Span

FORMAT = 3  # bump whenever the record layout changes


def default_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("SKILLSCAN_CACHE_DIR") or user_cache_dir("skillscan"))


def scan_key(pack_digests: Iterable[str], rules: Iterable[Any], engines: Iterable[str]) -> str:
    """Everything a cached result depends on: tool version, packs (their digests cover every rule
    file), the rules run and what the config changed in them (severity, match options), and which
    engines were available. Only plain JSON goes in: a set's order changes from process to process."""
    rule_material = sorted(
        (r.id, r.report, r.severity.name, json.dumps(r.match, sort_keys=True, default=str)) for r in rules)
    material = json.dumps([FORMAT, __version__, sorted(pack_digests), rule_material, sorted(engines)])
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def read_sections(path: Path, *sections: str) -> list[dict[str, Any]]:
    """Each named mapping of a cache file (one read), {} for any that is missing, damaged or of
    another format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return [{} for _ in sections]
    except (OSError, ValueError):
        return [{} for _ in sections]
    return [entries if isinstance(entries := data.get(section), dict) else {} for section in sections]


class ResultCache:
    def __init__(self, directory: Path, key: str) -> None:
        self.path = directory / f"results-{key}.json"
        self._entries: dict[str, Any] | None = None
        self.touched: set[str] = set()
        self.dirty = False

    @property
    def entries(self) -> dict[str, Any]:
        """Read on first use: a scan the skill cache answers whole never needs it."""
        if self._entries is None:
            (self._entries,) = read_sections(self.path, "files")
        return self._entries

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
            rebound = [bind_match(r, by_path) for r in records]
            if any(m is None for m in rebound):
                continue  # the parse changed shape (new version?): analyse again
            self.touched.add(self.file_key(artifact.path, artifact.sha256))
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
            if match.rule_id in secret_rules:
                wanted.discard(owner)
            elif owner in grouped:
                grouped[owner].append(match_record(match))
        grouped = {path: records for path, records in grouped.items() if path in wanted}
        shas = {a.path: a.sha256 for a in skill.real_files}
        for path, records in grouped.items():
            if path in shas:
                key = self.file_key(path, shas[path])
                self.entries[key] = records
                self.touched.add(key)
                self.dirty = True

    def save(self) -> None:
        if self.dirty:
            write_json_atomically(self.path, {"format": FORMAT, "files": bounded(self.entries, self.touched)})


MAX_ENTRIES = 50_000  # per cache file; past it, only what the last scan used or wrote is kept
STALE_DAYS = 30
_CACHE_FILES = ("results-*.json", "skills-*.json", "pack-*.json", ".*.tmp")


def forget_stale(directory: Path, keep: Iterable[Path]) -> None:
    """Delete the cache files no scan has written for STALE_DAYS days, except `keep` (the ones
    this scan uses). Every tool version, rule pack and configuration has files of its own, and
    nothing else would ever remove those of an older one; a file deleted by mistake costs one
    slower scan, never a result."""
    import time

    kept = {path.name for path in keep}
    cutoff = time.time() - STALE_DAYS * 86_400
    for pattern in _CACHE_FILES:
        for path in directory.glob(pattern):
            try:
                if path.name not in kept and path.lstat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue  # in use by a concurrent scan on some systems, or already gone


def bounded(entries: dict[str, Any], touched: set[str]) -> dict[str, Any]:
    """`entries`, or only the `touched` ones once there are too many (entries for old content
    are never looked up again, so the cache would otherwise grow with every change)."""
    if len(entries) <= MAX_ENTRIES:
        return entries
    return {key: value for key, value in entries.items() if key in touched}


def write_json_atomically(path: Path, data: Any, default: Callable[[Any], Any] | None = None) -> None:
    """Write-then-rename, so a concurrent or interrupted scan never leaves a torn file
    (`default`: as for json.dump)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"), default=default)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def match_record(match: Match) -> dict[str, Any]:
    span = match.span
    record: dict[str, Any] = {
        "rule": match.rule_id, "artifact": str(match.artifact.path),
        "span": [span.start_line, span.start_col, span.end_line, span.end_col],
        "text": match.matched_text, "captures": dict(match.captures), "note": match.note,
        "related": [[str(r.path), r.line, r.column, r.snippet] for r in match.related],
    }
    return record


def bind_match(record: Any, by_path: dict[PurePosixPath, Any]) -> Match | None:
    """A cached record rebound to this scan's artifact; None when it does not fit (then the file is
    analysed again — a damaged cache costs time, never correctness)."""
    try:
        artifact = by_path.get(PurePosixPath(record["artifact"]))
        if artifact is None or not isinstance(record["text"], str) or not isinstance(record["captures"], dict):
            return None
        span = Span(*(int(n) for n in record["span"]))
        related = tuple(Location(PurePosixPath(p), int(line), int(col), str(snip)) for p, line, col, snip in record["related"])
        return Match(str(record["rule"]), artifact, span, record["text"],
                     {str(k): str(v) for k, v in record["captures"].items()}, related, str(record["note"]))
    except (KeyError, TypeError, ValueError):
        return None

