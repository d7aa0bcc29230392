"""Raw public IP addresses used as network destinations (C04 structural indicator).

A URL whose host is a literal public IP address skips DNS, the one place a defender can see and
block where traffic goes; malware also writes IPv4 addresses in decimal, hex or octal
(`http://0x2d3d0a07/`, `http://758975239/`) so that they do not look like addresses at all.
Private, loopback, link-local, CGNAT, documentation and reserved ranges are never reported, nor are
well-known public DNS resolvers (DNS-over-HTTPS URLs).

Options (read from the rule's `match`):
    transfer: true   # only lines that download, upload, send or execute (curl, requests, fetch …)
    transfer: false  # only the other lines (so the two rules never report the same line twice)
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from skillscan.model import Artifact, ArtifactKind, Match, SegmentKind, Skill
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex

_URL = re.compile(
    r"(?i)\b(?:https?|ftps?|wss?|tcp|udp|smb|rtsp|ldaps?|gopher)://(?:[^\s/@\"'<>]*@)?"
    r"(?P<host>\[[0-9a-f:.]+\]|[0-9a-fx.]+?)(?::\d{1,5})?(?=[/\s\"'<>),;?#\]}`|\\]|$)"
)
# A dotted quad right after a transfer command, without a scheme: `curl 45.61.10.7:8080/x`.
_BARE = re.compile(
    r"(?i)(?:\b(?:curl|wget|nc|ncat|netcat|socat|telnet|iwr|irm|invoke-webrequest|invoke-restmethod|scp|rsync)\b"
    r"[^\n|;&]*?[\s\"'@]|"
    # socket-style literals: connect(("45.1.2.3", 4444)), {host: "45.1.2.3"}, host="45.1.2.3"
    r"\(\s*[\"']|\b(?:host|hostname|server|addr|address|ip|rhost|lhost)\s*[:=]\s*[\"'])"
    r"(?P<host>\d{1,3}(?:\.\d{1,3}){3})(?=[:/\s\"']|$)"
)
_TRANSFER = re.compile(
    r"(?i)(\bcurl\b|\bwget\b|\bfetch\s*\(|\brequests\.|\bhttpx\.|\burllib|\burlopen\b|\baiohttp\b|\baxios\b|"
    r"\bhttps?\.(?:get|request)\b|\binvoke-(?:webrequest|restmethod|expression)\b|\biwr\b|\birm\b|\biex\b|"
    r"downloadstring|downloadfile|\bwebclient\b|start-bitstransfer|\bcertutil\b|\bbitsadmin\b|\bnc\b|\bncat\b|"
    r"\bsocat\b|\bscp\b|\brsync\b|\bgit\s+clone\b|\bpip3?\s+install\b|\bnpm\s+(?:install|i)\b|\|\s*(?:ba)?sh\b|"
    r"\bexec\b|\beval\b|\bsubprocess\b|\bos\.system\b|\bsocket\b|\bconnect\s*\(|"
    r"\b(?:download|fetch|upload|send|post|run|execute|install|pipe|beacon|exfiltrate|connect)\b)"
)
_WELL_KNOWN = frozenset({
    "1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4", "9.9.9.9", "149.112.112.112", "208.67.222.222",
    "208.67.220.220", "94.140.14.14", "94.140.15.15",
})
_PROSE_SEGMENTS = frozenset(SegmentKind) - {SegmentKind.CODE_FENCE}
_DIGIT = re.compile(r"\d")


def public_ip_urls(rule: Rule, skill: Skill) -> Iterator[Match]:
    """URLs (and transfer commands) whose host is a literal public IP address."""
    transfer = rule.match.get("transfer")
    for artifact in skill.artifacts:
        if artifact.kind is ArtifactKind.BINARY or not artifact.text or not rule.applies_to.covers(artifact):
            continue
        if not _DIGIT.search(artifact.text):  # no digit, no address
            continue
        index = LineIndex(artifact.text)
        seen: set[int] = set()
        for segment in _segments(rule, artifact):
            patterns = (_URL, _BARE) if transfer is not False else (_URL,)
            for pattern in patterns:
                for found in pattern.finditer(segment.text):
                    start = segment.start_offset + found.start()
                    if start in seen:
                        continue
                    host = found.group("host")
                    address, encoded = parse_host(host)
                    if address is None or not is_public(address):
                        continue
                    line, _ = index.position(start)
                    moving = bool(_TRANSFER.search(index.line_text(line)))
                    if transfer is not None and moving != bool(transfer):
                        continue
                    seen.add(start)
                    evidence = found.group(0) if pattern is _URL else host
                    if pattern is _BARE:
                        start = segment.start_offset + found.start("host")
                    note = f"{host} is {address}" if encoded else ""
                    yield Match(rule.id, artifact, index.span(start, start + len(evidence)), evidence,
                                {"ip": str(address)}, note=note)


def parse_host(host: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address | None, bool]:
    """(address, written in an unusual form) for a URL host; (None, False) when not an IP literal."""
    if host.startswith("["):
        try:
            return ipaddress.IPv6Address(host.strip("[]")), False
        except ValueError:
            return None, False
    parts = host.rstrip(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None, False
    values: list[int] = []
    unusual = len(parts) != 4
    for part in parts:
        lowered = part.lower()
        try:
            if lowered.startswith("0x"):
                value, unusual = int(lowered[2:] or "0", 16), True
            elif len(lowered) > 1 and lowered.startswith("0"):
                value, unusual = int(lowered, 8), True
            else:
                value = int(lowered, 10)
        except ValueError:
            return None, False
        values.append(value)
    # inet_aton: the last part fills the remaining bytes.
    number = 0
    for value in values[:-1]:
        if value > 255:
            return None, False
        number = number * 256 + value
    remaining = 4 - (len(values) - 1)
    if values[-1] >= 256 ** remaining:
        return None, False
    number = number * (256 ** remaining) + values[-1]
    if len(parts) == 1 and number < 2 ** 24:
        return None, False  # a bare small number (a port, a year) is not an address
    return ipaddress.IPv4Address(number), unusual


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast and str(address) not in _WELL_KNOWN


def _segments(rule: Rule, artifact: Artifact):  # type: ignore[no-untyped-def]
    wanted = rule.applies_to.segments or _PROSE_SEGMENTS
    return [s for s in artifact.segments if s.kind in wanted or s.kind is SegmentKind.WHOLE]
