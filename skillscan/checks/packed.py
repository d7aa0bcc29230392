"""Packed and opaque content (C08): encoded blobs, bytecode without source, bundled archives.

`encoded_blobs` finds base64, hex and escape-sequence runs, decodes them (following zlib/gzip/
bz2/lzma and nested base64 layers, bounded) and classifies what comes out:

- ``code``: shell/Python/JS/PowerShell commands, prompt-injection phrases or an executable header
  — something hidden from the reviewer that the agent or a script may act on;
- ``data``: opaque bytes or plain text that is not code — a large blob nobody can review.

Media (images, fonts, audio), DER certificates, SSH public keys, JWTs and hashes are left alone.
Rule options (in `match`): ``min_length`` (encoded characters, default 200), ``decoded``
(``code`` | ``data`` | ``any``), ``max_hits`` (per file, default 5). The rule's `applies_to`
(artifacts, languages, segments, paths) is honoured the same way the regex engine honours it.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import lzma
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import PurePosixPath

from skillscan.model import Artifact, ArtifactKind, Match, Segment, SegmentKind, Skill, Span
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex

_MAX_DECODED = 1 << 20  # bytes kept from any decoding step
_MAX_DEPTH = 4
_PREVIEW = 100

_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/_=-])")
_HEX_RUN = re.compile(r"(?<![0-9A-Za-z])(?:0x)?((?:[0-9A-Fa-f]{2}){12,})(?![0-9A-Za-z])")
_HEX_ONLY = re.compile(r"[0-9A-Fa-f]+")
_ESCAPE_RUN = re.compile(r"(?:\\x[0-9A-Fa-f]{2}|\\u00[0-9A-Fa-f]{2}|\\[0-3][0-7]{2}){6,}")
_DATA_URI = re.compile(r"(?i)data:([a-z0-9.+-]+/[a-z0-9.+-]+)?(?:;[a-z0-9=.-]+)*;base64,\s*$")
_URI_BODY = re.compile(r"[A-Za-z0-9+/=%_-]*")
_SCRIPT_MIME = re.compile(r"(?i)(javascript|ecmascript|x-sh|x-shellscript|x-python|html|x-powershell|x-msdos|octet-stream)")

_CODE = re.compile(
    r"(?i)(\b(?:curl|wget)\s+-{0,2}\S|\bbash\s+-[ci]\b|/bin/(?:ba|z)?sh\b|\bsh\s+-c\b|\bchmod\s+[+0-7]|"
    r"\bimport\s+(?:os|subprocess|socket|base64|requests|urllib|ctypes|pty|marshal|zlib)\b|"
    r"\bfrom\s+(?:os|subprocess|socket|urllib|ctypes)\b[^\n]{0,40}\bimport\b|\b__import__\s*\(|"
    r"\bexec\s*\(|\beval\s*\(|\bsubprocess\.|\bos\.(?:system|popen|exec\w*)\s*\(|"
    r"\brequire\s*\(\s*['\"](?:child_process|https?|net|fs|os)['\"]|\bchild_process\b|\bnew\s+Function\s*\(|"
    r"\bpowershell(?:\.exe)?\b|\binvoke-(?:expression|webrequest|restmethod)\b|\biex\s*[(\"'$]|"
    r"\bdownload(?:string|file|data)\b|\bstart-process\b|/dev/tcp/|\bnc\s+-[a-z]*[ec]\b|"
    r"\bfetch\s*\(\s*['\"`]https?:|\bxmlhttprequest\b|<script\b|\bdocument\.cookie\b|"
    r"\bsocket\.socket\s*\(|\bfsockopen\b|\bnew-object\s+(?:system\.)?net\.|\bcertutil\b|\bmshta\b|"
    r"\brm\s+-rf\s+[~/]|\bcrontab\b|\bnohup\b|\bosascript\b)"
)
_INSTRUCTION = re.compile(
    r"(?i)(\bignore\s+(?:all\s+|any\s+)?(?:previous|prior|above|earlier)\s+(?:instructions|rules|messages)|"
    r"\bdisregard\s+(?:all\s+|any\s+)?(?:previous|prior|above|your)\b|\bsystem\s+prompt\b|\byou\s+are\s+now\b|"
    r"\b(?:do\s+not|don'?t|never)\s+(?:tell|inform|mention|reveal|show)\b[^\n]{0,30}\buser\b|"
    r"\bwithout\s+(?:telling|asking|informing|notifying)\b|~/\.ssh\b|\bid_rsa\b|\.aws/credentials\b|"
    r"\bexfiltrat\w*|\b(?:send|post|upload)\s+(?:it|them|this|the\s+\w+|all\s+\w+)\s+to\s+https?://)"
)
_MEDIA_MAGIC = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF", b"%PDF", b"wOFF", b"wOF2", b"OTTO",
    b"\x00\x01\x00\x00", b"\x00\x00\x01\x00", b"ID3", b"OggS", b"fLaC", b"\x1aE\xdf\xa3", b"II*\x00", b"MM\x00*",
    b"8BPS", b"\x00\x00\x00\x0cjP", b"<svg", b"<?xml",
)
_EXECUTABLE_MAGIC = (b"\x7fELF", b"MZ", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
_SSH_KEY_PREFIXES = ("AAAAB3NzaC1", "AAAAC3NzaC1", "AAAAE2VjZHNh", "AAAAB3NzaC", "AAAAG")


def encoded_blobs(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Encoded runs of at least `min_length` characters whose decoding is of the wanted kind."""
    min_length = int(rule.match.get("min_length", 200))
    wanted = str(rule.match.get("decoded", "any"))
    max_hits = int(rule.match.get("max_hits", 5))
    for artifact in skill.artifacts:
        if artifact.kind is ArtifactKind.BINARY or not artifact.text or artifact.decoded_from or not rule.applies_to.covers(artifact):
            continue  # decoded layers are already the decoding of a blob reported on their parent
        index = LineIndex(artifact.text)
        seen: set[int] = set()
        hits = 0
        for segment in _segments(rule, skill, artifact):
            for start, end, kind, verdict, preview in _blobs(segment.text, min_length):
                offset = segment.start_offset + start
                if offset in seen or (wanted != "any" and verdict != wanted):
                    continue
                seen.add(offset)
                hits += 1
                evidence = segment.text[start:end]
                yield Match(
                    rule.id, artifact, index.span(offset, offset + len(evidence)), evidence,
                    {"encoding": kind, "decoded": preview},
                    note=f"{kind}, {len(evidence)} characters",
                )
                if hits >= max_hits:
                    break
            if hits >= max_hits:
                break


def binaries(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Binary files whose content is one of the kinds in the `magic` option (elf, pe, mach-o, wasm …)."""
    wanted = set(rule.match.get("magic", ()))
    for artifact in skill.artifacts:
        kind = _magic(artifact)
        if kind in wanted:
            yield Match(rule.id, artifact, Span(1, 1, 1, 1), f"{kind} file {artifact.path}")


def bytecode_without_source(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Compiled Python (.pyc/.pyo) with no matching .py next to it (or above its __pycache__)."""
    paths = {a.path for a in skill.artifacts if not a.is_virtual}
    for artifact in skill.artifacts:
        if artifact.is_virtual:
            continue
        if _magic(artifact) != "pyc" and artifact.path.suffix.lower() not in (".pyc", ".pyo"):
            continue
        path = artifact.path
        module = path.name.split(".")[0]
        folder = path.parent.parent if path.parent.name == "__pycache__" else path.parent
        if folder / f"{module}.py" in paths:
            continue
        yield Match(rule.id, artifact, Span(1, 1, 1, 1), f"Python bytecode {path}")


def archives(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Bundled archives by content (zip/gzip magic) or by extension (7z, rar, tar …), except
    documents that are zip containers (Office, OpenDocument, EPUB)."""
    magic = set(rule.match.get("magic", ("zip", "gzip")))
    extensions = {e.lower().lstrip(".") for e in rule.match.get("extensions", ())}
    skip = {e.lower().lstrip(".") for e in rule.match.get("exclude_extensions", ())}
    for artifact in skill.artifacts:
        content = _magic(artifact)
        if artifact.is_virtual or not content:
            continue
        name = artifact.path.name.lower()
        suffixes = [s.lstrip(".") for s in PurePosixPath(name).suffixes]
        if suffixes and suffixes[-1] in skip:
            continue
        by_magic = content in magic
        by_name = bool(suffixes) and (suffixes[-1] in extensions or ".".join(suffixes[-2:]) in extensions)
        if by_magic or by_name:
            kind = content if by_magic else suffixes[-1]
            yield Match(rule.id, artifact, Span(1, 1, 1, 1), f"{kind} archive {artifact.path}")


# --- helpers ---------------------------------------------------------------------------------


def _magic(artifact: Artifact) -> str:
    """The content kind of a binary file ('' for text). A text artifact holding NUL bytes never comes
    from the loader (it marks such files binary); it comes from in-memory skills (rule examples), so it
    is sniffed the same way."""
    if artifact.is_virtual:
        return ""
    if artifact.kind is ArtifactKind.BINARY:
        return artifact.language or ""
    head = artifact.text[:8192]
    if "\x00" in head:
        from skillscan.load import sniff_magic

        return sniff_magic(head[:64].encode("latin-1", "replace"))
    return ""


def _segments(rule: Rule, skill: Skill, artifact: Artifact) -> list[Segment]:
    """Like the regex engine, plus Markdown fences that have no virtual script (untagged or
    unknown language): those are read as text, or nothing would ever look at them."""
    from skillscan.engines.regex import segments_in_scope

    chosen = segments_in_scope(rule, artifact)
    # Fences no script artifact covers are `code_text` segments (see parse/__init__.py): blobs
    # there are read even by rules scoped to prose.
    chosen += [s for s in artifact.segments if s.kind is SegmentKind.CODE_TEXT and s not in chosen]
    return chosen


def _blobs(text: str, min_length: int) -> Iterator[tuple[int, int, str, str, str]]:
    """(start, end, encoding, verdict, preview) for each decodable run."""
    for found in _BASE64_RUN.finditer(text):
        run = found.group(0)
        if len(run) < min_length or _HEX_ONLY.fullmatch(run) or not _looks_random(run):
            continue
        media_type = _data_uri_type(text, found.start())
        if media_type is not None and not _SCRIPT_MIME.search(media_type):
            continue
        if run.startswith("eyJ") or run.startswith(_SSH_KEY_PREFIXES):
            continue
        data = _b64(run)
        if data is None:
            continue
        verdict, preview = _classify(data, 0)
        if verdict == "data" and preview.startswith("opaque") and ("_" in run or "-" in run) and len(run) < max(min_length, 200):
            continue  # long identifiers (mangled C++ names, slugs) look like base64url and decode to noise
        if verdict:
            yield found.start(), found.end(), "base64", verdict, preview
    for found in _HEX_RUN.finditer(text):
        run = found.group(1)
        if len(run) < min_length or len(set(run.lower())) < 8 or _entropy(run) < 3.0:
            continue
        verdict, preview = _classify(bytes.fromhex(run), 0, opaque_ok=False)
        if verdict:
            yield found.start(1), found.end(1), "hex", verdict, preview
    for found in _ESCAPE_RUN.finditer(text):
        run = found.group(0)
        if len(run) < min_length:
            continue
        verdict, preview = _classify(_unescape(run), 0, opaque_ok=False)
        if verdict:
            yield found.start(), found.end(), "escaped bytes", verdict, preview


def _looks_random(run: str) -> bool:
    """Base64 of real data mixes cases and digits and rarely repeats '/' like a path does."""
    body = run.rstrip("=")
    if len(set(body)) < 12 or body.count("/") > max(2, len(body) // 12):
        return False
    has = (any(c.islower() for c in body), any(c.isupper() for c in body), any(c.isdigit() for c in body))
    return sum(has) >= 2 and _entropy(body) >= 3.6


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _data_uri_type(text: str, start: int) -> str | None:
    """The media type of the data: URI a run belongs to, or None. Percent-escapes (`%2B`) split a
    URI's payload into several runs, so look back over base64/percent characters to the `base64,`."""
    line_start = text.rfind("\n", 0, start) + 1
    marker = text.rfind("base64,", line_start, start)
    if marker < 0 or _URI_BODY.fullmatch(text, marker + len("base64,"), start) is None:
        return None
    found = _DATA_URI.search(text[max(line_start, marker - 120) : marker + len("base64,")])
    if found is None:
        return None
    return found.group(1) or "text/plain"


def _b64(run: str) -> bytes | None:
    if ("-" in run or "_" in run) and ("+" in run or "/" in run):
        return None
    padded = run + "=" * (-len(run.rstrip("=")) % 4) if "=" not in run else run
    try:
        if "-" in run or "_" in run:
            return base64.urlsafe_b64decode(padded)[:_MAX_DECODED]
        return base64.b64decode(padded, validate=True)[:_MAX_DECODED]
    except (binascii.Error, ValueError):
        return None


def _unescape(run: str) -> bytes:
    out = bytearray()
    for token in re.findall(r"\\x([0-9A-Fa-f]{2})|\\u00([0-9A-Fa-f]{2})|\\([0-3][0-7]{2})", run):
        hex_x, hex_u, octal = token
        out.append(int(hex_x or hex_u, 16) if (hex_x or hex_u) else int(octal, 8))
    return bytes(out)


def _classify(data: bytes, depth: int, opaque_ok: bool = True) -> tuple[str, str]:
    """('code' | 'data' | '', preview). '' = leave alone (media, DER, hashes …)."""
    if not data or depth > _MAX_DEPTH:
        return "", ""
    if data.startswith(_EXECUTABLE_MAGIC) and len(data) >= 64:
        return "code", f"an executable ({len(data)} bytes)"
    if data.startswith(_MEDIA_MAGIC) or data[:2] in (b"\x30\x82", b"\x30\x81") or data[4:8] == b"ftyp":
        return "", ""
    inner = _decompress(data)
    if inner is not None:
        verdict, preview = _classify(inner, depth + 1, opaque_ok=True)
        return (verdict or "data"), (preview or f"compressed data ({len(inner)} bytes)")
    text = _as_text(data)
    if text is None:
        if data.startswith(b"\x00asm"):
            return "data", f"WebAssembly ({len(data)} bytes)"
        return ("data", f"opaque bytes ({len(data)} bytes)") if opaque_ok else ("", "")
    stripped = text.strip()
    nested = _BASE64_RUN.fullmatch(stripped)
    if nested and len(stripped) >= 16:
        data2 = _b64(stripped)
        if data2 is not None:
            verdict, preview = _classify(data2, depth + 1, opaque_ok)
            if verdict:
                return verdict, preview
    preview = " ".join(stripped.split())[:_PREVIEW]
    if _CODE.search(text) or _INSTRUCTION.search(text):
        return "code", preview
    return "data", preview


def _decompress(data: bytes) -> bytes | None:
    try:
        if data[:2] in (b"\x78\x9c", b"\x78\xda", b"\x78\x01", b"\x78\x5e"):
            return zlib.decompressobj().decompress(data, _MAX_DECODED)
        if data[:2] == b"\x1f\x8b":
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, _MAX_DECODED)
        if data[:3] == b"BZh":
            return bz2.BZ2Decompressor().decompress(data, _MAX_DECODED)
        if data[:6] == b"\xfd7zXZ\x00":
            return lzma.LZMADecompressor().decompress(data, _MAX_DECODED)
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError):
        return None
    return None


def _as_text(data: bytes) -> str | None:
    """UTF-8 text, or UTF-16-LE text (PowerShell -EncodedCommand payloads); None for binary."""
    if len(data) >= 8 and data[1::2].count(0) >= 0.9 * (len(data) // 2):
        try:
            text = data.decode("utf-16-le")
        except UnicodeDecodeError:
            return None
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    printable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return text if printable >= 0.95 * len(text) else None
