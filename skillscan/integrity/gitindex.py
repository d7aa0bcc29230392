"""Uncommitted changes in a git work tree, found without running git: read `.git/index`
(versions 2-4), compare each tracked file under a folder with its stat data, and hash the ones
whose stat differs as git blobs (SHA-1 or SHA-256 repositories).

Covered: modified, deleted and type-changed tracked files. Not covered: untracked files (that
needs .gitignore semantics) and clean/smudge filters (LFS, autocrlf), which can make a file
look modified; entries marked assume-unchanged or skip-worktree are trusted, as git does.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from skillscan.integrity.manifest import read_regular
from skillscan.integrity.sources import GitRepo, find_repo

MAX_INDEX_BYTES = 64 * 1024 * 1024
MAX_BLOB_BYTES = 64 * 1024 * 1024
_ASSUME_VALID, _EXTENDED, _SKIP_WORKTREE = 0x8000, 0x4000, 0x4000


@dataclass(frozen=True)
class IndexEntry:
    path: str  # relative to the work tree
    mode: int
    size: int
    mtime: tuple[int, int]
    ctime: tuple[int, int]
    oid: str
    trusted: bool  # assume-unchanged / skip-worktree


@dataclass(frozen=True)
class Index:
    entries: list[IndexEntry]
    algorithm: str  # of the object ids: "sha1" or "sha256"


def read_index(repo: GitRepo) -> Index | None:
    data = read_regular(repo.gitdir / "index", MAX_INDEX_BYTES)
    if data is None or len(data) < 12 or data[:4] != b"DIRC":
        return None
    version, count = struct.unpack(">II", data[4:12])
    if version not in (2, 3, 4):
        return None
    algorithm = "sha256" if _sha256_repo(repo) else "sha1"
    oid_len = 32 if algorithm == "sha256" else 20
    entries, offset, previous = [], 12, b""
    try:
        for _ in range(count):
            start = offset
            ctime_s, ctime_ns, mtime_s, mtime_ns, _dev, _ino, mode, _uid, _gid, size = struct.unpack(
                ">10I", data[offset:offset + 40])
            offset += 40
            oid = data[offset:offset + oid_len].hex()
            offset += oid_len
            (flags,) = struct.unpack(">H", data[offset:offset + 2])
            offset += 2
            extended = 0
            if flags & _EXTENDED and version >= 3:
                (extended,) = struct.unpack(">H", data[offset:offset + 2])
                offset += 2
            if version == 4:  # path = previous path minus N bytes + this suffix (N a varint)
                strip, offset = _varint(data, offset)
                end = data.index(b"\0", offset)
                name = previous[:len(previous) - strip] + data[offset:end]
                offset = end + 1
            else:
                end = data.index(b"\0", offset)
                name = data[offset:end]
                offset = start + ((end - start + 8) // 8) * 8  # NUL padding to a multiple of 8
            previous = name
            entries.append(IndexEntry(name.decode("utf-8", "surrogateescape"), mode, size, (mtime_s, mtime_ns),
                                      (ctime_s, ctime_ns), oid,
                                      bool(flags & _ASSUME_VALID or extended & _SKIP_WORKTREE)))
    except (struct.error, ValueError, IndexError):
        return None
    return Index(entries, algorithm)


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    """git's offset varint (index v4)."""
    byte = data[offset]
    value = byte & 0x7F
    offset += 1
    while byte & 0x80:
        byte = data[offset]
        value = ((value + 1) << 7) | (byte & 0x7F)
        offset += 1
    return value, offset


def _sha256_repo(repo: GitRepo) -> bool:
    config = read_regular(repo.commondir / "config", 1024 * 1024) or b""
    return b"objectformat = sha256" in config.lower().replace(b"\t", b" ")


def uncommitted(folder: Path, locate: Callable[[Path], GitRepo | None] = find_repo,
                read: Callable[[GitRepo], Index | None] = read_index) -> list[tuple[str, str]]:
    """(path relative to `folder`, "modified" | "deleted" | "type changed" | "mode changed") for
    tracked files. `locate` and `read` let a scan share one lookup among sibling folders."""
    real = folder.resolve()
    repo = locate(real)
    if repo is None:
        return []
    index = read(repo)
    if index is None:
        return []
    try:
        prefix = real.relative_to(repo.worktree.resolve()).as_posix()
    except ValueError:
        return []
    prefix = "" if prefix == "." else prefix + "/"
    entries, algorithm = index.entries, index.algorithm
    changes = []
    for entry in entries:
        if not entry.path.startswith(prefix) or entry.trusted or stat.S_IFMT(entry.mode) == 0o160000:
            continue  # outside the folder, trusted by git, or a submodule
        state = _state(repo.worktree / entry.path, entry, algorithm)
        if state:
            changes.append((entry.path[len(prefix):], state))
    return changes


def _state(path: Path, entry: IndexEntry, algorithm: str) -> str:
    try:
        st = os.lstat(path)
    except OSError:
        return "deleted"
    is_link = stat.S_IFMT(entry.mode) == stat.S_IFLNK
    if is_link != stat.S_ISLNK(st.st_mode) or not (is_link or stat.S_ISREG(st.st_mode)):
        return "type changed"
    if st.st_size != entry.size and not is_link:
        return "modified"
    if not is_link and bool(st.st_mode & 0o100) != bool(entry.mode & 0o100):
        return "mode changed"
    if (int(st.st_mtime), st.st_mtime_ns % 1_000_000_000) == entry.mtime and st.st_size == entry.size:
        return ""  # stat matches the index: git would not look further either
    if is_link:
        content: bytes | None = os.fsencode(os.readlink(path))
    else:
        content = read_regular(path, MAX_BLOB_BYTES)
    if content is None:
        return ""
    blob = hashlib.new(algorithm, b"blob %d\0" % len(content) + content).hexdigest()
    return "" if blob == entry.oid else "modified"
