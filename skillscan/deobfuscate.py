"""Decode encoded layers (design rule 2) so every rule can rescan what they hide.

Candidates: base64 (standard and URL-safe), base32, hex (plain and `\\x..`), percent-encoding,
HTML entities, `\\u`/`\\x` escapes, rot13 (only where the text itself asks for rot13), and zlib /
gzip / bz2 payloads inside base64 or hex. A layer is kept only when it decodes to readable text;
layers are decoded again up to MAX_DEPTH, with size and count caps so a decompression bomb or a
file full of blobs cannot stall the scan. Nothing decoded is ever executed.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import codecs
import gzip
import html
import io
import re
import urllib.parse
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

MAX_DEPTH = 3
MAX_LAYERS_PER_FILE = 64
MAX_DECODED_BYTES = 256 * 1024
_MIN_PRINTABLE = 0.85

_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])([A-Za-z0-9+/]{24,}={0,2}|[A-Za-z0-9_-]{24,}={0,2})(?![A-Za-z0-9+/=_-])")
_BASE32 = re.compile(r"(?<![A-Z2-7=])([A-Z2-7]{24,}={0,6})(?![A-Z2-7=])")
_HEX = re.compile(r"(?<![0-9A-Fa-f])((?:[0-9A-Fa-f]{2}){16,})(?![0-9A-Fa-f])")
_ESCAPED_HEX = re.compile(r"((?:\\x[0-9A-Fa-f]{2}){8,})")
_ESCAPED_UNICODE = re.compile(r"((?:\\u[0-9A-Fa-f]{4}){6,})")
_PERCENT = re.compile(r"((?:%[0-9A-Fa-f]{2}[^%\s\"']{0,3}){6,})")
_ENTITIES = re.compile(r"((?:&#(?:x[0-9A-Fa-f]{1,6}|[0-9]{1,7});){6,})")
_ROT13_HINT = re.compile(r"(?i)rot[_-]?13|tr\s+['\"]?a-za-z['\"]?\s+['\"]?n-za-mn-za-m")
_QUOTED = re.compile(r"""(["'])([^"'\n]{12,})\1""")


@dataclass(frozen=True)
class Layer:
    offset: int  # where the encoded text starts in the source text
    length: int
    encoding: str  # e.g. "base64", "base64+zlib", "hex"
    text: str  # decoded content


def layers(text: str, depth: int = 1) -> Iterator[Layer]:
    """Decoded layers of `text`, nested layers flattened (their offset is the outermost one)."""
    count = 0
    for layer in _decode_all(text):
        yield layer
        count += 1
        if depth < MAX_DEPTH:
            for inner in layers(layer.text, depth + 1):
                yield Layer(layer.offset, layer.length, f"{layer.encoding}>{inner.encoding}", inner.text)
                count += 1
        if count >= MAX_LAYERS_PER_FILE:
            return


def _decode_all(text: str) -> Iterator[Layer]:
    seen: set[tuple[int, int]] = set()
    finders = (
        (_ESCAPED_HEX, _unescape_hex, "hex-escape"),
        (_ESCAPED_UNICODE, _unescape_unicode, "unicode-escape"),
        (_ENTITIES, html.unescape, "html-entities"),
        (_PERCENT, urllib.parse.unquote, "percent"),
        (_HEX, _hex, "hex"),
        (_BASE32, _base32, "base32"),
        (_BASE64, _base64, "base64"),
    )
    for pattern, decoder, name in finders:
        for found in pattern.finditer(text):
            span = found.span(1)
            if any(start <= span[0] < end for start, end in seen):
                continue
            decoded = _safe(decoder, found.group(1))
            if decoded is None:
                continue
            encoding, content = decoded if isinstance(decoded, tuple) else (name, decoded)
            if _readable(content) and content.strip() != found.group(1).strip():
                seen.add(span)
                yield Layer(span[0], span[1] - span[0], encoding if name == "base64" or name == "hex" else name, content)
    if _ROT13_HINT.search(text):
        for found in _QUOTED.finditer(text):
            decoded = codecs.decode(found.group(2), "rot13")
            if decoded != found.group(2):
                yield Layer(found.start(2), len(found.group(2)), "rot13", decoded)


def _safe(decoder, value: str):  # type: ignore[no-untyped-def]
    try:
        return decoder(value)
    except (ValueError, binascii.Error, UnicodeDecodeError, zlib.error, OSError, EOFError):
        return None


def _base64(value: str) -> tuple[str, str] | None:
    padded = value + "=" * (-len(value) % 4)
    raw = base64.urlsafe_b64decode(padded) if ("-" in value or "_" in value) else base64.b64decode(padded, validate=True)
    return _bytes_to_text(raw, "base64")


def _base32(value: str) -> tuple[str, str] | None:
    return _bytes_to_text(base64.b32decode(value + "=" * (-len(value) % 8)), "base32")


def _hex(value: str) -> tuple[str, str] | None:
    return _bytes_to_text(bytes.fromhex(value), "hex")


def _unescape_hex(value: str) -> str:
    return bytes.fromhex(value.replace("\\x", "")).decode("utf-8")


def _unescape_unicode(value: str) -> str:
    return "".join(chr(int(part, 16)) for part in value.split("\\u") if part)


def _bytes_to_text(raw: bytes, encoding: str) -> tuple[str, str] | None:
    """Text of decoded bytes, decompressing zlib / gzip / bz2 payloads (bounded)."""
    for magic, name, opener in ((b"\x1f\x8b", "gzip", _gunzip), (b"BZh", "bz2", _bunzip), (b"x", "zlib", _inflate)):
        if raw.startswith(magic):
            inflated = _safe(opener, raw)  # type: ignore[arg-type]
            if inflated is not None:
                return f"{encoding}+{name}", inflated
    return encoding, raw.decode("utf-8")


def _inflate(raw: bytes) -> str:
    decompressor = zlib.decompressobj()
    data = decompressor.decompress(raw, MAX_DECODED_BYTES)
    return data.decode("utf-8")


def _gunzip(raw: bytes) -> str:
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as handle:
        return handle.read(MAX_DECODED_BYTES).decode("utf-8")


def _bunzip(raw: bytes) -> str:
    decompressor = bz2.BZ2Decompressor()
    return decompressor.decompress(raw, MAX_DECODED_BYTES).decode("utf-8")


def _readable(text: str) -> bool:
    if len(text) < 8:
        return False
    printable = sum(1 for c in text if c.isprintable() or c in "\n\t\r")
    letters = sum(1 for c in text if c.isalpha())
    return printable / len(text) >= _MIN_PRINTABLE and letters / len(text) >= 0.3
