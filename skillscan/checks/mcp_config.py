"""MCP server launch configurations bundled in a skill (C13, server configuration).

A skill can ship `.mcp.json`, `mcp.json`, `claude_desktop_config.json`, VS Code `servers`,
Codex `[mcp_servers.*]` TOML, Gemini `settings.json`, OpenCode `mcp` blocks, or show them in
code fences, and it can tell the agent to run `claude mcp add …` / `codex mcp add …` /
`gemini mcp add …`. Regexes over multi-line JSON arrays are brittle, so this module parses the
configuration (lenient JSON: comments and trailing commas allowed; TOML; YAML without anchors)
and looks at each server entry: its `command` + `args`, `url`, `headers`, and the trust
switches around it. Each public function is one rule; all of them share `servers()`.

Options read from the rule's `match`:
    keywords: [host, …]   # mcp_config.insecure_remote: tunnel / exfil hosts ({{list:…}} expands here)

Nothing is executed or fetched; a file that does not parse is skipped (see known_problems).
"""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from skillscan.model import Artifact, ArtifactKind, Match, Skill
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex

MAX_CONFIG_CHARS = 512 * 1024
_CONTAINER_KEY = re.compile(r"(?i)(mcp|context_servers|^servers$)")
_URL_KEYS = ("url", "serverUrl", "server_url", "httpUrl", "http_url", "uri", "endpoint", "sseUrl", "baseUrl")
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "ash", "fish", "cmd", "powershell", "pwsh"})
_DOWNLOAD = re.compile(
    r"(?i)\b(?:curl|wget|iwr|irm|invoke-webrequest|invoke-restmethod|start-bitstransfer|certutil)\b|"
    r"downloadstring|downloadfile|net\.webclient|\bfetch\s*\(|urlopen|https?://|"
    r"base64\s+(?:-d|--decode|-D)|frombase64string|\|\s*(?:ba|z|da)?sh\b|\|\s*iex\b|invoke-expression|\biex\b"
)
_ENCODED_FLAGS = frozenset({"-enc", "-encodedcommand", "-e", "-ec"})
_EXACT_NPM = re.compile(r"^(?:@[\w.-]+/)?[\w.-]+@v?\d+\.\d+\.\d+(?:[-+][\w.-]+)?$")
_EXACT_PY = re.compile(r"^[A-Za-z0-9_.\[\],-]+(?:==|@)v?\d+(?:\.\d+)+(?:[-+.]?[\w.]+)?$")
_REMOTE_SPEC = re.compile(r"(?i)^(?:git\+|github:|gitlab:|bitbucket:|https?://|git@|file:)|\.(?:tgz|tar\.gz|whl|zip)$")
_OFFICIAL = re.compile(r"^@modelcontextprotocol/|^mcp-server-(?:fetch|git|time|sqlite|everything|memory|filesystem)\b")
_TEMP_PATH = re.compile(
    r"(?i)^(?:[\"']?)(?:/tmp/|/var/tmp/|/dev/shm/|/private/tmp/|/private/var/tmp/|/users/shared/|"
    r"\$\{?tmpdir\}?[/\\]|%te?mp%[/\\]|\$env:te?mp[/\\]|c:[/\\]+windows[/\\]+temp[/\\]|"
    r"c:[/\\]+users[/\\]+public[/\\]|c:[/\\]+temp[/\\]|c:[/\\]+programdata[/\\]+temp[/\\])"
)
_PLACEHOLDER = re.compile(r"(?i)\$\{|\$[A-Z_]|%[A-Z_]+%|<[^>]*>|\{\{|your|xxx|\.\.\.|placeholder|example|changeme|token_here|\*\*\*")
_PLACEHOLDER_HOST = re.compile(r"(?i)(?:^|\.)example\.(?:com|org|net)$|\.example$|\.invalid$|[<>{}$%*]|your|xxx|placeholder")
_PRIVATE_SUFFIXES = (".local", ".lan", ".internal", ".home.arpa", ".localhost", ".test")
_LOOPBACK_NAMES = frozenset({"localhost", "host.docker.internal", "0.0.0.0", "::", "[::]", "ip6-localhost"})
_DOCKER_DANGER = re.compile(
    r"(?i)^--privileged(?:=true)?$|^--cap-add(?:=|$)(?:all|sys_admin|sys_ptrace|sys_module)?|^--pid(?:=|$)host|"
    r"^--security-opt(?:=|$)(?:seccomp|apparmor)[:=]unconfined"
)
_DOCKER_MOUNT = re.compile(
    r"(?i)^(?:/|~|\$home|\$\{home\}|/home|/users|/root|/etc|/var/run/docker\.sock|/run/docker\.sock|"
    r"~/\.ssh|\$home/\.ssh|~/\.aws|\$home/\.aws|c:\\\\?|c:/)/?:"
)
_CLI_ADD = re.compile(r"(?i)\b(claude|codex|gemini|qwen|cursor-agent|amp|opencode)\s+mcp\s+(add-json|add)\s+(.+)$")
_TRUE = (True, "true", "True", "yes", 1)


@dataclass
class Server:
    name: str
    artifact: Artifact
    entry: Mapping[str, Any]
    command: list[str] = field(default_factory=list)  # command + args, as words
    urls: list[str] = field(default_factory=list)
    line: int = 1  # where the entry starts in the artifact (1-based)
    cli: bool = False  # from a `… mcp add` command line


# ---------------------------------------------------------------- rules


def shell_download(rule: Rule, skill: Skill) -> Iterator[Match]:
    """A server launched through `bash -c` / `cmd /c` / `powershell -c` whose script downloads,
    decodes or pipes into a shell."""
    for server in servers(skill):
        script = _inline_script(server.command)
        if script is not None and (_DOWNLOAD.search(script) or _encoded(server.command)):
            yield _match(rule, server, script or " ".join(server.command), f"server {server.name!r} runs: {_short(script or ' '.join(server.command))}")


def shell_wrapper(rule: Rule, skill: Skill) -> Iterator[Match]:
    """A server launched through a shell with an inline script (no download seen)."""
    for server in servers(skill):
        script = _inline_script(server.command)
        if script is not None and not (_DOWNLOAD.search(script) or _encoded(server.command)):
            yield _match(rule, server, script, f"server {server.name!r} runs a shell script: {_short(script)}")


def unpinned_launcher(rule: Rule, skill: Skill) -> Iterator[Match]:
    """`npx -y pkg`, `uvx pkg`, `pipx run pkg`, `bunx pkg` … without an exact version.

    `official: true` reports only the reference servers (@modelcontextprotocol/*), `official:
    false` only the others."""
    want_official = bool(rule.match.get("official", False))
    for server in servers(skill):
        spec = _unpinned_spec(server.command)
        if spec is None or bool(_OFFICIAL.search(spec)) != want_official:
            continue
        launcher = " ".join(server.command[:3])
        yield _match(rule, server, spec, f"server {server.name!r} runs {spec!r} unpinned via {_short(launcher, 40)}")


def temp_path(rule: Rule, skill: Skill) -> Iterator[Match]:
    """The server program (or the script an interpreter runs) lives in /tmp or another
    world-writable folder."""
    for server in servers(skill):
        for word in _program_words(server.command):
            if _TEMP_PATH.match(word):
                yield _match(rule, server, word, f"server {server.name!r} runs {word} from a world-writable folder")
                break


def insecure_remote(rule: Rule, skill: Skill) -> Iterator[Match]:
    """A remote server over plain http:// / ws:// to a public host, at a raw public IP, or
    behind a tunnel / capture host."""
    hosts = tuple(h.lower() for h in rule.match.get("keywords", ()))
    for server in servers(skill):
        for url in server.urls:
            problem = _remote_problem(url, hosts)
            if problem:
                yield _match(rule, server, url, f"server {server.name!r} connects to {url} ({problem})")
                break


def literal_bearer(rule: Rule, skill: Skill) -> Iterator[Match]:
    """`headers: {Authorization: "Bearer <literal>"}` (or `--header` in args) in a server entry."""
    for server in servers(skill):
        for value in _header_values(server):
            found = re.search(r"(?i)\bbearer\s+([^\s\"']{12,})", value)
            if found and not _PLACEHOLDER.search(found.group(1)):
                yield _match(rule, server, found.group(1), f"server {server.name!r} sends a literal bearer token")
                break


def auto_approve(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Switches that let servers or their tools run without the user's approval."""
    for artifact, data in _configs(skill):
        for path, key, value in _walk(data):
            lowered = key.lower()
            hit = None
            if lowered == "enableallprojectmcpservers" and value in _TRUE:
                hit = f"{key}: true approves every server in the project's .mcp.json"
            elif lowered == "enabledmcpjsonservers" and isinstance(value, list) and value:
                hit = f"{key} pre-approves {', '.join(map(str, value[:5]))}"
            elif lowered in ("alwaysallow", "autoapprove", "auto_approve", "always_allow") and (
                (isinstance(value, list) and value) or value in _TRUE
            ):
                hit = f"{key} lets tools run without asking: {_short(json.dumps(value), 80)}"
            elif lowered == "trust" and value in _TRUE and _under_mcp(path):
                hit = "trust: true skips every tool-call confirmation for this server"
            if hit:
                line = _line_of(artifact.text, [*path, key])
                yield Match(rule.id, artifact, _line_span(artifact, line), f"{key}", note=hit)


def privileged_container(rule: Rule, skill: Skill) -> Iterator[Match]:
    """A server run as `docker run --privileged`, with host PID, or with the host root, home,
    SSH keys or Docker socket mounted."""
    for server in servers(skill):
        words = server.command
        if not words or _base(words[0]) not in ("docker", "podman", "nerdctl"):
            continue
        for index, word in enumerate(words):
            mount = None
            if word in ("-v", "--volume", "--mount") and index + 1 < len(words):
                mount = words[index + 1]
            elif word.startswith(("--volume=", "-v=")):
                mount = word.split("=", 1)[1]
            if _DOCKER_DANGER.search(word) or (mount and _DOCKER_MOUNT.search(mount.replace("source=", "").replace("src=", ""))):
                yield _match(rule, server, word if not mount else mount,
                             f"server {server.name!r} container gets host access: {_short(word if not mount else mount)}")
                break


# ---------------------------------------------------------------- server discovery


def servers(skill: Skill) -> list[Server]:
    found: list[Server] = []
    for artifact, data in _configs(skill):
        for path, name, entry in _entries(data):
            found.append(_server(artifact, path, name, entry))
    for artifact in skill.artifacts:
        if artifact.kind is ArtifactKind.BINARY or not artifact.text or "mcp" not in artifact.text.lower():
            continue
        if artifact.kind is ArtifactKind.CONFIG:
            continue
        found.extend(_cli_servers(artifact))
    return found


def _configs(skill: Skill) -> Iterator[tuple[Artifact, Any]]:
    for artifact in skill.artifacts:
        if artifact.kind is not ArtifactKind.CONFIG or not artifact.text or len(artifact.text) > MAX_CONFIG_CHARS:
            continue
        data = parse_config(artifact.text, artifact.language or "", artifact.path)
        if data is not None:
            yield artifact, data
    host = next((a for a in skill.artifacts if a.kind is ArtifactKind.SKILL_MD and not a.is_virtual), None)
    if host is not None and isinstance(skill.manifest, Mapping) and any(_CONTAINER_KEY.search(str(k)) for k in skill.manifest):
        yield host, dict(skill.manifest)


def parse_config(text: str, language: str, path: PurePosixPath) -> Any:
    lowered = text.lower()
    if not any(k in lowered for k in ("command", "url", "alwaysallow", "autoapprove", "trust", "enableallprojectmcpservers",
                                      "enabledmcpjsonservers", "auto_approve")):
        return None
    if language == "json" or path.suffix.lower() in (".json", ".jsonc", ".json5"):
        return _lenient_json(text)
    if language == "toml":
        import tomllib

        try:
            return tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError, RecursionError):
            return None
    if language == "yaml":
        if re.search(r"(?m)(^|\s)[&*][A-Za-z0-9_-]+", text) or "!!" in text:
            return None  # anchors/aliases/tags: not worth the alias-bomb risk here
        import yaml

        try:
            return yaml.safe_load(text)
        except (yaml.YAMLError, RecursionError, ValueError):
            return None
    return None


def _lenient_json(text: str) -> Any:
    cleaned = _strip_json_comments(text)
    cleaned = re.sub(r",(\s*[}\]])", r"\1", cleaned)
    for candidate in (cleaned, "{" + cleaned + "}"):
        try:
            return json.loads(candidate)
        except (ValueError, RecursionError):
            continue
    return None


def _strip_json_comments(text: str) -> str:
    out: list[str] = []
    index, length, in_string = 0, len(text), False
    while index < length:
        char = text[index]
        if in_string:
            out.append(char)
            if char == "\\" and index + 1 < length:
                out.append(text[index + 1])
                index += 2
                continue
            if char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", index):
            while index < length and text[index] != "\n":
                index += 1
            continue
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            skipped = text[index : (end + 2 if end >= 0 else length)]
            out.append("\n" * skipped.count("\n"))
            index = end + 2 if end >= 0 else length
            continue
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _entries(data: Any, path: tuple[str, ...] = (), depth: int = 0) -> Iterator[tuple[tuple[str, ...], str, Mapping[str, Any]]]:
    """(path, server name, entry) for every server entry under an MCP container key."""
    if depth > 12:
        return
    if isinstance(data, Mapping):
        for key, value in data.items():
            key = str(key)
            if isinstance(value, Mapping) and _is_server(value) and (_under_mcp(path) or _CONTAINER_KEY.search(key)):
                yield path, key, value
            elif isinstance(value, (Mapping, list)):
                yield from _entries(value, (*path, key), depth + 1)
    elif isinstance(data, list) and _under_mcp(path):
        for item in data:
            if isinstance(item, Mapping) and _is_server(item):
                yield path, str(item.get("name", path[-1] if path else "server")), item


def _is_server(entry: Mapping[str, Any]) -> bool:
    return "command" in entry or any(isinstance(entry.get(k), str) for k in _URL_KEYS)


def _under_mcp(path: tuple[str, ...]) -> bool:
    return any(_CONTAINER_KEY.search(part) for part in path)


def _server(artifact: Artifact, path: tuple[str, ...], name: str, entry: Mapping[str, Any]) -> Server:
    words: list[str] = []
    command = entry.get("command")
    if isinstance(command, Mapping):  # Zed: {"command": {"path": …, "args": […]}}
        inner = command.get("args")  # any JSON may stand here: a wrong type must not switch the checks off
        words = [str(command.get("path", ""))] + [str(a) for a in (inner if isinstance(inner, list) else [])
                                                  if isinstance(a, (str, int, float))]
    elif isinstance(command, list):
        words = [str(c) for c in command]
    elif isinstance(command, str):
        args = entry.get("args")
        words = _split(command) if not args and " " in command.strip() else [command]
    args = entry.get("args")
    if isinstance(args, list):
        words += [str(a) for a in args if isinstance(a, (str, int, float))]
    elif isinstance(args, str):
        words += _split(args)
    urls = [str(entry[k]) for k in _URL_KEYS if isinstance(entry.get(k), str)]
    urls += [w for w in words if re.match(r"(?i)^(?:https?|wss?)://", w)]
    line = _line_of(artifact.text, [*path, name])
    return Server(name, artifact, entry, [w for w in words if w != ""], urls, line)


def _cli_servers(artifact: Artifact) -> Iterator[Server]:
    """`claude mcp add [opts] NAME [--] CMD ARGS…`, `claude mcp add --transport http NAME URL`,
    `claude mcp add-json NAME '{…}'`, `codex mcp add NAME -- CMD…`, `gemini mcp add NAME CMD…`."""
    from skillscan.model import SegmentKind

    index = LineIndex(artifact.text)
    fenced: set[int] = set()
    if artifact.language == "markdown":  # fences are read as their own virtual scripts
        for segment in artifact.segments:
            if segment.kind is SegmentKind.CODE_FENCE:
                fenced.update(range(segment.span.start_line, segment.span.end_line + 1))
    for number in range(1, len(index.starts) + 1):
        if number in fenced:
            continue
        line = index.line_text(number).strip().strip("`")
        found = _CLI_ADD.search(line)
        if not found:
            continue
        words = _split(found.group(3).split("`")[0])
        headers: list[str] = []
        if found.group(2).lower() == "add-json":
            positional = [w for w in words if not w.startswith("-")]
            data = _lenient_json(positional[1]) if len(positional) > 1 else None
            if isinstance(data, Mapping):
                server = _server(artifact, (), positional[0], data)
                server.line, server.cli = number, True
                yield server
            continue
        name, rest, option_values = None, [], {"-t", "--transport", "-s", "--scope", "-e", "--env", "-H", "--header",
                                              "--url", "--bearer-token-env-var"}
        i = 0
        while i < len(words):
            word = words[i]
            if word == "--":
                rest.extend(words[i + 1 :])
                break
            if not rest and word.startswith("-"):
                if word in ("-H", "--header") and i + 1 < len(words):
                    headers.append(words[i + 1])
                if word in ("--url",) and i + 1 < len(words):
                    rest.append(words[i + 1])
                i += 2 if word in option_values else 1
                continue
            if name is None:
                name = word
            else:
                rest.append(word)
            i += 1
        entry: dict[str, Any] = {"command": rest[0] if rest else "", "args": rest[1:]}
        if headers:
            entry["headers"] = {h.split(":", 1)[0]: h.split(":", 1)[1] if ":" in h else "" for h in headers}
        urls = [w for w in rest if re.match(r"(?i)^(?:https?|wss?)://", w)]
        yield Server(name or "server", artifact, entry, rest, urls, number, cli=True)


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


# ---------------------------------------------------------------- analyses


def _base(word: str) -> str:
    name = re.split(r"[/\\]", word.strip().strip("\"'"))[-1].lower()
    return name[:-4] if name.endswith(".exe") else name


def _inline_script(words: list[str]) -> str | None:
    """The inline script when the command is a shell with -c / /c / -Command, else None."""
    words = _strip_wrappers(words)
    if not words or _base(words[0]) not in _SHELLS:
        return None
    shell = _base(words[0])
    for index, word in enumerate(words[1:], start=1):
        lowered = word.lower()
        if shell == "cmd" and lowered in ("/c", "/k", "/r"):
            return " ".join(words[index + 1 :])
        if shell in ("powershell", "pwsh") and lowered in ("-c", "-command", "/c", "-command:", *_ENCODED_FLAGS):
            return " ".join(words[index + 1 :])
        if shell not in ("cmd", "powershell", "pwsh") and re.fullmatch(r"-[a-z]*c[a-z]*", lowered):
            return " ".join(words[index + 1 :])
    return None


def _encoded(words: list[str]) -> bool:
    words = _strip_wrappers(words)
    return bool(words) and _base(words[0]) in ("powershell", "pwsh") and any(w.lower() in _ENCODED_FLAGS for w in words[1:])


def _strip_wrappers(words: list[str]) -> list[str]:
    while words and _base(words[0]) in ("env", "sudo", "nohup", "exec", "command", "doas"):
        words = words[1:]
        while words and (words[0].startswith("-") or "=" in words[0]):
            words = words[1:]
    return words


def _unpinned_spec(words: list[str]) -> str | None:
    words = _strip_wrappers(words)
    if not words:
        return None
    launcher = _base(words[0])
    rest = words[1:]
    if launcher in ("pnpm", "yarn") and rest[:1] == ["dlx"]:
        launcher, rest = "npx", rest[1:]
    elif launcher == "npm" and rest[:1] in (["exec"], ["x"]):
        launcher, rest = "npx", rest[1:]
    elif launcher == "pipx" and rest[:1] == ["run"]:
        launcher, rest = "uvx", rest[1:]
    elif launcher == "uv" and rest[:2] == ["tool", "run"]:
        launcher, rest = "uvx", rest[2:]
    elif launcher in ("bunx", "pnpx"):
        launcher = "npx"
    elif launcher == "bun" and rest[:1] == ["x"]:
        launcher, rest = "npx", rest[1:]
    if launcher not in ("npx", "uvx"):
        return None
    spec = None
    i = 0
    while i < len(rest):
        word = rest[i]
        if word in ("-p", "--package", "--from", "--spec", "--with") and i + 1 < len(rest):
            spec = rest[i + 1]
            break
        if word.startswith(("--package=", "--from=", "--spec=")):
            spec = word.split("=", 1)[1]
            break
        if word == "--":
            spec = rest[i + 1] if i + 1 < len(rest) else None
            break
        if word.startswith("-"):
            i += 2 if word in ("--python", "--index-url", "--cache", "-c", "--call", "--registry") else 1
            continue
        spec = word
        break
    if not spec:
        return None
    if _REMOTE_SPEC.search(spec):
        return spec
    pinned = _EXACT_NPM.match(spec) if launcher == "npx" else _EXACT_PY.match(spec)
    return None if pinned else spec


def _program_words(words: list[str]) -> list[str]:
    """The program, and for interpreters the script they run."""
    words = _strip_wrappers(words)
    if not words:
        return []
    result = [words[0]]
    if _base(words[0]) in _SHELLS | {"node", "python", "python3", "deno", "bun", "ruby", "perl", "java", "uv"}:
        result += [w for w in words[1:] if not w.startswith("-")][:1]
    return result


def _remote_problem(url: str, tunnel_hosts: tuple[str, ...]) -> str | None:
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if not host or _PLACEHOLDER_HOST.search(host):
        return None
    if any(host == t or host.endswith("." + t) for t in tunnel_hosts):
        return "tunnel or request-capture host"
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        if address.is_loopback or address.is_unspecified or address.is_link_local:
            return None
        if address.is_private:
            return None  # a LAN server (home automation, lab box): not a remote third party
        return "raw public IP address"
    if parts.scheme in ("http", "ws"):
        if host.endswith(_PRIVATE_SUFFIXES) or "." not in host:
            return None
        return "plain HTTP: the tool list and every call can be read and rewritten in transit"
    return None


def _header_values(server: Server) -> Iterator[str]:
    headers = server.entry.get("headers") or server.entry.get("http_headers") or server.entry.get("requestInit", {})
    if isinstance(headers, Mapping) and isinstance(headers.get("headers"), Mapping):
        headers = headers["headers"]
    if isinstance(headers, Mapping):
        for key, value in headers.items():
            if str(key).lower() in ("authorization", "proxy-authorization") and isinstance(value, str):
                yield value
    words = server.command
    for index, word in enumerate(words):
        if word in ("--header", "-H") and index + 1 < len(words) and words[index + 1].lower().startswith("authorization"):
            yield words[index + 1]
        elif word.lower().startswith("authorization:"):
            yield word


def _walk(data: Any, path: tuple[str, ...] = (), depth: int = 0) -> Iterator[tuple[tuple[str, ...], str, Any]]:
    if depth > 12:
        return
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield path, str(key), value
            if isinstance(value, (Mapping, list)):
                yield from _walk(value, (*path, str(key)), depth + 1)
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, (Mapping, list)):
                yield from _walk(item, path, depth + 1)


# ---------------------------------------------------------------- locations


def _line_of(text: str, needles: list[str]) -> int:
    """The line of the last needle found in order (keys as written in JSON, YAML or TOML)."""
    position = 0
    for needle in needles:
        for form in (f'"{needle}"', f"'{needle}'", f"{needle}:", f"{needle} =", f".{needle}]", needle):
            found = text.find(form, position)
            if found >= 0:
                position = found
                break
    return text.count("\n", 0, position) + 1


def _value_line(server: Server, value: str) -> int:
    if server.cli:
        return server.line
    text = server.artifact.text
    start = sum(len(l) + 1 for l in text.split("\n")[: server.line - 1])
    probe = value.strip()[:40]
    for candidate in (json.dumps(probe)[1:-1], probe):
        if candidate:
            found = text.find(candidate, start)
            if found >= 0:
                return text.count("\n", 0, found) + 1
    return server.line


def _line_span(artifact: Artifact, line: int) -> Any:
    from skillscan.model import Span

    return Span(line, 1, line, 1)


def _match(rule: Rule, server: Server, value: str, note: str) -> Match:
    line = _value_line(server, value)
    return Match(rule.id, server.artifact, _line_span(server.artifact, line), _short(value), note=note)


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
