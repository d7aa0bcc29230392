"""Agent config files read as data: MCP server entries, hooks and settings, each with its line.

One reading serves both the inventory (`skillscan discover`) and the check rules in
`skillscan.checks.agent_settings`. Server entries are found and read exactly as the rules for
bundled MCP configs read them (`skillscan.checks.mcp_config`), so both agree on what a server
is; this module adds the precise lines (from `parse.jsonc` / `parse.tomllines`) and the hooks.

Values are kept in memory for the checks; anything shown to people goes through `redact()`.
Nothing here runs, resolves or fetches anything named in a config.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from skillscan.parse import jsonc, tomllines
from skillscan.parse.jsonc import JsonPath, Located

MAX_CONFIG_CHARS = 4 * 1024 * 1024
# Claude Code settings keys whose value is a command the client runs by itself.
HELPER_KEYS = ("apiKeyHelper", "awsAuthRefresh", "awsCredentialExport", "gcpAuthRefresh", "otelHeadersHelper")
_SECRETISH = re.compile(
    r"(?i)((?:[\w-]*(?:api[_-]?key|apikey|token|secret|password|passwd|credential|cookie)[\w-]*|\b(?:key|pwd|pass|auth|"
    r"authorization|sig|signature|session)\b)[\"']?\s*[=:]\s*[\"']?(?:(?:bearer|basic|token)\s+)?|\b(?:bearer|basic)\s+|"
    r"(?<!\S)--?[\w-]*(?:api-?key|token|secret|password|passwd|auth)[\w-]*\s+[\"']?)"
    r"(?![$%{<]|--)([^\s\"'&,;]{4,})"  # `${VAR}`, `%VAR%`, `{env:X}`, `<token>` are references, `--next` a flag
)
_SECRET_FLAG = re.compile(r"(?i)^-{1,2}(?:[\w-]*(?:api-?key|token|secret|password|passwd|auth|credential)[\w-]*|key|header|H)$")
_TOKEN = re.compile(
    r"\b(?:sk-[\w-]{12,}|sk_(?:live|test)_\w{8,}|gh[pousr]_\w{20,}|github_pat_\w{20,}|glpat-[\w-]{12,}|"
    r"xox[abprs]-[\w-]{10,}|AKIA[0-9A-Z]{16}|AIza[\w-]{30,}|npm_\w{20,}|hf_\w{20,}|eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]*)"
)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@")


@dataclass(frozen=True)
class McpServer:
    name: str
    line: int  # where the entry starts
    path: JsonPath  # the entry's place in the document
    command: tuple[str, ...]  # command + args as words
    url: str  # remote endpoint ("" for a local process)
    transport: str  # "stdio", "http", "sse", … as declared or implied
    env: tuple[tuple[str, str, int], ...]  # (name, value, line); values never leave the process unredacted
    headers: tuple[tuple[str, str, int], ...]  # (name, value, line)


@dataclass(frozen=True)
class Hook:
    event: str  # "PreToolUse", "afterFileEdit", "notify", "statusLine", "folderOpen", "apiKeyHelper" …
    kind: str  # "command", "http", "notify", "status-line", "helper", "task"
    command: str  # the command line, or the URL of an http hook
    line: int  # the line of the command (for a multi-line list: of its first element)
    parts: tuple[tuple[str, int], ...] = ()  # a list-form command's words with their lines
    matcher: str = ""


@dataclass(frozen=True)
class ConfigDoc:
    located: Located
    fmt: str  # "json" | "toml"

    @property
    def data(self) -> Any:
        return self.located.data

    def line(self, path: JsonPath) -> int:
        return self.located.line(path)

    def servers(self) -> list[McpServer]:
        return list(_servers(self))

    def hooks(self) -> list[Hook]:
        return list(_hooks(self))

    def leaves(self) -> Iterator[tuple[JsonPath, Any]]:
        """(path, scalar value) for every scalar in the document, in document order."""
        yield from _leaves(self.data, ())


def read(text: str, name: str, language: str = "") -> ConfigDoc | None:
    """Parse a JSON/JSONC/JSON5 or TOML config; None when it is neither or does not parse."""
    if len(text) > MAX_CONFIG_CHARS:
        return None
    suffix = PurePosixPath(name).suffix.lower()
    try:
        if language == "toml" or suffix == ".toml":
            return ConfigDoc(tomllines.parse(text), "toml")
        if language == "json" or suffix in (".json", ".jsonc", ".json5", ".hook"):
            return ConfigDoc(jsonc.parse(text), "json")
    except (ValueError, RecursionError):  # TOMLDecodeError and JsoncError are ValueErrors
        return None
    return None


def redact(text: str) -> str:
    """A command line or URL fit to print: values after secret-like names, known token formats
    and URL passwords are replaced by their first characters (skillscan.secrets.mask)."""
    from skillscan.secrets import mask

    text = _USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}:{mask(m.group(3))}@", text)
    text = _SECRETISH.sub(lambda m: m.group(1) + mask(m.group(2)), text)
    return _TOKEN.sub(lambda m: mask(m.group(0)), text)


def redact_words(words: Sequence[str]) -> list[str]:
    """`redact` for an argument list: a value that follows `--api-key`, `--token`, `-H` … is
    masked as a whole (unless it is a variable reference the client fills in)."""
    from skillscan.secrets import mask

    result = []
    for index, word in enumerate(words):
        follows_flag = index > 0 and bool(_SECRET_FLAG.match(words[index - 1]))
        if follows_flag and not word.startswith(("$", "${", "%")) and ":" not in word:
            result.append(mask(word))
        else:
            result.append(redact(word))
    return result


# ---------------------------------------------------------------- MCP servers


def _servers(doc: ConfigDoc) -> Iterator[McpServer]:
    from skillscan.checks import mcp_config  # one reading of "what is a server entry" for both

    for container, name, entry in mcp_config._entries(doc.data):
        path = _entry_path(doc, container, name, entry)
        try:
            words = mcp_config._server(_NO_ARTIFACT, container, name, entry).command
        except (TypeError, ValueError, AttributeError):  # e.g. Zed-style {"command": {"args": true}}: still listed
            words = []
        url = next((str(entry[k]) for k in mcp_config._URL_KEYS if isinstance(entry.get(k), str)), "")
        transport = str(entry.get("type") or entry.get("transport") or ("http" if url else "stdio"))
        yield McpServer(name, doc.line(path), path, tuple(words), url, transport,
                        _pairs(doc, path, ("env", "environment")),
                        _pairs(doc, path, ("headers", "http_headers")) or _pairs(doc, (*path, "requestInit"), ("headers",)))


def _entry_path(doc: ConfigDoc, container: JsonPath, name: str, entry: Mapping[str, Any]) -> JsonPath:
    holder = doc.located.get(container)
    if isinstance(holder, list):  # servers given as a list: find this entry's index
        index = next((i for i, item in enumerate(holder) if item is entry), 0)
        return (*container, index)
    return (*container, name)


def _pairs(doc: ConfigDoc, path: JsonPath, keys: tuple[str, ...]) -> tuple[tuple[str, str, int], ...]:
    for key in keys:
        block = doc.located.get((*path, key))
        if isinstance(block, Mapping):
            return tuple((str(k), v if isinstance(v, str) else str(v), doc.line((*path, key, str(k))))
                         for k, v in block.items() if isinstance(v, (str, int, float, bool)))
    return ()


class _NoArtifact:
    """mcp_config._server wants an artifact only to guess a line; lines come from the parser here."""

    text = ""


_NO_ARTIFACT: Any = _NoArtifact()


# ---------------------------------------------------------------- hooks


def _hooks(doc: ConfigDoc) -> Iterator[Hook]:
    data = doc.data
    if not isinstance(data, Mapping):
        return
    hooks = data.get("hooks")
    if isinstance(hooks, Mapping):  # Claude Code, Cursor, Gemini CLI, Codex, Copilot, Windsurf, Kiro agents
        for event, groups in hooks.items():
            yield from _handlers(doc, ("hooks", str(event)), groups, str(event), "", 0)
    if isinstance(data.get("when"), Mapping) and isinstance(data.get("then"), Mapping):  # Kiro IDE *.kiro.hook
        then = data["then"]
        if isinstance(then.get("command"), str):
            event = str(data["when"].get("type", "hook"))
            yield Hook(event, "command", then["command"], doc.line(("then", "command")))
    status = data.get("statusLine")
    if isinstance(status, Mapping) and isinstance(status.get("command"), str):
        yield Hook("statusLine", "status-line", status["command"], doc.line(("statusLine", "command")))
    notify = data.get("notify")
    if isinstance(notify, list) and notify and all(isinstance(w, str) for w in notify):  # Codex
        parts = tuple((w, doc.line(("notify", i))) for i, w in enumerate(notify))
        yield Hook("notify", "notify", shlex.join(notify), parts[0][1], parts)
    for key in HELPER_KEYS:
        if isinstance(data.get(key), str):
            yield Hook(key, "helper", data[key], doc.line((key,)))
    tasks = data.get("tasks")
    if isinstance(tasks, list):  # VS Code tasks.json: a task that runs when the folder is opened
        for index, task in enumerate(tasks):
            if not isinstance(task, Mapping) or not isinstance(task.get("runOptions"), Mapping):
                continue
            if task["runOptions"].get("runOn") == "folderOpen" and isinstance(task.get("command"), str):
                raw_args = task.get("args")
                args = [str(a) for a in raw_args if isinstance(a, (str, int, float))] if isinstance(raw_args, list) else []
                command = " ".join([task["command"], *args])
                yield Hook("folderOpen", "task", command, doc.line(("tasks", index, "command")))


def _handlers(doc: ConfigDoc, path: JsonPath, node: Any, event: str, matcher: str, depth: int) -> Iterator[Hook]:
    """Every command or http handler below one event, whatever the client's nesting."""
    if depth > 8:
        return
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _handlers(doc, (*path, index), item, event, matcher, depth + 1)
        return
    if not isinstance(node, Mapping):
        return
    matcher = str(node.get("matcher", matcher) or matcher)
    kind = str(node.get("type", "command"))
    for key in ("command", "bash", "powershell", "linux", "osx", "windows"):  # Copilot: bash / powershell
        value = node.get(key)
        if isinstance(value, str):
            yield Hook(event, "command", value, doc.line((*path, key)), matcher=matcher)
        elif isinstance(value, list) and value and all(isinstance(w, str) for w in value):
            parts = tuple((w, doc.line((*path, key, i))) for i, w in enumerate(value))
            yield Hook(event, "command", shlex.join(value), parts[0][1], parts, matcher)
    if kind == "http" and isinstance(node.get("url"), str):
        yield Hook(event, "http", node["url"], doc.line((*path, "url")), matcher=matcher)
    for key, value in node.items():
        if isinstance(value, (list, Mapping)) and key not in ("command", "env", "headers"):
            yield from _handlers(doc, (*path, str(key)), value, event, matcher, depth + 1)


def _leaves(node: Any, path: JsonPath, depth: int = 0) -> Iterator[tuple[JsonPath, Any]]:
    if depth > 64:
        return
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _leaves(value, (*path, str(key)), depth + 1)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index), depth + 1)
    else:
        yield path, node
