"""Tree stamps: has anything in a skill folder changed, answered from metadata alone.

A stamp hashes what `lstat` says of the folder and of every entry below it that the loader
reads (type and mode, size, modification and change times in nanoseconds, inode and device; a
symlink's target and what it resolves to), as git's index does, taken from the listing the scan
makes of each skill folder anyway (`disk.py`). It lets a re-scan find a skill in the skill cache
without reading its files; when the stamp does not match, the skill is read and its content
hashed as usual, so a stamp can only save work, never decide a result.

Why metadata suffices: writing a file, renaming another over it or changing its mode moves its
change time (ctime), which no unprivileged program can set back. A file changed within the same
clock tick as the last scan would keep its times, so entries changed in the last few seconds
make the stamp unusable ("racily clean", as git calls it): such a skill is read in full.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import time
from pathlib import Path

from skillscan.disk import Listing
from skillscan.load import MAX_FILES_PER_SKILL

RACY_SECONDS = 2.0


def tree_stamp(root: Path, listing: Listing | None, salt: str) -> str | None:
    """The stamp of the skill folder `root` from its `listing` (`salt`: whatever else the result
    depends on), or None when it cannot vouch for the tree (too many entries, a recent change,
    an error)."""
    if listing is None or not listing.loaded_complete:
        return None
    digest = hashlib.sha256(salt.encode("utf-8", "surrogateescape"))
    newest = time.time_ns() - int(RACY_SECONDS * 1e9)
    try:
        if not _add(digest, "", listing.top, newest):
            return None
        digest.update(listing.real.encode("utf-8", "surrogateescape"))
        count = 0
        for rel, st, loaded in listing.entries:
            if not loaded:
                continue
            count += 1
            if count > MAX_FILES_PER_SKILL or not _add(digest, rel, st, newest):
                return None
            if stat.S_ISLNK(st.st_mode):
                path = os.path.join(root, rel)
                digest.update(os.readlink(path).encode("utf-8", "surrogateescape"))
                try:
                    digest.update(_signature(os.stat(path)))
                except OSError:
                    digest.update(b"dangling")
    except (OSError, ValueError, struct.error):  # (struct: a value wider than 64 bits, as some file systems give)
        return None
    return digest.hexdigest()


_SIGNATURE = struct.Struct("<QQqqQQ")


def _signature(st: os.stat_result) -> bytes:
    return _SIGNATURE.pack(st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _add(digest: hashlib._Hash, rel: str, st: os.stat_result, newest: int) -> bool:
    """Feed one entry; False when it changed too recently to be trusted."""
    if max(st.st_mtime_ns, st.st_ctime_ns) > newest:
        return False
    digest.update(rel.encode("utf-8", "surrogateescape") + b"\0" + _signature(st))
    return True
