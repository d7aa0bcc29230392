"""The lockfile: versioned, deterministic JSON (sorted keys and records, no timestamps except the
per-skill approval time), so two locks of the same state are byte-identical and diffs are quiet.

    {"lockfile_version": 1, "project": …, "rule_packs": [...], "skills": [...], "surfaces": [...]}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from skillscan.errors import SkillscanError
from skillscan import textsafe
from skillscan.integrity.manifest import Entry
from skillscan.integrity.surfaces import SurfaceRecord

LOCKFILE_VERSION = 1
MAX_LOCKFILE_BYTES = 512 * 1024 * 1024


class LockfileError(SkillscanError):
    """Missing, corrupt or untrusted lockfile (exit 2)."""


@dataclass(frozen=True)
class SkillRecord:
    path: str  # absolute, as discovered (may be a symlink)
    client: str
    scope: str
    name: str
    digest: str
    file_data: tuple[Any, ...]  # Entries, or the lockfile's raw JSON objects (parsed on first use:
    approved_at: str            # verify of unchanged skills compares digests and never needs them)
    location: str = ""
    version: str = ""
    real_path: str = ""  # resolved at approval
    root_target: str = ""  # when the skill folder itself is a symlink: its target as written
    source: dict[str, Any] = field(default_factory=dict)
    findings: dict[str, Any] = field(default_factory=dict)  # rule_packs, by_severity, fingerprints
    signature: str = "unsigned"  # unsigned | valid | untrusted | invalid | unsupported | unverified

    @cached_property
    def files(self) -> tuple[Entry, ...]:
        return tuple(e if isinstance(e, Entry) else Entry.from_json(e) for e in self.file_data)

    def file_map(self) -> dict[str, Entry]:
        return {e.path: e for e in self.files}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path, "client": self.client, "scope": self.scope, "location": self.location,
            "name": self.name, "version": self.version, "real_path": self.real_path,
            "root_target": self.root_target, "source": self.source, "approved_at": self.approved_at,
            "digest": self.digest, "signature": self.signature, "findings": self.findings,
            "files": [e.to_json() for e in sorted(self.files, key=lambda e: e.path)],
        }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SkillRecord:
        return cls(
            path=str(data["path"]), client=str(data["client"]), scope=str(data["scope"]),
            name=str(data["name"]), digest=str(data["digest"]),
            file_data=tuple(data["files"]),
            approved_at=str(data.get("approved_at", "")), location=str(data.get("location", "")),
            version=str(data.get("version", "")), real_path=str(data.get("real_path", "")),
            root_target=str(data.get("root_target", "")), source=dict(data.get("source") or {}),
            findings=dict(data.get("findings") or {}), signature=str(data.get("signature", "unsigned")),
        )


@dataclass
class Lockfile:
    skills: dict[str, SkillRecord] = field(default_factory=dict)  # by path
    surfaces: dict[tuple[str, str, str], SurfaceRecord] = field(default_factory=dict)  # (path, kind, key)
    project: str = ""
    rule_packs: tuple[str, ...] = ()  # "name@version sha256:…" of the packs the skills were scanned with
    signing_key: str = ""  # private key file used to sign it (a path, not a secret)

    def by_name(self, name: str) -> list[SkillRecord]:
        wanted = name.casefold()
        return [r for r in self.skills.values() if r.name.casefold() == wanted]

    def with_skills(self, records: dict[str, SkillRecord]) -> Lockfile:
        return replace(self, skills=records)


def dumps(lock: Lockfile) -> str:
    data = {
        "lockfile_version": LOCKFILE_VERSION,
        "generator": "skillscan",
        "project": lock.project,
        "rule_packs": sorted(lock.rule_packs),
        "signing_key": lock.signing_key,
        "surface_hash": "hmac-sha256 with the per-install salt; values are never stored",
        "skills": [lock.skills[p].to_json() for p in sorted(lock.skills)],
        "surfaces": [lock.surfaces[k].to_json() for k in sorted(lock.surfaces)],
    }
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    # A name that is not UTF-8 arrives as lone surrogates (os.fsdecode), which no UTF-8 writer
    # can encode: keep each as its JSON escape (json.loads gives the same surrogate back, so it
    # round-trips exactly; only surrogates are escaped, every other name stays readable).
    return textsafe.escape_surrogates(text)


def loads(text: str, where: str = "lockfile") -> Lockfile:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise LockfileError(f"{where}: corrupt lockfile (not JSON: {error})") from None
    if not isinstance(data, dict) or "lockfile_version" not in data:
        raise LockfileError(f"{where}: not a skillscan lockfile")
    if data["lockfile_version"] != LOCKFILE_VERSION:
        raise LockfileError(f"{where}: lockfile_version {data['lockfile_version']!r} is not supported "
                            f"(this skillscan reads {LOCKFILE_VERSION})")
    try:
        skills = [SkillRecord.from_json(s) for s in data.get("skills", [])]
        surfaces = [SurfaceRecord.from_json(s) for s in data.get("surfaces", [])]
        return Lockfile(
            skills={s.path: s for s in skills},
            surfaces={s.ident: s for s in surfaces},
            project=str(data.get("project", "")),
            rule_packs=tuple(str(p) for p in data.get("rule_packs", [])),
            signing_key=str(data.get("signing_key", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise LockfileError(f"{where}: corrupt lockfile ({type(error).__name__}: {error})") from None


def read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_LOCKFILE_BYTES:
            raise LockfileError(f"{path}: lockfile larger than {MAX_LOCKFILE_BYTES} bytes")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LockfileError(f"{path}: no lockfile; run `skillscan lock` first") from None
    except (OSError, UnicodeDecodeError) as error:
        raise LockfileError(f"{path}: unreadable lockfile ({error})") from None


def load(path: Path) -> Lockfile:
    return loads(read_text(path), str(path))


def save(lock: Lockfile, path: Path) -> str:
    """Write atomically (beside, then rename), owner-only; returns the text written."""
    text = dumps(lock)
    write_private(path, text.encode("utf-8"))
    return text


def write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
