"""Agent settings read as data: hooks, approval switches, model endpoints, MCP server programs
(THREATS.md C09, C10, C11, C13; §4.4, §4.5).

The regex rules already read these files line by line; the checks here parse the document
(`skillscan.parse.agentconfig`: JSON/JSONC/JSON5 and TOML with a line for every value) where
the meaning depends on structure — which table a key sits in, what a multi-line or escaped
command really says, whether a file on disk is writable by others. Where a regex rule of the same
category sees the same line, the pipeline merges the two into one finding.

Options read from the rule's `match`:
    any: [pattern]       # provider_endpoint: names of endpoint variables ({{list:…}} expands)
    exclude: [pattern]   # provider_endpoint: endpoint URLs that are fine (vendors, gateways …)
"""

from __future__ import annotations

import os
import re
import shlex
import stat
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from skillscan.checks import fsfacts, mcp_config
from skillscan.model import Artifact, ArtifactKind, Match, Skill, Span
from skillscan.parse import agentconfig
from skillscan.parse.agentconfig import ConfigDoc, Hook, McpServer
from skillscan.rules.schema import Rule

# What PER-015 treats as a risky hook command, read here from the parsed command.
_NETWORK = re.compile(
    r"(?i)\b(?:curl|wget|ncat?|socat|telnet|iwr|irm|scp|sftp)\b|invoke-(?:webrequest|restmethod)|/dev/(?:tcp|udp)/|"
    r"\b(?:https?|ftp|wss?)://"
)
_STAGED = re.compile(
    r"(?i)(?:^|[\s\"'=:(])(?:/tmp/|/var/tmp/|/dev/shm/)|\bbase64\s+(?:-d|--decode|-D)\b|frombase64string|"
    r"\bpython[0-9.]*\s+-c\b|\bnode\s+-e\b|\beval\b|\bnohup\b"
)
_URL = re.compile(r"(?i)\b(?:https?|ftp|wss?)://[^\s\"'`|;&)]+")
_LOOPBACK = re.compile(r"(?i)^(?:https?|ftp|wss?)://(?:[^/@]*@)?(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?:[:/]|$)")
_PIPE_TO_SHELL = re.compile(r"(?i)\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b|\b(?:source|\.|(?:ba|z)?sh)\s+<\(|"
                            r"\b(?:osascript|perl|ruby)\s+-e\b|-enc(?:odedcommand)?\s")
_HOOK_KINDS = ("command", "http", "notify", "status-line", "task")  # credential helpers: SKS-RDR credential-helper rules
_BASH_ALL = re.compile(r"^Bash(?:\(\s*(?:\*|:\*|\*\*|\*:\*)?\s*\))?$")
_BASH_RISKY = re.compile(r"^Bash\(\s*(?:curl|wget|nc|ncat|bash|sh|zsh|eval|python3?\s+-c|node\s+-e)\b[^)]*\)$")
_PROVIDER_KEYS = frozenset({"base_url", "baseurl", "api_base", "apibase"})
_PROVIDER_CONTAINERS = frozenset({"model_providers", "provider", "providers", "models"})
_ENV_BLOCKS = frozenset({"env", "environment", "set", "remoteenv", "containerenv"})


def hook_network(rule: Rule, skill: Skill) -> Iterator[Match]:
    """A hook, status line, notify command or folder-open task that calls the network, runs
    code from a temp folder, decodes a payload or evaluates inline code (PER-015's list), or an
    http hook that posts events to a non-local URL."""
    for artifact, doc in _documents(skill):
        for hook in doc.hooks():
            if hook.kind not in _HOOK_KINDS:
                continue
            problem = _network_problem(hook)
            if problem:
                trigger, line = problem
                part = next((p for p, at in hook.parts if at == line and trigger in p), hook.command)
                yield _match(rule, artifact, line, part, f"{hook.event} hook; {trigger!r} runs without asking")


def hook_inline_shell(rule: Rule, skill: Skill) -> Iterator[Match]:
    """A hook whose command is an inline script handed to a shell (`bash -c '…'`, `cmd /c`,
    `powershell -Command`, `| sh`, `source <(…)`) and that `hook_network` does not report."""
    for artifact, doc in _documents(skill):
        for hook in doc.hooks():
            if hook.kind not in _HOOK_KINDS or hook.kind == "http" or _network_problem(hook):
                continue
            words = _words(hook.command)
            script = mcp_config._inline_script(words)
            found = _PIPE_TO_SHELL.search(hook.command)
            if script is not None or found:
                evidence = script or (found.group(0).strip() if found else "") or hook.command
                yield _match(rule, artifact, _part_line(hook, evidence), evidence,
                             f"{hook.event} hook runs a shell script: {_short(hook.command)}")


def approval_bypass(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Settings that let the agent act without asking, beyond those SKS-PRV-010 reads
    (bypassPermissions, danger-full-access, chat.tools.autoApprove, autoAccept)."""
    for artifact, doc in _documents(skill):
        for path, value in doc.leaves():
            reason = _approval_problem(doc, path, value)
            if reason:
                key = ".".join(str(p) for p in path if isinstance(p, str))
                yield _match(rule, artifact, doc.line(path), f"{key} = {value}", reason)


def provider_endpoint(rule: Rule, skill: Skill) -> Iterator[Match]:
    """An endpoint variable in an env block (settings `env`, MCP server `env`, Codex
    `shell_environment_policy.set`) or a provider `base_url` that sends prompts, code and keys to
    a host that is not the vendor's, a known gateway or a local address."""
    names = [re.compile(p) for p in rule.match.get("any", ())]
    fine = [re.compile(p) for p in rule.match.get("exclude", ())]
    for artifact, doc in _documents(skill):
        for path, value in doc.leaves():
            if not isinstance(value, str) or len(path) < 1 or not isinstance(path[-1], str):
                continue
            key, named = path[-1], [p for p in path[:-1] if isinstance(p, str)]
            parents = [p.lower() for p in named]
            is_env = bool(parents) and parents[-1] in _ENV_BLOCKS and any(n.search(key) for n in names)
            is_top = len(path) == 1 and any(n.search(key) for n in names)  # Codex openai_base_url
            is_provider = key.lower() in _PROVIDER_KEYS and bool(_PROVIDER_CONTAINERS & set(parents))
            if not (is_env or is_top or is_provider):
                continue
            url = value.strip()
            if "://" not in url:
                url = "http://" + url  # OLLAMA_HOST=host:port
            if _local(url) or any(f.search(url) for f in fine):
                continue
            yield _match(rule, artifact, doc.line(path), value.strip(), f"{key} in {'.'.join(named) or 'the top level'}")


def writable_server_program(rule: Rule, skill: Skill) -> Iterator[Match]:
    """An MCP server program (or the script its interpreter runs) that anyone on this machine can
    replace: the file is world-writable, sits in a world-writable folder without the sticky bit,
    or does not exist yet in a world-writable folder. Temp folders by name are SKS-MCP-024."""
    for artifact, doc, server, programs in _server_programs(skill):
        for word, path in programs:
            problem = _writable(path)
            if problem:
                yield _match(rule, artifact, _value_line(doc, server.path, word) or server.line, word,
                             f"server {server.name!r}: {problem}")
                break


def names_server_programs(skill: Skill) -> bool:
    """Whether the skill's configs name MCP server programs by absolute path: what
    `writable_server_program` reads from the text, on every scan."""
    return any(programs for *_, programs in _server_programs(skill))


def _server_programs(skill: Skill) -> Iterator[tuple[Artifact, ConfigDoc, McpServer, list[tuple[str, Path]]]]:
    """(config, document, server, [(word, absolute path)]) for every MCP server in the configs."""
    for artifact, doc in _documents(skill):
        for server in doc.servers():
            programs = []
            for word in mcp_config._program_words(list(server.command)):
                expanded = os.path.expanduser(os.path.expandvars(word.strip("\"'")))
                if os.path.isabs(expanded) and not mcp_config._TEMP_PATH.match(word):
                    programs.append((word, Path(expanded)))  # a temp folder named outright is SKS-MCP-024's
            yield artifact, doc, server, programs


# ---------------------------------------------------------------- analyses


def _network_problem(hook: Hook) -> tuple[str, int] | None:
    """(evidence, line) when the hook talks to the network or stages code; loopback URLs only
    (a local formatter daemon, a dev server) do not count."""
    command = hook.command
    if hook.kind == "http":
        return None if _LOOPBACK.match(command.strip()) else (command.strip(), hook.line)
    urls = _URL.findall(command)
    only_local = bool(urls) and all(_LOOPBACK.match(u) for u in urls)
    network = _NETWORK.search(command)
    if network and not only_local:
        return network.group(0), _part_line(hook, network.group(0))
    staged = _STAGED.search(command)
    if staged:
        return staged.group(0).strip(" \"'=:("), _part_line(hook, staged.group(0).strip())
    return None


def _approval_problem(doc: ConfigDoc, path: tuple[Any, ...], value: Any) -> str:
    keys = [p for p in path if isinstance(p, str)]
    if not keys:
        return ""
    key, lowered = keys[-1], [k.lower() for k in keys]
    if doc.fmt == "toml" and key in ("approval_policy", "ask_for_approval") and value == "never":
        table = doc.located.get(path[:-1], {})
        if isinstance(table, dict) and table.get("sandbox_mode") == "danger-full-access":
            return "Codex runs every command without asking, and outside any sandbox (sandbox_mode = danger-full-access)"
        return ""
    if lowered[-2:] == ["permissions", "allow"] and isinstance(value, str):
        if _BASH_ALL.match(value.strip()):
            return f"{value} pre-approves every shell command"
        if _BASH_RISKY.match(value.strip()):
            return f"{value} pre-approves a command that can fetch or run arbitrary code"
    if key in ("defaultApprovalMode", "approvalMode") and value == "yolo":
        return "Gemini CLI approves every tool call (yolo)"
    if lowered[-2:] == ["tools", "allowed"] and value in ("run_shell_command", "ShellTool"):
        return "Gemini CLI runs every shell command without asking"
    if "permission" in lowered and value == "allow":
        after = lowered[lowered.index("permission") + 1 :]
        if after in ([], ["bash"], ["*"], ["bash", "*"]):
            return "OpenCode runs " + ("every shell command" if "bash" in after else "every tool") + " without asking"
    if key == "amp.dangerouslyAllowAll" and value is True:
        return "Amp runs every tool without asking"
    if key == "chat.tools.global.autoApprove" and value is True:
        return "VS Code approves every agent tool call"
    if isinstance(path[-1], int) and lowered[-1] == "allowedtools" and value in ("*", "execute_bash"):  # Kiro
        return "every tool is trusted without asking" if value == "*" else "shell commands are trusted without asking"
    if lowered[-2:] == ["exec", "security"] and value == "full":
        return "OpenClaw runs any command (exec security: full)"
    if lowered[-2:] == ["exec", "ask"] and value == "off":
        return "OpenClaw runs commands without asking (exec ask: off)"
    return ""


def _writable(path: Path) -> str:
    """Why others can replace `path`, or ''. Only stat() is used; nothing is opened."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return ""
    try:
        mode = os.stat(real).st_mode
    except OSError:
        for folder in real.parents:  # missing: whoever may create it decides what runs
            if (folder_stat := fsfacts.folder_stat(str(folder))) is None:
                continue
            if folder_stat.st_mode & stat.S_IWOTH:
                return f"{path} does not exist and anyone may create it in the world-writable folder {folder}"
            return ""
        return ""
    if mode & stat.S_IWOTH:
        return f"{path} is world-writable ({stat.S_IMODE(mode):04o})"
    folder = fsfacts.open_ancestor(str(real.parent), sticky_protects=True)
    return f"{path} sits in the world-writable folder {folder}" if folder is not None else ""


def _local(url: str) -> bool:
    import ipaddress

    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return True
    if not host or "." not in host or host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return True  # single-label names are containers / LAN boxes: a local gateway
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified


# ---------------------------------------------------------------- plumbing


def _documents(skill: Skill) -> Iterator[tuple[Artifact, ConfigDoc]]:
    """Real config files only: a config quoted in a document is the regex rules' business, where
    the surrounding words (a warning, an example) can be weighed. Here the structure says what a
    value is, so the rules are context-insensitive (a `deny` list above does not make an `allow`
    entry an example)."""
    for artifact in skill.artifacts:
        if artifact.is_virtual or artifact.kind is not ArtifactKind.CONFIG or not artifact.text:
            continue
        doc = _read(artifact.text, artifact.path.name, artifact.language or "")
        if doc is not None:
            yield artifact, doc


@lru_cache(maxsize=64)
def _read(text: str, name: str, language: str) -> ConfigDoc | None:
    """Parsed once per text for all the checks of a scan (documents are never mutated)."""
    return agentconfig.read(text, name, language)


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command, posix=True)
    except ValueError:
        return command.split()


def _part_line(hook: Hook, evidence: str) -> int:
    for part, line in hook.parts:
        if evidence and evidence in part:
            return line
    return hook.line


def _value_line(doc: ConfigDoc, path: tuple[Any, ...], word: str) -> int:
    entry = doc.located.get(path)
    if not isinstance(entry, dict):
        return 0
    for key in ("command", "args"):
        value = entry.get(key)
        if value == word:
            return doc.line((*path, key))
        if isinstance(value, list) and word in value:
            return doc.line((*path, key, value.index(word)))
    return 0


def _match(rule: Rule, artifact: Artifact, line: int, evidence: str, note: str) -> Match:
    text = artifact.text.split("\n")[line - 1] if 0 < line <= artifact.text.count("\n") + 1 else ""
    column = max(1, text.find(evidence[:40]) + 1) if evidence else 1
    return Match(rule.id, artifact, Span(line, column, line, column + len(evidence)), _short(evidence), note=note)


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
