"""Per-skill file manifest: every entry's relative path, type, mode, size, SHA-256 and symlink
target, and the skill digest over the sorted manifest lines (one changed byte changes it).

Walking follows load.py's rules: symlinks are recorded, never followed; FIFOs, sockets and
devices are recorded, never opened. Hashing reads with O_NOFOLLOW|O_NONBLOCK and re-checks the
type on the open descriptor, so a file swapped for a FIFO cannot hang us.

Fast path: a file whose (size, mtime_ns, ctime_ns, inode, device) equals a cached stat reuses the
cached hash. ctime is set by the kernel on every write, chmod, rename or utime, so a swap that
restores size and mtime still changes it. Entries whose ctime is too close to the time of the
walk are never cached ("racily clean", as in git): the clock tick could hide a later write.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

# VCS data is not the skill's content (and churns on fetch); sources.py records the commit.
EXCLUDED_DIRS = frozenset({".git", ".hg", ".svn"})
MAX_ENTRIES = 50_000
MAX_DEPTH = 32
RACY_NS = 2_000_000_000  # covers 1-2 s timestamp granularity (FAT, ext3, some network FS)
_CHUNK = 1 << 20
_quote = json.encoder.encode_basestring  # type: ignore[attr-defined]  # = json.dumps(s, ensure_ascii=False), faster

# A stat cache record, as stored in JSON: [size, mtime_ns, ctime_ns, inode, device, value] where
# value is a file's sha256 or, for a folder (key "rel/"), "dir:" + its NUL-joined entry names.
Cached = list[Any]


class Entry(NamedTuple):  # a tuple, not a frozen dataclass: verify builds thousands per run
    path: str  # relative to the skill root, '/'-separated; "." is the root folder itself
    type: str  # "file" | "dir" | "symlink" | "special"
    mode: int  # permission bits (stat.S_IMODE)
    size: int = 0  # files: bytes; symlinks: length of the target; dirs: 0
    sha256: str = ""  # files only
    target: str = ""  # symlinks only, as written

    def line(self) -> str:
        """The canonical manifest line; paths are JSON-quoted so no name can forge a line."""
        text = f"{self.sha256 or '-'} {self.mode:04o} {self.type} {self.size} {_quote(self.path)}"
        if self.type == "symlink":
            text += f" -> {_quote(self.target)}"
        return text

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"path": self.path, "type": self.type, "mode": f"{self.mode:04o}"}
        if self.type == "file":
            data["size"] = self.size
            data["sha256"] = self.sha256
        elif self.type == "symlink":
            data["target"] = self.target
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Entry:
        kind = str(data["type"])
        target = str(data.get("target", ""))
        size = int(str(data.get("size", 0))) if kind == "file" else (len(target) if kind == "symlink" else 0)
        return cls(str(data["path"]), kind, int(str(data["mode"]), 8), size, str(data.get("sha256", "")), target)


@dataclass
class Tree:
    """The current state of one skill folder."""

    root: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    stats: dict[str, Cached] = field(default_factory=dict)  # what may be cached for the next walk
    hashed: int = 0  # files actually read (the fast path skipped the rest)
    errors: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return digest(self.entries.values())


def digest(entries: object) -> str:
    lines = sorted(e.line() for e in entries)  # type: ignore[attr-defined]
    return "sha256:" + hashlib.sha256(("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")).hexdigest()


def walk(root: Path, cache: Mapping[str, Cached] | None = None, now_ns: int | None = None,
         top: os.stat_result | None = None) -> Tree:
    """Manifest of `root` (a skill folder; a symlinked root is walked at its target).

    `cache` holds the stat cache records of an earlier walk; pass None to hash everything. A
    folder whose stat is unchanged has the same names (adding, removing or renaming an entry
    updates its mtime and ctime), so it is not listed again; every entry is still lstat'ed.
    The returned Tree's `stats` holds only entries old enough to be cached.
    This loop is verify's hot path (once per file of every skill), hence its inlined shape.
    """
    tree = Tree(root)
    entries, stats, known = tree.entries, tree.stats, cache or {}
    racy_after = (time.time_ns() if now_ns is None else now_ns) - RACY_NS
    try:
        top = top or os.stat(root)  # the root may be a symlinked skill folder: describe its target
    except OSError as error:
        tree.errors.append(f"{root}: {error.strerror or error}")
        return tree
    entries["."] = Entry(".", "dir", top.st_mode & 0o7777)
    stack: list[tuple[str, int, os.stat_result]] = [("", 0, top)]
    base, sep = os.fspath(root), os.sep
    while stack:
        rel_dir, depth, dir_st = stack.pop()
        folder = base + sep + rel_dir if rel_dir else base
        names = _names(folder, rel_dir + "/", dir_st, known, stats, racy_after, tree)
        if names is None:
            continue
        if len(entries) + len(names) > MAX_ENTRIES:
            tree.errors.append(f"{rel_dir or '.'}: more than {MAX_ENTRIES} entries; rest not recorded")
            return tree
        prefix, folder = (rel_dir + "/" if rel_dir else ""), folder + sep
        for name in names:
            rel, path = prefix + name, folder + name
            try:
                st = os.lstat(path)
            except OSError as error:
                tree.errors.append(f"{rel}: vanished ({error.strerror or error})")
                continue
            kind = st.st_mode & 0o170000
            if kind == stat.S_IFREG:
                cached = known.get(rel)
                if _same(cached, st):
                    sha: str | None = cached[5]  # type: ignore[index]
                else:
                    sha = hash_file(path, st)
                    tree.hashed += 1
                    if sha is None:
                        tree.errors.append(f"{rel}: changed or unreadable while hashing")
                        sha = ""
                entries[rel] = Entry(rel, "file", st.st_mode & 0o7777, st.st_size, sha or "")
                if sha and st.st_ctime_ns < racy_after and st.st_mtime_ns < racy_after:
                    stats[rel] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev, sha]
            elif kind == stat.S_IFDIR:
                if name in EXCLUDED_DIRS:
                    continue
                entries[rel] = Entry(rel, "dir", st.st_mode & 0o7777)
                if depth + 1 > MAX_DEPTH:
                    tree.errors.append(f"{rel}: deeper than {MAX_DEPTH} levels; not walked")
                else:
                    stack.append((rel, depth + 1, st))
            elif kind == stat.S_IFLNK:
                try:
                    target = os.readlink(path)
                except OSError:
                    target = ""
                entries[rel] = Entry(rel, "symlink", st.st_mode & 0o7777, len(target), "", target)
            else:
                entries[rel] = Entry(rel, "special", st.st_mode & 0o7777)  # FIFO, socket, device: never opened
    return tree


def _same(cached: Cached | None, st: os.stat_result) -> bool:
    """Does a cache record still describe this stat (size, mtime, ctime, inode, device)?"""
    return (type(cached) is list and len(cached) == 6 and cached[0] == st.st_size
            and cached[1] == st.st_mtime_ns and cached[2] == st.st_ctime_ns
            and cached[3] == st.st_ino and cached[4] == st.st_dev and isinstance(cached[5], str))


_DIR = "dir:"


def _names(folder: str, key: str, st: os.stat_result, known: Mapping[str, Cached],
           stats: dict[str, Cached], racy_after: int, tree: Tree) -> list[str] | None:
    """A folder's entry names: from the cache when its stat is unchanged, else listed."""
    cached = known.get(key)
    if _same(cached, st) and cached[5].startswith(_DIR):  # type: ignore[index]
        listing: str = cached[5]  # type: ignore[index]
        names = listing[len(_DIR):].split("\0") if len(listing) > len(_DIR) else []
    else:
        try:
            names = os.listdir(folder)
        except OSError as error:
            tree.errors.append(f"{key.rstrip('/') or '.'}: unreadable ({error.strerror or error})")
            return None
        listing = _DIR + "\0".join(names)
    if st.st_ctime_ns < racy_after and st.st_mtime_ns < racy_after:
        stats[key] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev, listing]
    return names


def hash_file(path: str | Path, st: os.stat_result | None = None) -> str | None:
    """SHA-256 of a regular file, or None when it is not (any longer) the file we stat'ed."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or (st is not None and opened.st_ino != st.st_ino):
            return None
        digest_ = hashlib.sha256()
        while chunk := os.read(fd, _CHUNK):
            digest_.update(chunk)
        return digest_.hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)


def read_regular(path: Path, limit: int) -> bytes | None:
    """Up to `limit` bytes of a regular file (never a FIFO or a symlink), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks, left = [], limit
        while left > 0 and (chunk := os.read(fd, min(left, _CHUNK))):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)
