"""Redirection checks (C09) that need the code's constants: AI endpoints chosen by Python code.

The regex rules (SKS-RDR-001/002) see an endpoint when its URL is written where it is used
(`OpenAI(base_url="https://…")`, `export OPENAI_BASE_URL=…`). Code often keeps the URL, or even
the variable's name, somewhere else: a module constant, the default of `os.environ.get(…)`, a
string assembled from pieces, a lambda that joins fragments. This check walks a Python file in
document order with the constant folder of the tree-sitter engine (`skillscan.engines.pyfold`),
so names resolve from the assignments above them, and looks at every place an endpoint is set:

- AI client constructors: `OpenAI(base_url=…)`, `Anthropic(base_url=…)`, `AzureOpenAI(
  azure_endpoint=…)`, `ChatOpenAI(openai_api_base=…)`, `ollama.Client(host=…)`, `litellm.
  completion(api_base=…)` …;
- module settings: `openai.base_url = …`, `openai.api_base = …`, `litellm.api_base = …`;
- environment and settings values whose key resolves to an endpoint variable: `os.environ[K] =
  …` (or any `mapping[K] = …`), `os.environ.setdefault(K, …)`, `os.putenv(K, …)`, `{K: …}`
  dictionaries (settings `env` blocks merged by code, subprocess environments) and `dict(K=…)`.

A value is its folded constant; `os.environ.get(NAME, DEFAULT)` / `os.getenv` count as DEFAULT
(what runs unless the user set something), `A or B` as B when A is not a constant.

Options read from the rule's `match`:
    any: [pattern]       # names of endpoint variables ({{list:…}} expands)
    exclude: [pattern]   # endpoint URLs that are fine (vendors, gateways, placeholders …)
    all: [pattern]       # endpoint URLs of the critical tier besides raw IPs and plain http
                         #   (tunnels, paste and capture hosts)
    tier: critical|high  # critical: only raw-IP, plain-http and `all` hosts; high: only the rest
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from skillscan.model import ArtifactKind, Match, Skill, Span
from skillscan.rules.schema import Rule

# Constructors (last dotted part of the called name) and the keyword arguments that pick the host.
_CLIENTS = re.compile(
    r"^(?:Async)?(?:Azure)?OpenAI$|^(?:Async)?Anthropic(?:Bedrock|Vertex)?$|^Chat(?:OpenAI|Anthropic|Ollama)$|"
    r"^(?:Async)?(?:Azure)?OpenAIEmbeddings$|^(?:OpenAI|Anthropic)Model$|^(?:Async)?Groq$|^(?:Async)?Mistral$"
)
_OLLAMA = re.compile(r"(?:^|\.)(?:Async)?Client$")
_LITELLM = re.compile(r"^litellm\.(?:a?completion|a?embedding|a?text_completion|a?responses)$")
_ENDPOINT_KEYWORDS = frozenset({"base_url", "api_base", "openai_api_base", "anthropic_api_url", "azure_endpoint",
                                "endpoint", "openai_api_base_url"})
_MODULE_SETTINGS = re.compile(r"^(?:openai|anthropic|litellm)\.(?:base_url|api_base)$")
_ENV_GETTERS = frozenset({"os.environ.get", "os.getenv", "environ.get", "getenv", "os.environ.setdefault"})
_ENV_SETTERS = frozenset({"os.environ.setdefault", "os.putenv", "environ.setdefault", "putenv"})
_URL_LIKE = re.compile(r"^(?:(?:https?|wss?)://\S+|[A-Za-z0-9.-]+:\d{1,5}(?:/\S*)?)$")
_LOCAL_NAMES = re.compile(r"(?i)(?:^|\.)(?:localhost|internal|corp|local|lan|intranet|home\.arpa|test|example|invalid)$")
_PREFILTER = ("base_url", "api_base", "azure_endpoint", "endpoint", "environ", "getenv", "putenv", "anthropic",
              "openai", "ollama", "litellm", "_url", "host")
_MAX_TEXT = 400_000
_MAX_LAMBDA_DEPTH = 8


@dataclass(frozen=True)
class _Site:
    setting: str  # what was set: "base_url of OpenAI(…)", "ANTHROPIC_BASE_URL", …
    url: str
    span: Span
    computed: bool  # the value was not a plain literal at this place


def ai_endpoint_in_code(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Python code that points an AI client at a host that is not the vendor's, a known gateway or
    a local address, with the URL (or the variable's name) resolved from the file's constants."""
    names = _compile(tuple(rule.match.get("any", ())))
    fine = _compile(tuple(rule.match.get("exclude", ())))
    dangerous = _compile(tuple(rule.match.get("all", ())))
    tier = str(rule.match.get("tier", "high"))
    for artifact in skill.artifacts:
        if artifact.kind is not ArtifactKind.SCRIPT or artifact.language != "python" or not artifact.text:
            continue
        if len(artifact.text) > _MAX_TEXT or not any(word in artifact.text.lower() for word in _PREFILTER):
            continue
        seen: set[tuple[int, str]] = set()
        for site in _python_sites(artifact.text, names):
            url = site.url.strip()
            if not _URL_LIKE.match(url):
                continue
            full = url if "://" in url else "http://" + url
            if _local(full) or any(f.search(full) for f in fine) or (site.span.start_line, url) in seen:
                continue
            if _critical(full, dangerous) != (tier == "critical"):
                continue
            seen.add((site.span.start_line, url))
            note = "resolved from the script's constants" if site.computed else ""
            yield Match(rule.id, artifact, site.span, url, {"setting": site.setting}, note=note)


# ---------------------------------------------------------------- Python walk


def _python_sites(text: str, names: tuple[re.Pattern[str], ...]) -> list[_Site]:
    from skillscan.engines.grammars import Source

    source = Source(text, "python")
    if source.root is None:
        return []
    folder = _folder_class()(source.node_text)
    sites: list[_Site] = []

    def is_endpoint_name(value: Any) -> bool:
        return isinstance(value, str) and any(n.search(value) for n in names)

    def value_of(node: Any) -> tuple[str | None, bool]:
        """(folded string, computed?) for an expression that sets an endpoint."""
        if node is None:
            return None, False
        if node.type == "call":
            function = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            if function is not None and arguments is not None and source.node_text(function) in _ENV_GETTERS:
                positional = [c for c in arguments.named_children if c.type not in ("keyword_argument", "comment")]
                default = positional[1] if len(positional) > 1 else _keyword(source, arguments, "default")
                value, _ = value_of(default)
                return value, True
        if node.type == "boolean_operator":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            value, computed = value_of(left)
            if value is not None:
                return value, computed
            value, _ = value_of(right)
            return value, True
        if node.type == "parenthesized_expression" and node.named_children:
            return value_of(node.named_children[0])
        folded = folder.fold(node)
        if folded is None or not isinstance(folded.value, str):
            return None, False
        return folded.value, node.type != "string"

    def add(setting: str, value_node: Any, at: Any) -> None:
        value, computed = value_of(value_node)
        if value is not None:
            sites.append(_Site(setting, value, source.span(at), computed))

    def visit_call(node: Any) -> None:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None or arguments is None or arguments.type != "argument_list":
            return
        called = source.node_text(function)
        last = called.rsplit(".", 1)[-1]
        client = bool(_CLIENTS.match(last)) or (bool(_OLLAMA.search(called)) and "ollama" in called.lower())
        for child in arguments.named_children:
            if child.type != "keyword_argument":
                continue
            key = child.child_by_field_name("name")
            key_text = source.node_text(key) if key is not None else ""
            if (client or _LITELLM.match(called)) and (key_text in _ENDPOINT_KEYWORDS or (key_text == "host" and "ollama" in called.lower())):
                add(f"{key_text} of {last}(…)", child.child_by_field_name("value"), child)
            elif is_endpoint_name(key_text):  # dict(OPENAI_BASE_URL=…), env=… keyword forms
                add(key_text, child.child_by_field_name("value"), child)
        if called in _ENV_SETTERS:
            positional = [c for c in arguments.named_children if c.type not in ("keyword_argument", "comment")]
            if len(positional) >= 2:
                key = folder.fold(positional[0])
                if key is not None and is_endpoint_name(key.value):
                    add(str(key.value), positional[1], node)

    def visit_pair(node: Any) -> None:
        key_node, value_node = node.child_by_field_name("key"), node.child_by_field_name("value")
        if key_node is None or value_node is None:
            return
        key = folder.fold(key_node)
        if key is not None and is_endpoint_name(key.value):
            add(str(key.value), value_node, node)

    def visit_assignment(left: Any, right: Any, node: Any) -> None:
        if left.type == "attribute" and _MODULE_SETTINGS.match(source.node_text(left)):
            add(source.node_text(left), right, node)
        elif left.type == "subscript":  # os.environ[K] = …, cfg["env"][K] = …, env[K] = …
            index = left.child_by_field_name("subscript")
            if index is not None:
                key = folder.fold(index)
                if key is not None and is_endpoint_name(key.value):
                    add(str(key.value), right, node)

    stack: list[Any] = [source.root]
    while stack:
        node = stack.pop()
        if isinstance(node, _Bind):
            folder.bind(node.left, node.right)
            continue
        kind = node.type
        if kind in ("import_statement", "import_from_statement"):
            folder.bind_import(node)
        elif kind == "call":
            visit_call(node)
        elif kind == "pair":
            visit_pair(node)
        elif kind == "assignment":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None:
                if right.type == "lambda" and left.type == "identifier":
                    folder.lambdas[source.node_text(left)] = right
                visit_assignment(left, right, node)
                stack.append(_Bind(left, right))  # bind after the right side's own calls are visited
        stack.extend(reversed(node.named_children))
    return sites


@dataclass
class _Bind:
    left: Any
    right: Any


def _keyword(source: Any, arguments: Any, name: str) -> Any:
    for child in arguments.named_children:
        if child.type == "keyword_argument":
            key = child.child_by_field_name("name")
            if key is not None and source.node_text(key) == name:
                return child.child_by_field_name("value")
    return None


@lru_cache(maxsize=1)
def _folder_class() -> type:
    """The engine's folder, taught to call simple lambdas (`_v = lambda *p: "".join(p)`), a
    common way to split names and hosts into fragments."""
    from skillscan.engines.pyfold import Folder, Val

    class LambdaFolder(Folder):  # type: ignore[misc, valid-type]
        def __init__(self, node_text: Any, depth: int = 0) -> None:
            super().__init__(node_text)
            self.lambdas: dict[str, Any] = {}
            self.depth = depth

        def _fold(self, node: Any) -> Any:
            if node.type == "call" and self.depth < _MAX_LAMBDA_DEPTH:
                function = node.child_by_field_name("function")
                if function is not None and function.type == "identifier":
                    name = self.node_text(function)
                    if name in self.lambdas and name not in self.env:
                        return self._call_lambda(self.lambdas[name], node.child_by_field_name("arguments"))
            return super()._fold(node)

        def _call_lambda(self, lam: Any, arguments: Any) -> Any:
            body = lam.child_by_field_name("body")
            params = lam.child_by_field_name("parameters")
            if body is None or arguments is None or arguments.type != "argument_list":
                return None
            args = [c for c in arguments.named_children if c.type != "comment"]
            if any(a.type == "keyword_argument" for a in args):
                return None
            values = [self.fold(a) for a in args]
            if any(v is None for v in values):
                return None
            bound: dict[str, Any] = {}
            position = 0
            for param in (params.named_children if params is not None else []):
                if param.type == "identifier":
                    if position >= len(values):
                        return None
                    bound[self.node_text(param)] = values[position]
                    position += 1
                elif param.type == "list_splat_pattern" and param.named_children:
                    rest = values[position:]
                    bound[self.node_text(param.named_children[0])] = Val([v.value for v in rest], True)
                    position = len(values)
                else:
                    return None
            if position != len(values):
                return None
            inner = LambdaFolder(self.node_text, self.depth + 1)
            inner.env = {**self.env, **bound}
            inner.lambdas = self.lambdas
            result = inner.fold(body)
            return Val(result.value, True, result.hidden, result.origin) if result is not None else None

    return LambdaFolder


# ---------------------------------------------------------------- helpers


def _local(url: str) -> bool:
    """Loopback, private, link-local and single-label or internal names: a local gateway."""
    try:
        host = (urlsplit(url).hostname or "").strip("[]").lower()
    except ValueError:
        return False
    if not host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or bool(_LOCAL_NAMES.search(host))
    return address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified


def _critical(url: str, dangerous: tuple[re.Pattern[str], ...]) -> bool:
    """Plain http/ws, a raw IP address, or a tunnel/paste/capture host."""
    if url.lower().startswith(("http://", "ws://")) or any(d.search(url) for d in dangerous):
        return True
    try:
        ipaddress.ip_address((urlsplit(url).hostname or "").strip("[]"))
    except ValueError:
        return False
    return True


@lru_cache(maxsize=64)
def _compile(patterns: tuple[Any, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns if isinstance(p, str))
