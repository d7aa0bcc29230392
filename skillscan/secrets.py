"""Secret masking: one home for how a secret value is shown in any output."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from functools import lru_cache

VISIBLE_PREFIX = 4
# A piece of a known secret this long is masked too: a snippet cut short, a token split over a
# line continuation. Shorter pieces carry too little of a secret to matter.
MIN_FRAGMENT = 12
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_+/=.~-]")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]+=*")
_HEX_RUN = re.compile(r"[0-9A-Fa-f]+")


def mask(secret: str) -> str:
    """First four characters and an ellipsis: enough to recognise the key, useless to an attacker."""
    secret = secret.strip()
    if len(secret) <= VISIBLE_PREFIX * 2:
        return "****"
    return secret[:VISIBLE_PREFIX] + "…"


def mask_known(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret value in `text` by its mask (longest first); also what is left
    of one where `text` cuts it (a truncated snippet, a line continuation), and its base64 or hex
    encoding (the line a decoded-layer finding points at)."""
    for secret in sorted(secrets, key=len, reverse=True):
        if not secret:
            continue
        if secret in text:
            text = text.replace(secret, mask(secret))
        if len(secret) >= MIN_FRAGMENT and not any(c.isspace() for c in secret):
            text = _mask_fragments(text, secret)
            text = _mask_encoded(text, secret)
    return text


def _mask_fragments(text: str, secret: str) -> str:
    """A prefix of `secret` that ends where the token in `text` ends, or a suffix that starts
    where it starts (at least MIN_FRAGMENT characters): the secret, cut."""
    head, tail = secret[:MIN_FRAGMENT], secret[-MIN_FRAGMENT:]
    if head not in text and tail not in text:
        return text
    cuts: list[tuple[int, int, str]] = []
    start = text.find(head)
    while start >= 0:
        end = start + MIN_FRAGMENT
        while end < len(text) and end - start < len(secret) and text[end] == secret[end - start]:
            end += 1
        if end >= len(text) or not _TOKEN_CHAR.match(text[end]):
            cuts.append((start, end, mask(secret).rstrip("…") if text[end:end + 1] == "…" else mask(secret)))
        start = text.find(head, end)
    start = text.find(tail)
    while start >= 0:
        end, begin = start + MIN_FRAGMENT, start
        while begin > 0 and len(secret) - (end - begin) > 0 and text[begin - 1] == secret[len(secret) - (end - begin) - 1]:
            begin -= 1
        if (begin == 0 or not _TOKEN_CHAR.match(text[begin - 1])) and not any(b < end and begin < e for b, e, _ in cuts):
            cuts.append((begin, end, "…"))
        start = text.find(tail, end)
    for begin, end, replacement in sorted(cuts, reverse=True):
        text = text[:begin] + replacement + text[end:]
    return text


def _mask_encoded(text: str, secret: str) -> str:
    """The whole base64 or hex token of `text` that encodes `secret` (at any byte alignment)."""
    for core, run in _encodings(secret):
        found = text.find(core)
        while found >= 0:
            token = next((m for m in run.finditer(text) if m.start() <= found < m.end()), None)
            if token is None:
                break
            text = text[: token.start()] + mask(token.group(0)) + text[token.end() :]
            found = text.find(core)
    return text


@lru_cache(maxsize=1024)
def _encodings(secret: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Substrings every base64 (standard or URL-safe, any of the 3 byte alignments) or hex
    encoding of a text containing `secret` contains."""
    raw = secret.encode("utf-8", "replace")
    forms: list[tuple[str, re.Pattern[str]]] = [(raw.hex(), _HEX_RUN), (raw.hex().upper(), _HEX_RUN)]
    for align in range(3):
        encoded = base64.b64encode(b"\0" * align + raw).decode("ascii")
        core = encoded[4 : 4 * ((align + len(raw)) // 3)]  # the groups made of the secret's bytes only
        if len(core) >= MIN_FRAGMENT:
            forms += [(core, _BASE64_RUN), (core.replace("+", "-").replace("/", "_"), _BASE64_RUN)]
    return tuple(dict.fromkeys(forms))
