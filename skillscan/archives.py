"""Archives bundled in a skill (zip and ZIP-based documents, tar, gzip) are opened in memory and
their members scanned as `archive!member` files — a payload inside a .docx is still a payload.

Bounded on every axis: member count, member size, total size, compression ratio and nesting
depth. Encrypted members, links and special entries are skipped with a reason, never extracted
to disk.
"""

from __future__ import annotations

import gzip
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath

MAX_MEMBERS = 2000
MAX_MEMBER_BYTES = 2 * 1024 * 1024
MAX_TOTAL_BYTES = 32 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, beyond which a member is treated as a bomb
MAX_DEPTH = 2

Member = tuple[PurePosixPath, bytes | None, str]  # (path, content or None when skipped, skip reason)


def is_archive(data: bytes) -> bool:
    return data.startswith((b"PK\x03\x04", b"\x1f\x8b")) or (len(data) > 262 and data[257:262] == b"ustar")


def members(archive: PurePosixPath, data: bytes, depth: int = 1, budget: list[int] | None = None) -> Iterator[Member]:
    """Members of an archive (recursively, up to MAX_DEPTH), as (path, bytes, reason).

    `budget` (bytes left) is shared with nested archives, so nesting cannot multiply the total.
    """
    budget = [MAX_TOTAL_BYTES] if budget is None else budget
    try:
        if data.startswith(b"PK\x03\x04"):
            entries = _zip(data)
        elif len(data) > 262 and data[257:262] == b"ustar" or _gzipped_tar(data):
            entries = _tar(data)
        elif data.startswith(b"\x1f\x8b"):
            entries = _gzip(archive, data)
        else:
            return
        for count, (name, content, reason) in enumerate(entries):
            path = PurePosixPath(f"{archive}!{_safe_name(name)}")
            if count >= MAX_MEMBERS:
                yield path, None, f"archive has more than {MAX_MEMBERS} members"
                return
            if content is not None:
                budget[0] -= len(content)
                if budget[0] < 0:
                    yield path, None, f"archive expands past {MAX_TOTAL_BYTES} bytes"
                    return
                if is_archive(content):
                    if depth >= MAX_DEPTH:  # reported, never silently dropped
                        yield path, None, f"nested archive deeper than {MAX_DEPTH} levels (not opened)"
                        continue
                    yield path, content, ""
                    yield from members(path, content, depth + 1, budget)
                    if budget[0] < 0:
                        return
                    continue
            yield path, content, reason
    # NotImplementedError: a compression method zipfile lacks (deflate64, AES); zlib/lzma errors:
    # corrupt member data, raised while reading it.
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, ValueError, RuntimeError, NotImplementedError,
            zlib.error, lzma.LZMAError) as error:
        yield PurePosixPath(f"{archive}!"), None, f"unreadable archive: {type(error).__name__}"


def _zip(data: bytes) -> Iterator[tuple[str, bytes | None, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not info.filename:  # an empty name (is_dir() would raise): still read, under a name of ours
                info.filename = "(unnamed member)"
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                yield info.filename, None, "encrypted archive member (password-protected)"
            elif info.file_size > MAX_MEMBER_BYTES:
                yield info.filename, None, f"member larger than {MAX_MEMBER_BYTES} bytes"
            elif info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                yield info.filename, None, f"compression ratio above {MAX_RATIO} (possible zip bomb)"
            else:
                with archive.open(info) as handle:
                    yield info.filename, handle.read(MAX_MEMBER_BYTES + 1)[:MAX_MEMBER_BYTES], ""


def _gzipped_tar(data: bytes) -> bool:
    if not data.startswith(b"\x1f\x8b"):
        return False
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            head = handle.read(512)
    except (OSError, EOFError):
        return False
    return len(head) > 262 and head[257:262] == b"ustar"


def _tar(data: bytes) -> Iterator[tuple[str, bytes | None, str]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        for info in archive:
            if info.isdir():
                continue
            if not info.isfile():
                yield info.name, None, "link or special entry in archive (not followed)"
            elif info.size > MAX_MEMBER_BYTES:
                yield info.name, None, f"member larger than {MAX_MEMBER_BYTES} bytes"
            else:
                handle = archive.extractfile(info)
                yield info.name, handle.read(MAX_MEMBER_BYTES) if handle else b"", ""


def _gzip(archive: PurePosixPath, data: bytes) -> Iterator[tuple[str, bytes | None, str]]:
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
        content = handle.read(MAX_MEMBER_BYTES + 1)
    name = archive.name[:-3] if archive.name.endswith(".gz") else archive.name + ".out"
    if len(content) > MAX_MEMBER_BYTES:
        yield name, None, f"decompresses past {MAX_MEMBER_BYTES} bytes"
    elif len(data) and len(content) / len(data) > MAX_RATIO:
        yield name, None, f"compression ratio above {MAX_RATIO} (possible bomb)"
    else:
        yield name, content, ""


def _safe_name(name: str) -> str:
    """A member name as a relative, traversal-free path with no control characters."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    cleaned = "/".join(parts) or "member"
    return "".join(c if c.isprintable() else "?" for c in cleaned)
