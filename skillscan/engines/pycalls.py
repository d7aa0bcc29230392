"""Folding of the calls `skillscan.engines.pyfold` knows: builtins, decoders, string methods,
and the look-ups that turn computed names into module and callable references."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from skillscan.engines.pyfold import _DECODERS, MAX_ITEMS, MAX_TEXT, Method, Ref, Val, codec, decode

if TYPE_CHECKING:
    from skillscan.engines.pyfold import Folder

_IMPORTERS = frozenset({"builtins.__import__", "importlib.import_module", "importlib.__import__"})
_CHAR_FUNCTIONS: dict[str, Callable[[Any], Any]] = {"builtins.chr": chr, "builtins.ord": ord, "builtins.str": str}


def apply(folder: Folder, node: Any, function: Val, positional: list[Any], keywords: dict[str, Any]) -> Val | None:
    args = [folder.fold(a) for a in positional]
    if isinstance(function.value, Method):
        return _method(function, args, keywords, folder)
    if not isinstance(function.value, Ref):
        return None
    name = function.value.name
    if name == "builtins.getattr" and len(args) >= 2 and args[0] is not None and args[1] is not None:
        target, attribute = args[0], args[1]
        if isinstance(target.value, Ref) and isinstance(attribute.value, str):
            return Val(Ref(f"{target.value.name}.{attribute.value}"), attribute.transformed, True, node)
        return None
    if name in _IMPORTERS and args and args[0] is not None and isinstance(args[0].value, str):
        module = args[0].value
        package = keywords.get("package")
        if name == "importlib.import_module" and module.startswith(".") and package is None:
            return None
        computed = positional[0].type != "string"  # "sub" + "process", a variable, a join …
        return Val(Ref(module), args[0].transformed, computed, node)
    if name in ("builtins.globals", "builtins.locals") or (name == "builtins.vars" and not args):
        return Val(Ref("builtins.globals()"))
    if name == "builtins.vars" and args and args[0] is not None and isinstance(args[0].value, Ref):
        return Val(Ref(args[0].value.name + ".__dict__"), hidden=True, origin=node)
    if any(a is None for a in args):
        return None
    values = [a.value for a in args]  # type: ignore[union-attr]
    transformed = any(a.transformed for a in args)  # type: ignore[union-attr]
    if name == "builtins.compile" and values:
        return Val(values[0], transformed)  # exec(compile(src, …)) runs src
    if name in _CHAR_FUNCTIONS and len(values) == 1:
        return Val(_CHAR_FUNCTIONS[name](values[0]), True)
    if name in ("builtins.bytes", "builtins.bytearray") and values:
        if isinstance(values[0], list) and all(isinstance(v, int) for v in values[0]):
            return Val(bytes(values[0]), True)
        if isinstance(values[0], str) and len(values) > 1 and isinstance(values[1], str):
            return Val(values[0].encode(values[1]), transformed)
        return None
    if name in ("builtins.reversed", "builtins.list", "builtins.tuple") and len(values) == 1:
        sequence: list[Any] | None = list(values[0]) if isinstance(values[0], (list, str, bytes)) else None
        if sequence is None or len(sequence) > MAX_ITEMS:
            return None
        items = sequence
        return Val(items[::-1] if name == "builtins.reversed" else items, transformed or name == "builtins.reversed")
    if name == "builtins.map" and len(values) == 2 and isinstance(values[0], Ref) and values[0].name in _CHAR_FUNCTIONS:
        mapped = values[1] if isinstance(values[1], (list, str, bytes)) else None
        if mapped is None or len(mapped) > MAX_ITEMS:
            return None
        return Val([_CHAR_FUNCTIONS[values[0].name](i) for i in mapped], True)
    if name in _DECODERS and values:
        return Val(decode(name, values[0]), True)
    if name in ("codecs.decode", "codecs.encode") and values:
        encoding = values[1] if len(values) > 1 else _keyword(folder, keywords, "encoding", "utf-8")
        if not isinstance(encoding, str):
            return None
        result = codec(values[0], encoding, name.endswith("encode"))
        return Val(result, True) if result is not None else None
    return None


def _keyword(folder: Folder, keywords: dict[str, Any], key: str, default: Any) -> Any:
    node = keywords.get(key)
    if node is None:
        return default
    folded = folder.fold(node)
    return folded.value if folded is not None else None


def _method(function: Val, args: list[Val | None], keywords: dict[str, Any], folder: Folder) -> Val | None:
    method: Method = function.value
    target, name = method.target, method.name
    if any(a is None for a in args):
        return None
    values = [a.value for a in args]  # type: ignore[union-attr]
    carried = function.transformed or any(a.transformed for a in args)  # type: ignore[union-attr]
    if name == "join" and len(values) == 1 and isinstance(values[0], list):
        items = values[0]
        if all(isinstance(i, type(target)) for i in items):
            joined = target.join(items)
            return Val(joined, True) if len(joined) <= MAX_TEXT else None
        return None
    if name in ("decode", "encode"):
        encoding = values[0] if values else _keyword(folder, keywords, "encoding", "utf-8")
        if not isinstance(encoding, str):
            return None
        result = codec(target, encoding, name == "encode")
        rot = encoding.lower().replace("-", "_") in ("rot13", "rot_13", "base64", "hex", "zlib")
        return Val(result, carried or rot) if result is not None else None
    if name == "replace" and len(values) >= 2 and all(isinstance(v, type(target)) for v in values[:2]):
        return Val(target.replace(values[0], values[1]), True)
    if name == "split":
        return Val(target.split(*values[:1]), carried)
    if name in ("lower", "upper", "strip", "lstrip", "rstrip", "swapcase", "title", "capitalize"):
        return Val(getattr(target, name)(*values[:1]), carried)  # str/bytes methods on constants only
    return None
