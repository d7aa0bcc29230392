"""`allow_hosts`, an engine-agnostic rule option: drop a match whose every URL goes to an
allowed host (or host/path prefix), e.g. vendor installers for download-and-run rules.

Hosts are compared as parsed hosts, never as substrings: `https://evil.top/?sh.rustup.rs` is
not rustup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

_URL = re.compile(r"(?i)\bhttps?://[^\s\"'`)<>|;]+…?")


def all_urls_allowed(text: str, allowed: Sequence[str]) -> bool:
    # URLs cut short in an engine's note ("https://raw.githubusercontent.com/Home…") are repeats
    # of the evidence, not other destinations.
    urls = [url for url in _URL.findall(text) if not url.endswith("…")]
    return bool(urls) and all(_allowed(url, allowed) for url in urls)


def _allowed(url: str, allowed: Sequence[str]) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower().rstrip(".")
    location = host + parts.path.lower()  # GitHub org/repo paths are case-insensitive
    for entry in allowed:
        entry = entry.lower()
        if "/" in entry:
            if location == entry or location.startswith(entry.rstrip("/") + "/"):
                return True
        elif host == entry or host.endswith("." + entry):
            return True
    return False
