"""Agent control surfaces, hashed: each client's MCP server entries and its hook / permission /
env settings (files from clients.py). Values are never stored, only a keyed hash of each entry,
so a lockfile can be shared without leaking the API keys that live in these files.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillscan import clients

MAX_CONFIG_BYTES = 8 * 1024 * 1024
# Top-level keys of mcp files that hold server maps (Claude/Cursor/Gemini/…, VS Code, Codex, OpenCode, Amp, Zed).
_SERVER_KEYS = ("mcpServers", "servers", "mcp_servers", "mcp", "amp.mcpServers", "context_servers")
# Settings keys that decide what runs or what is allowed; the rest (UI, model …) churns harmlessly.
_SETTING_KEY = re.compile(r"hook|permission|env|approv|allow|deny|trust|sandbox|mcp|plugin|command|"
                          r"tool|skill|task|notify|helper|shell|exec|autorun|security|policy", re.I)
_SPLIT_KEYS = frozenset({"hooks", "permissions", "permission", "env", "mcpServers", "enabledPlugins"})


@dataclass(frozen=True)
class SurfaceRecord:
    client: str
    scope: str
    kind: str  # "mcp" | "settings"
    path: str  # absolute
    key: str  # e.g. "mcpServers/github", "hooks/PreToolUse", "(file)" when unparsable
    digest: str

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.path, self.kind, self.key)

    def to_json(self) -> dict[str, str]:
        return {"client": self.client, "scope": self.scope, "kind": self.kind, "path": self.path,
                "key": self.key, "digest": self.digest}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SurfaceRecord:
        return cls(*(str(data[k]) for k in ("client", "scope", "kind", "path", "key", "digest")))


def collect(home: Path, project: Path, salt: bytes) -> dict[tuple[str, str, str], SurfaceRecord]:
    found: dict[tuple[str, str, str], SurfaceRecord] = {}
    wanted = (clients.SurfaceKind.MCP_CONFIG, clients.SurfaceKind.SETTINGS)
    for location in clients.CLIENTS:
        if location.kind not in wanted:
            continue
        kind = "mcp" if location.kind is clients.SurfaceKind.MCP_CONFIG else "settings"
        for path in clients.expand(location, home, project):
            for key, value_digest in entries(path, location.fmt, kind, salt):
                record = SurfaceRecord(location.client, str(location.scope), kind, str(path), key, value_digest)
                found.setdefault(record.ident, record)
    return found


def in_scope(record: SurfaceRecord, home: Path, project: Path) -> bool:
    return record.path.startswith(str(project if record.scope == "project" else home))


def entries(path: Path, fmt: str, kind: str, salt: bytes) -> Iterator[tuple[str, str]]:
    raw = read_config(path)
    if raw is None:
        return
    data = parse(raw, fmt)
    if data is None:
        yield "(file)", keyed_hash(salt, raw)  # unparsable: any change still shows
        return
    if not isinstance(data, dict):
        yield "(document)", keyed_hash(salt, canonical(data))
        return
    if kind == "mcp":
        yield from _servers(data, "", salt)
        projects = data.get("projects")  # ~/.claude.json keeps per-project servers here
        if isinstance(projects, dict):
            for name, body in projects.items():
                if isinstance(body, dict):
                    yield from _servers(body, f"projects/{name}/", salt)
        return
    for key, value in data.items():
        if not _SETTING_KEY.search(key):
            continue
        if key in _SPLIT_KEYS and isinstance(value, dict) and value:
            for sub, sub_value in value.items():
                yield f"{key}/{sub}", keyed_hash(salt, canonical(sub_value))
        else:
            yield key, keyed_hash(salt, canonical(value))


def _servers(data: Mapping[str, Any], prefix: str, salt: bytes) -> Iterator[tuple[str, str]]:
    for key in _SERVER_KEYS:
        servers = data.get(key)
        if isinstance(servers, dict):
            for name, entry in servers.items():
                yield f"{prefix}{key}/{name}", keyed_hash(salt, canonical(entry))


def read_config(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_CONFIG_BYTES:
            return None  # never read FIFOs or giant files
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(MAX_CONFIG_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def parse(raw: bytes, fmt: str) -> Any:
    import tomllib  # lazily: verify of skills alone never needs it

    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        if fmt == "toml":
            return tomllib.loads(text)
        if fmt in ("json", "jsonc"):
            try:
                return json.loads(text)
            except ValueError:
                # Comments, trailing commas, JSON5: the scanner's reader, which knows where strings
                # are (a "…, }" inside a string is content, not a trailing comma).
                from skillscan.parse import jsonc

                return jsonc.parse(text).data
    except (ValueError, tomllib.TOMLDecodeError, RecursionError):  # RecursionError: "[[[[…" a million deep
        return None
    return None


def canonical(value: Any) -> bytes:
    # surrogatepass: a lone surrogate (json.loads makes one of a "\udcff" escape) is hashed as its
    # own bytes instead of failing; every other string encodes as before, so digests are unchanged.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8", "surrogatepass")


def keyed_hash(salt: bytes, data: bytes) -> str:
    return "hmac-sha256:" + hmac.new(salt, data, hashlib.sha256).hexdigest()
