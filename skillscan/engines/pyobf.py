"""Obfuscated calls in Python, resolved by constant folding (`skillscan.engines.pyfold`).

Two kinds:

- `obfuscated_call`: a dangerous callable (exec, eval, compile, open, os.system, subprocess,
  socket, urllib, ctypes …) reached through `getattr(builtins, …)`, `__builtins__.__dict__[…]`,
  `globals()["__builtins__"]`, or `__import__` / `importlib.import_module` of a computed name.
- `decoded_payload`: exec / eval / compile / os.system / subprocess given a string that was
  decoded, joined, reversed or built from `chr` codes out of constants (rot13, base64, hex, zlib …).

The walk is in document order, so names resolve from the assignments and imports above them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skillscan.engines.grammars import Source
from skillscan.engines.pyfold import Folder, Ref, Val
from skillscan.model import Span

OBFUSCATED = "obfuscated_call"
PAYLOAD = "decoded_payload"
KINDS = (OBFUSCATED, PAYLOAD)
_RUNS_CODE = frozenset({"builtins.exec", "builtins.eval", "builtins.compile", "os.system", "os.popen",
                        "pty.spawn", "commands.getoutput"})
_DANGEROUS = _RUNS_CODE | frozenset({"builtins.open", "builtins.__import__", "importlib.import_module",
                                     "marshal.loads", "pickle.loads", "shutil.rmtree", "os.remove", "os.unlink"})
_DANGEROUS_MODULES = ("subprocess.", "socket.", "urllib.request.", "requests.", "http.client.", "ctypes.",
                      "os.exec", "os.spawn", "os.posix_spawn", "smtplib.", "ftplib.", "httpx.")
_PREVIEW = 80


@dataclass(frozen=True)
class PyFinding:
    kind: str
    span: Span
    text: str
    note: str
    related: Span | None = None


def _runs_code(name: str) -> bool:
    return name in _RUNS_CODE or name.startswith(("subprocess.", "os.exec", "os.spawn"))


def _dangerous(name: str) -> bool:
    return name in _DANGEROUS or name.startswith(_DANGEROUS_MODULES)


def findings(text: str) -> list[PyFinding]:
    source = Source(text, "python")
    if source.root is None:
        return []
    folder = Folder(source.node_text)
    found: list[PyFinding] = []
    stack = [source.root]
    while stack:
        node = stack.pop()
        kind = node.type
        if kind in ("import_statement", "import_from_statement"):
            folder.bind_import(node)
        elif kind == "call":
            found.extend(_check_call(node, folder, source))
        elif kind == "assignment":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None:
                stack.append(_Bind(left, right))  # bind after the right side's own calls are checked
        elif isinstance(node, _Bind):
            folder.bind(node.left, node.right)
            continue
        stack.extend(reversed(node.named_children))
    return found


@dataclass
class _Bind:
    left: Any
    right: Any
    type: str = "_bind"
    named_children: tuple[Any, ...] = ()


def _check_call(node: Any, folder: Folder, source: Source) -> list[PyFinding]:
    function = node.child_by_field_name("function")
    callee = folder.fold(function) if function is not None else None
    if callee is None or not isinstance(callee.value, Ref):
        return []
    name = callee.value.name
    results = []
    text = source.node_text(node)
    short = name.removeprefix("builtins.")
    if callee.hidden and _dangerous(name):
        origin = callee.origin
        related = source.span(origin) if origin is not None and origin.start_point[0] != node.start_point[0] else None
        shown = _preview(source.node_text(origin)) if origin is not None else _preview(text)
        where = f" (line {related.start_line})" if related else ""
        results.append(PyFinding(OBFUSCATED, source.span(node), _preview(text),
                                 f"`{shown}`{where} resolves to {short}", related))
    if _runs_code(name):
        arguments = node.child_by_field_name("arguments")
        first = next((a for a in arguments.named_children if a.type != "comment"), None) if arguments else None
        payload: Val | None = folder.fold(first) if first is not None else None
        if payload is not None and payload.transformed and isinstance(payload.value, (str, bytes, list)):
            value = payload.value
            shown = value.decode("utf-8", "replace") if isinstance(value, bytes) else (
                " ".join(map(str, value)) if isinstance(value, list) else value)
            results.append(PyFinding(PAYLOAD, source.span(node), _preview(text),
                                     f"{short} runs a payload decoded from constants: {_preview(shown)!r}"))
    return results


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _PREVIEW else flat[: _PREVIEW - 1] + "…"
