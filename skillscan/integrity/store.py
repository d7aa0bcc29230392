"""Content-addressed copies of approved skill files, restore and quarantine.

`lock` copies every approved file into `<data>/store/sha256/ab/cdef…` (deduplicated by hash, so
500 skills sharing a LICENSE cost one copy). `restore` rebuilds the approved tree beside the
skill (same folder, so the same filesystem), checks every byte against its hash, sets the exact
modes, then swaps it in with one atomic rename (renameat2 RENAME_EXCHANGE where the kernel has
it). The replaced, drifted version is quarantined, not deleted: it is evidence.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillscan.errors import SkillscanError
from skillscan.integrity import paths
from skillscan.integrity.lockfile import SkillRecord, write_private
from skillscan.integrity.manifest import Entry

MAX_STORED_BYTES = 64 * 1024 * 1024
_CHUNK = 1 << 20


class StoreError(SkillscanError):
    pass


def object_path(sha256: str, store: Path | None = None) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise StoreError(f"not a sha256: {sha256!r}")
    return (store or paths.store_dir()) / "sha256" / sha256[:2] / sha256[2:]


def put_tree(root: Path, entries: Iterable[Entry], store: Path | None = None) -> list[str]:
    """Copy the regular files of an approved skill into the store; returns problems."""
    problems = []
    for entry in entries:
        if entry.type != "file" or not entry.sha256:
            continue
        target = object_path(entry.sha256, store)
        if target.exists():
            continue
        if entry.size > MAX_STORED_BYTES:
            problems.append(f"{entry.path}: {entry.size} bytes, larger than the store cap; not restorable")
            continue
        problem = _copy_in(root / entry.path, entry.sha256, target)
        if problem:
            problems.append(f"{entry.path}: {problem}")
    return problems


def _copy_in(source: Path, sha256: str, target: Path) -> str:
    paths.private_dir(target.parent)
    try:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        return f"unreadable ({error.strerror})"
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "no longer a regular file"
        digest = hashlib.sha256()
        out = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(out, "wb") as handle:
            while chunk := os.read(fd, _CHUNK):
                digest.update(chunk)
                handle.write(chunk)
        if digest.hexdigest() != sha256:
            temp.unlink(missing_ok=True)
            return "changed while being stored (not the approved bytes)"
        os.chmod(temp, 0o400)
        os.replace(temp, target)
        return ""
    except OSError as error:
        temp.unlink(missing_ok=True)
        return f"could not store ({error.strerror})"
    finally:
        os.close(fd)


def _stored_bytes(entry: Entry, store: Path | None) -> bytes:
    data = object_path(entry.sha256, store).read_bytes()
    if hashlib.sha256(data).hexdigest() != entry.sha256:
        raise StoreError(f"stored copy of {entry.path} is damaged (hash mismatch); cannot restore it")
    return data


def missing_objects(record: SkillRecord, store: Path | None = None) -> list[str]:
    return [e.path for e in record.files if e.type == "file" and not object_path(e.sha256, store).is_file()]


def restore_destination(record: SkillRecord) -> Path:
    """A symlinked skill folder is restored at the folder it pointed to when approved."""
    return Path(record.real_path) if record.root_target and record.real_path else Path(record.path)


def restore(record: SkillRecord, store: Path | None = None) -> tuple[Path, QuarantineRecord | None]:
    missing = missing_objects(record, store)
    if missing:
        raise StoreError(f"{record.name}: no stored copy of {', '.join(missing[:5])}; "
                         "it was locked before skillscan kept copies, or the store was cleaned")
    import shutil
    import tempfile

    dest = restore_destination(record)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.skillscan-restore-", dir=dest.parent))
    try:
        build(staging, record.files, store)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    displaced: QuarantineRecord | None = None
    if os.path.lexists(dest):
        if exchange(staging, dest):
            old = staging  # the drifted version now sits where the staging folder was
        else:
            old = dest.with_name(f".{dest.name}.skillscan-old-{secrets.token_hex(4)}")
            os.rename(dest, old)
            os.rename(staging, dest)
        displaced = quarantine(old, record.name, "replaced by `skillscan restore`", original=dest)
    else:
        os.rename(staging, dest)
    if record.root_target:
        relink(Path(record.path), record.root_target)
    return dest, displaced


def build(folder: Path, entries: Iterable[Entry], store: Path | None = None) -> None:
    """Write the approved tree into the empty `folder`: exact bytes, exact modes."""
    ordered = sorted(entries, key=lambda e: (e.path.count("/"), e.path))
    folders = {"."} | {e.path for e in ordered if e.type == "dir"}
    for entry in ordered:
        if entry.path == ".":
            continue
        parts = entry.path.split("/")
        parent = "/".join(parts[:-1]) or "."
        if ".." in parts or "" in parts or parent not in folders:
            # Only a forged lockfile could ask for this: never write through a restored symlink.
            raise StoreError(f"refusing to restore {entry.path!r}: its parent is not a recorded folder")
        target = folder / entry.path
        if entry.type == "dir":
            target.mkdir(mode=0o700)
        elif entry.type == "symlink":
            os.symlink(entry.target, target)
        elif entry.type == "file":
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(_stored_bytes(entry, store))
            os.chmod(target, entry.mode)
        # "special" entries (FIFOs, devices) are never recreated
    for entry in sorted((e for e in ordered if e.type == "dir"), key=lambda e: -e.path.count("/")):
        os.chmod(folder if entry.path == "." else folder / entry.path, entry.mode)


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False when unsupported."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(result == 0)


def relink(link: Path, target: str) -> None:
    """Point `link` at `target` atomically (new link beside, then rename over)."""
    if link.is_symlink() and os.readlink(link) == target:
        return
    temp = link.with_name(f".{link.name}.skillscan-link-{secrets.token_hex(4)}")
    os.symlink(target, temp)
    os.replace(temp, link)


# --- quarantine ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuarantineRecord:
    name: str
    original_path: str
    quarantine_path: str
    quarantined_at: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return dict(self.__dict__)


def index_path() -> Path:
    return paths.quarantine_dir() / "index.json"


def load_index() -> list[QuarantineRecord]:
    try:
        data: Any = json.loads(index_path().read_text(encoding="utf-8"))
        return [QuarantineRecord(**{k: str(v) for k, v in item.items()}) for item in data["quarantined"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def quarantine(path: Path, name: str, reason: str, original: Path | None = None) -> QuarantineRecord:
    """Move a skill folder (or the symlink that is the skill folder) out of every agent's reach."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:60] or "skill"
    holder = paths.private_dir(paths.quarantine_dir() / f"{stamp}-{safe}-{secrets.token_hex(3)}")
    target = holder / "skill"
    try:
        os.rename(path, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise StoreError(f"cannot quarantine {path}: {error.strerror}") from None
        _move_across_devices(path, target)
    record = QuarantineRecord(name, str(original or path), str(target),
                              time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), reason)
    records = load_index() + [record]
    write_private(index_path(), (json.dumps({"quarantined": [r.to_json() for r in records]}, indent=1,
                                            sort_keys=True) + "\n").encode())
    return record


def _move_across_devices(path: Path, target: Path) -> None:
    import shutil

    if path.is_symlink():
        os.symlink(os.readlink(path), target)
        path.unlink()
        return

    def specials(folder: str, names: list[str]) -> set[str]:  # never open FIFOs or devices
        skip = set()
        for name in names:
            mode = os.lstat(os.path.join(folder, name)).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                skip.add(name)
        return skip

    shutil.copytree(path, target, symlinks=True, ignore=specials)
    shutil.rmtree(path)


def quarantined_paths(records: Iterable[QuarantineRecord] | None = None) -> set[str]:
    return {r.original_path for r in (load_index() if records is None else records)}
