"""Load stage: read every file of a skill safely, as bytes, and account for each one.

Scanned content is hostile. Nothing here executes, imports or follows anything out of the
skill: symlinks are recorded (and read only when they point to a regular file inside the
skill), special files are never opened, sizes are capped before reading, and every file ends
up either loaded or skipped with a reason.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from skillscan.model import SkippedFile

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILES_PER_SKILL = 20_000
MAX_DEPTH = 24
# Folders that hold installed dependencies or VCS data, not the skill's own content.
IGNORED_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache",
     ".pytest_cache", ".ruff_cache", "site-packages"}
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class LoadedFile:
    path: PurePosixPath  # relative to the skill root
    text: str | None  # None for binary content
    sha256: str
    size: int
    mode: int
    magic: str = ""  # for binary content: "elf", "pe", "mach-o", "zip", "gzip", "pyc", "wasm", "data"


@dataclass(frozen=True)
class LoadedSkill:
    root: Path
    files: tuple[LoadedFile, ...]
    skipped: tuple[SkippedFile, ...]
    symlinks: tuple[tuple[PurePosixPath, str], ...]


def decode(data: bytes) -> str | None:
    """Text for text files (UTF-8, or UTF-16/32 with or without a BOM), None for binary content.

    Undecodable bytes become U+FFFD one for one, so lines and columns stay where they were; so do
    NUL characters (parsers slow down on long NUL runs, quadratically in tree-sitter's case).
    """
    text = _decode(data)
    return text.replace("\x00", "\ufffd") if text is not None and "\x00" in text else text


def _decode(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    head = data[:8192]
    if b"\x00" in head:
        wide = _bomless_utf32(head) or _bomless_utf16(head)
        if wide is not None:
            return data.decode(wide, errors="replace")
        if not _text_then_nuls(head):
            return None
    return data.decode("utf-8", errors="replace")


def _text_then_nuls(head: bytes) -> bool:
    """Text lines followed by NUL bytes: `sh` and `bash` run such a file (bash calls a file binary
    only for a NUL before its first newline), so a script padded with NULs is still a script."""
    prefix = head[: head.index(b"\x00")]
    if b"\n" not in prefix[:80] or sniff_magic(head) != "data":
        return False
    text = prefix.decode("utf-8", errors="replace")
    return sum(1 for c in text if c.isprintable() or c in "\n\r\t") / len(text) > 0.95


def _bomless_utf32(head: bytes) -> str | None:
    """Recognise BOM-less UTF-32 text: three zero bytes in every four (BMP, mostly ASCII) and text
    that decodes to printable characters (an array of small integers has the same zero pattern)."""
    head = head[: len(head) // 4 * 4]
    if len(head) < 8:
        return None
    lanes = [head[i::4] for i in range(4)]
    zero = [lane.count(0) / len(lane) for lane in lanes]
    if zero[3] == 1 and zero[2] > 0.9 and zero[0] < 0.05:
        encoding = "utf-32-le"
    elif zero[0] == 1 and zero[1] > 0.9 and zero[3] < 0.05:
        encoding = "utf-32-be"
    else:
        return None
    text = head.decode(encoding, errors="replace")
    printable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return encoding if printable / len(text) > 0.9 else None


def _bomless_utf16(head: bytes) -> str | None:
    """Recognise BOM-less UTF-16 text by its pattern of zero bytes (ASCII-heavy text)."""
    if len(head) < 4:
        return None
    even_zero = head[0::2].count(0) / len(head[0::2])
    odd_zero = head[1::2].count(0) / len(head[1::2])
    if odd_zero > 0.4 and even_zero < 0.05:
        return "utf-16-le"
    if even_zero > 0.4 and odd_zero < 0.05:
        return "utf-16-be"
    return None


def walks_into(folder_name: str) -> bool:
    """Whether the loader reads a folder of this name. Bytecode caches are walked all the same:
    a .pyc whose source was deleted is code nobody can review (SKS-OBF-010), and
    `python x.cpython-311.pyc` runs it."""
    return folder_name not in IGNORED_DIRS or folder_name == "__pycache__"


def load_skill(root: Path, max_file_bytes: int = MAX_FILE_BYTES) -> LoadedSkill:
    files: list[LoadedFile] = []
    skipped: list[SkippedFile] = []
    symlinks: list[tuple[PurePosixPath, str]] = []
    real_root = root.resolve()
    # (folder, depth, the (st_dev, st_ino) it had when it was listed; None for the root)
    stack: list[tuple[Path, int, tuple[int, int] | None]] = [(root, 0, None)]
    while stack:
        directory, depth, identity = stack.pop()
        try:
            handle = _open_dir(directory, identity)
        except OSError as error:
            skipped.append(SkippedFile(_rel(root, directory), "unreadable", error.strerror or ""))
            continue
        try:
            _walk_entries(root, real_root, directory, depth, handle, max_file_bytes, files, skipped, symlinks, stack)
        finally:
            if isinstance(handle, int):
                os.close(handle)
    files.sort(key=lambda f: f.path)
    return LoadedSkill(root, tuple(files), tuple(skipped), tuple(symlinks))


# Walk through directory descriptors where the platform allows: a folder swapped for a symlink
# (or an outside folder) between listing and walking is then refused, not followed, and files are
# opened relative to the folder that was listed.
_FD_WALK = (os.scandir in os.supports_fd and os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")
            and hasattr(os, "O_NOFOLLOW"))


def _open_dir(directory: Path, identity: tuple[int, int] | None) -> int | Path:
    """A descriptor of `directory`, checked to be the folder that was listed (or the path itself
    where descriptors cannot be walked). The root may be a symlinked skill folder; nothing below."""
    if not _FD_WALK:
        return directory
    flags = os.O_RDONLY | os.O_DIRECTORY | (os.O_NOFOLLOW if identity is not None else 0)
    fd = os.open(directory, flags)
    st = os.fstat(fd)
    if identity is not None and (st.st_dev, st.st_ino) != identity:
        os.close(fd)
        raise OSError(0, "replaced during the scan; not followed")
    return fd


def _walk_entries(
    root: Path,
    real_root: Path,
    directory: Path,
    depth: int,
    handle: int | Path,
    max_file_bytes: int,
    files: list[LoadedFile],
    skipped: list[SkippedFile],
    symlinks: list[tuple[PurePosixPath, str]],
    stack: list[tuple[Path, int, tuple[int, int] | None]],
) -> None:
    try:
        entries = sorted(os.scandir(handle), key=lambda e: e.name)
    except OSError as error:
        skipped.append(SkippedFile(_rel(root, directory), "unreadable", error.strerror or ""))
        return
    for entry in entries:
        path = directory / entry.name
        rel = _rel(root, path)
        if len(files) + len(skipped) >= MAX_FILES_PER_SKILL:
            skipped.append(SkippedFile(rel, "file-limit", f"more than {MAX_FILES_PER_SKILL} files"))
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as error:
            skipped.append(SkippedFile(rel, "unreadable", error.strerror or "vanished"))
            continue
        if stat.S_ISLNK(st.st_mode):
            _load_symlink(path, rel, real_root, max_file_bytes, files, skipped, symlinks)
        elif stat.S_ISDIR(st.st_mode):
            if not walks_into(entry.name):
                skipped.append(SkippedFile(rel, "ignored-dir", entry.name))
            elif depth >= MAX_DEPTH:
                skipped.append(SkippedFile(rel, "too-deep", f"deeper than {MAX_DEPTH} levels"))
            else:
                stack.append((path, depth + 1, (st.st_dev, st.st_ino)))
        elif stat.S_ISREG(st.st_mode):
            _load_regular(path, rel, st, max_file_bytes, files, skipped, handle if isinstance(handle, int) else None)
        else:
            skipped.append(SkippedFile(rel, "special-file", "FIFO, socket or device; never opened"))


def _load_symlink(
    link: Path,
    rel: PurePosixPath,
    real_root: Path,
    max_file_bytes: int,
    files: list[LoadedFile],
    skipped: list[SkippedFile],
    symlinks: list[tuple[PurePosixPath, str]],
) -> None:
    try:
        target = os.readlink(link)
    except OSError as error:
        skipped.append(SkippedFile(rel, "unreadable", error.strerror or "vanished"))
        return
    symlinks.append((rel, target))
    try:
        resolved = link.resolve(strict=True)
    except (OSError, RuntimeError):
        # A dangling link still says where it points: outside the skill is an escape, whether
        # or not the target exists on the scanning machine (~/.ssh/id_rsa may not, here).
        lexical = Path(os.path.normpath(os.path.join(os.path.dirname(link), os.path.expanduser(target))))
        inside = lexical.is_relative_to(real_root) or lexical.is_relative_to(link.parent.absolute())
        reason = "broken-symlink" if inside and not target.startswith("~") else "symlink-escape"
        skipped.append(SkippedFile(rel, reason, f"dangling link to {target}"))
        return
    if not resolved.is_relative_to(real_root):
        skipped.append(SkippedFile(rel, "symlink-escape", f"points outside the skill: {target}"))
        return
    try:
        st = resolved.stat()
    except OSError as error:
        skipped.append(SkippedFile(rel, "unreadable", error.strerror or "vanished"))
        return
    if stat.S_ISREG(st.st_mode):
        _load_regular(resolved, rel, st, max_file_bytes, files, skipped)
    elif stat.S_ISDIR(st.st_mode):
        # Directories inside the skill are walked under their real path already.
        skipped.append(SkippedFile(rel, "symlink-dir", f"points inside the skill: {target}"))
    else:
        skipped.append(SkippedFile(rel, "special-file", f"link to a FIFO, socket or device; never opened: {target}"))


def _load_regular(
    path: Path,
    rel: PurePosixPath,
    st: os.stat_result,
    max_file_bytes: int,
    files: list[LoadedFile],
    skipped: list[SkippedFile],
    dir_fd: int | None = None,  # the listed folder: `path` is then opened by name inside it
) -> None:
    if st.st_size > max_file_bytes:
        skipped.append(SkippedFile(rel, "too-large", f"{st.st_size} bytes > cap {max_file_bytes}"))
        return
    try:
        # O_NONBLOCK: a file swapped for a FIFO between stat and open must not hang the scan.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path.name, flags, dir_fd=dir_fd) if dir_fd is not None else os.open(path, flags)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                skipped.append(SkippedFile(rel, "special-file", "changed type during the scan"))
                return
            with os.fdopen(fd, "rb", closefd=False) as handle:
                data = handle.read(max_file_bytes + 1)
        finally:
            os.close(fd)
    except OSError as error:
        skipped.append(SkippedFile(rel, "unreadable", error.strerror or "vanished"))
        return
    if len(data) > max_file_bytes:
        skipped.append(SkippedFile(rel, "too-large", f"grew past the cap {max_file_bytes} bytes"))
        return
    _add(rel, data, st.st_mode, files, skipped)


def _add(rel: PurePosixPath, data: bytes, mode: int, files: list[LoadedFile], skipped: list[SkippedFile]) -> None:
    text = decode(data)
    magic = sniff_magic(data) if text is None else ""
    files.append(LoadedFile(rel, text, hashlib.sha256(data).hexdigest(), len(data), mode, magic))
    if text is None:
        from skillscan import archives  # here: a scan the caches answer opens no file at all

        if not archives.is_archive(data):
            return
        for member, content, reason in archives.members(rel, data):
            if content is None:
                skipped.append(SkippedFile(member, "archive-member", reason))
            elif not archives.is_archive(content):
                _add(member, content, mode, files, skipped)


_MAGIC = (
    (b"\x7fELF", "elf"),
    (b"MZ", "pe"),
    (b"\xcf\xfa\xed\xfe", "mach-o"),
    (b"\xce\xfa\xed\xfe", "mach-o"),
    (b"\xca\xfe\xba\xbe", "mach-o"),
    (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"\x00asm", "wasm"),
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
)


def sniff_magic(data: bytes) -> str:
    for prefix, name in _MAGIC:
        if data.startswith(prefix):
            return name
    if len(data) >= 16 and data[2:4] == b"\r\n":
        return "pyc"  # CPython bytecode: 2-byte magic number followed by \r\n
    return "data"


def _rel(root: Path, path: Path) -> PurePosixPath:
    return PurePosixPath(path.relative_to(root).as_posix())
