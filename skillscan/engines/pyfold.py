"""A small constant-folding evaluator over the tree-sitter Python tree. Nothing is ever run.

Values it knows: str, bytes, int, lists of those, module/callable references (`Ref`) and bound
string methods. It folds literals, `+`, `*`, slicing (`s[::-1]`), `"".join(…)`, `reversed`,
`chr`/`map(chr, …)`/comprehensions over constant lists, `bytes([…])`, `.decode()`/`.encode()`,
`.replace`/`.lower`/…, `codecs.decode(…, "rot13")`, base64/base32/base16/hex/zlib decoding, and
resolves `getattr(builtins, …)`, `__builtins__.__dict__[…]`, `globals()["__builtins__"]`,
`__import__(…)` and `importlib.import_module(…)` into references. Budgets bound time and size.
String literals are decoded with `ast.literal_eval` on the literal's own text only (it builds
constants; it does not evaluate code).
"""

from __future__ import annotations

import ast
import base64
import binascii
import codecs
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_TEXT = 1_000_000
MAX_ITEMS = 100_000
MAX_STEPS = 200_000
_BUILTINS = frozenset({"exec", "eval", "compile", "getattr", "__import__", "chr", "ord", "bytes", "bytearray",
                       "str", "list", "tuple", "reversed", "map", "globals", "vars", "locals", "open", "input"})


@dataclass(frozen=True)
class Ref:
    name: str  # dotted: "builtins.exec", "os.system", "codecs"


@dataclass(frozen=True)
class Method:
    target: Any
    name: str


@dataclass(frozen=True)
class Val:
    value: Any
    transformed: bool = False  # built by decoding/joining/reversing constants, not written plainly
    hidden: bool = False  # a name was computed or looked up through getattr / __dict__ / __import__
    origin: Any = None  # the node that resolved the reference


_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "base64.b64decode": base64.b64decode, "base64.standard_b64decode": base64.standard_b64decode,
    "base64.urlsafe_b64decode": base64.urlsafe_b64decode, "base64.decodebytes": base64.decodebytes,
    "base64.b32decode": base64.b32decode, "base64.b16decode": base64.b16decode,
    "base64.a85decode": base64.a85decode, "base64.b85decode": base64.b85decode,
    "binascii.unhexlify": binascii.unhexlify, "binascii.a2b_hex": binascii.a2b_hex,
    "binascii.a2b_base64": binascii.a2b_base64, "builtins.bytes.fromhex": lambda b: bytes.fromhex(b.decode()),
    "zlib.decompress": lambda b: _inflate(b, zlib.MAX_WBITS), "gzip.decompress": lambda b: _inflate(b, 31),
}
_STR_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "swapcase", "title", "capitalize",
                          "replace", "decode", "encode", "join", "format", "split"})


def _inflate(data: bytes, wbits: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    result = inflater.decompress(data, MAX_TEXT)
    if inflater.unconsumed_tail:
        raise ValueError("too large")
    return result


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


class Folder:
    """Folds expressions of one parsed file; `bind` records assignments in document order."""

    def __init__(self, node_text: Callable[[Any], str]) -> None:
        self.node_text = node_text
        self.env: dict[str, Val] = {}
        self.steps = 0
        self._memo: dict[int, Val | None] = {}

    def bind_import(self, node: Any) -> None:
        """`import a.b as c`, `from a import b as c` → references."""
        module = node.child_by_field_name("module_name")
        prefix = self.node_text(module) + "." if node.type == "import_from_statement" and module is not None else ""
        for child in node.named_children:
            if child is module:
                continue
            if child.type == "dotted_name":
                name = self.node_text(child)
                bound = name if prefix else name.split(".")[0]
                self.env[bound.split(".")[0]] = Val(Ref(prefix + bound))
            elif child.type == "aliased_import":
                original = child.child_by_field_name("name")
                alias = child.child_by_field_name("alias")
                if original is not None and alias is not None:
                    self.env[self.node_text(alias)] = Val(Ref(prefix + self.node_text(original)))

    def bind(self, target: Any, value: Any) -> None:
        if target.type != "identifier":
            return
        folded = self.fold(value)
        name = self.node_text(target)
        if folded is None:
            self.env.pop(name, None)
        else:
            self.env[name] = folded

    def fold(self, node: Any) -> Val | None:
        key = node.id
        if key not in self._memo:
            self.steps += 1
            self._memo[key] = None if self.steps > MAX_STEPS else self._safe(node)
        return self._memo[key]

    def _safe(self, node: Any) -> Val | None:
        try:
            result = self._fold(node)
        except (ValueError, TypeError, OverflowError, IndexError, KeyError, binascii.Error, zlib.error,
                UnicodeError, RecursionError, MemoryError, SyntaxError):
            return None
        if result is not None and isinstance(result.value, (str, bytes)) and len(result.value) > MAX_TEXT:
            return None
        return result

    def _fold(self, node: Any) -> Val | None:
        kind = node.type
        if kind == "parenthesized_expression" and node.named_children:
            return self.fold(node.named_children[0])
        if kind == "string":
            if any(c.type == "interpolation" for c in node.named_children):
                return None
            return Val(ast.literal_eval(self.node_text(node)))  # a literal's own text: constants only
        if kind == "concatenated_string":
            parts = [self.fold(c) for c in node.named_children]
            values = [p.value for p in parts if p is not None]
            if len(values) == len(parts) and all(isinstance(v, str) for v in values):
                return _combine(parts, "".join)
            if len(values) == len(parts) and all(isinstance(v, bytes) for v in values):
                return _combine(parts, b"".join)
            return None
        if kind == "integer":
            return Val(int(self.node_text(node).replace("_", ""), 0))
        if kind == "unary_operator":
            inner = self.fold(node.named_children[-1])
            text = self.node_text(node).lstrip()
            return Val(-inner.value, inner.transformed) if inner and isinstance(inner.value, int) and text.startswith("-") else inner
        if kind == "identifier":
            name = self.node_text(node)
            if name in self.env:
                return self.env[name]
            if name in _BUILTINS:
                return Val(Ref("builtins." + name))
            return Val(Ref("builtins")) if name == "__builtins__" else None
        if kind in ("list", "tuple", "set"):
            items = [self.fold(c) for c in node.named_children if c.type != "comment"]
            if any(i is None for i in items) or len(items) > MAX_ITEMS:
                return None
            return Val([i.value for i in items], any(i.transformed for i in items))  # type: ignore[union-attr]
        if kind in ("list_comprehension", "generator_expression"):
            return self._comprehension(node)
        if kind == "attribute":
            return self._attribute(node)
        if kind == "subscript":
            return self._subscript(node)
        if kind == "binary_operator":
            return self._binary(node)
        if kind == "call":
            return self._call(node)
        return None

    def _attribute(self, node: Any) -> Val | None:
        target = self.fold(node.child_by_field_name("object"))
        attribute = self.node_text(node.child_by_field_name("attribute"))
        if target is None:
            return None
        if isinstance(target.value, Ref):
            return Val(Ref(f"{target.value.name}.{attribute}"), target.transformed, target.hidden, target.origin)
        if isinstance(target.value, (str, bytes)) and attribute in _STR_METHODS:
            return Val(Method(target.value, attribute), target.transformed)
        return None

    def _subscript(self, node: Any) -> Val | None:
        target = self.fold(node.child_by_field_name("value"))
        index = node.child_by_field_name("subscript")
        if target is None or index is None:
            return None
        if index.type == "slice":
            bounds: list[int | None] = [None, None, None]
            parts = self.node_text(index).split(":")
            for position, part in enumerate(parts[:3]):
                if part.strip():
                    bounds[position] = int(part.strip(), 0)
            value = target.value[slice(*bounds)]
            return Val(value, True, target.hidden)
        key = self.fold(index)
        if key is None:
            return None
        if isinstance(target.value, Ref):  # __builtins__.__dict__["exec"], globals()["__builtins__"]
            base = target.value.name.removesuffix(".__dict__")
            if target.value.name == "builtins.globals()" and key.value == "__builtins__":
                return Val(Ref("builtins"), key.transformed, True, node)
            if target.value.name.endswith(".__dict__") and isinstance(key.value, str):
                return Val(Ref(f"{base}.{key.value}"), key.transformed, True, node)
            return None
        return Val(target.value[key.value], target.transformed or key.transformed)

    def _binary(self, node: Any) -> Val | None:
        left = self.fold(node.child_by_field_name("left"))
        right = self.fold(node.child_by_field_name("right"))
        operator = node.child_by_field_name("operator")
        if left is None or right is None or operator is None:
            return None
        op = self.node_text(operator)
        a, b = left.value, right.value
        if op == "+" and type(a) is type(b) and isinstance(a, (str, bytes, list, int)):
            return _combine([left, right], lambda items: items[0] + items[1])
        if op == "*" and isinstance(a, (str, bytes, list)) and isinstance(b, int) and len(a) * b <= MAX_TEXT:
            return Val(a * b, left.transformed)
        if op == "^" and isinstance(a, int) and isinstance(b, int):
            return Val(a ^ b, True)
        if op in ("-", "%", "//") and isinstance(a, int) and isinstance(b, int):
            return Val({"-": a - b, "%": a % b if b else 0, "//": a // b if b else 0}[op], True)
        return None

    def _comprehension(self, node: Any) -> Val | None:
        body = node.named_children[0] if node.named_children else None
        clause = next((c for c in node.named_children if c.type == "for_in_clause"), None)
        if body is None or clause is None or sum(c.type.endswith("_clause") for c in node.named_children) != 1:
            return None
        target, source = clause.child_by_field_name("left"), clause.child_by_field_name("right")
        items = self.fold(source) if source is not None else None
        if target is None or target.type != "identifier" or items is None:
            return None
        sequence = list(items.value) if isinstance(items.value, (list, str, bytes)) else None
        if sequence is None or len(sequence) > MAX_ITEMS:
            return None
        name, saved = self.node_text(target), self.env.get(self.node_text(target))
        results = []
        for item in sequence:
            self.env[name] = Val(item)
            self._forget(body)
            folded = self._safe(body)
            if folded is None:
                break
            results.append(folded.value)
        self._forget(body)
        self.env.pop(name, None)
        if saved is not None:
            self.env[name] = saved
        return Val(results, True) if len(results) == len(sequence) else None

    def _forget(self, node: Any) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            self._memo.pop(current.id, None)
            stack.extend(current.named_children)

    def _call(self, node: Any) -> Val | None:
        from skillscan.engines.pycalls import apply

        function = self.fold(node.child_by_field_name("function"))
        arguments = node.child_by_field_name("arguments")
        if function is None or arguments is None:
            return None
        if arguments.type == "generator_expression":  # f(x for x in y): the generator is the argument
            return apply(self, node, function, [arguments], {})
        positional = [c for c in arguments.named_children if c.type not in ("keyword_argument", "comment")]
        keywords = {self.node_text(c.child_by_field_name("name")): c.child_by_field_name("value")
                    for c in arguments.named_children if c.type == "keyword_argument"}
        return apply(self, node, function, positional, keywords)


def _combine(parts: list[Val | None], join: Callable[[Any], Any]) -> Val | None:
    if any(p is None for p in parts):
        return None
    values = [p.value for p in parts]  # type: ignore[union-attr]
    return Val(join(values), any(p.transformed for p in parts), any(p.hidden for p in parts))  # type: ignore[union-attr]


def decode(name: str, data: Any) -> Any:
    """A decoding function applied to a constant (str or bytes)."""
    if isinstance(data, str):
        data = data.encode("latin-1") if all(ord(c) < 256 for c in data) else data.encode()
    return _DECODERS[name](data)


def codec(data: Any, encoding: str, encode: bool) -> Any:
    encoding = encoding.lower().replace("-", "_")
    if encoding in ("rot13", "rot_13"):
        text = _text(data)
        return codecs.encode(text, "rot13") if text is not None else None
    table = {"base64": "base64.b64decode", "base_64": "base64.b64decode", "hex": "binascii.unhexlify",
             "zlib": "zlib.decompress", "zip": "zlib.decompress"}
    if not encode and encoding in table:
        return decode(table[encoding], data)
    if isinstance(data, bytes) and not encode:
        return data.decode(encoding)
    if isinstance(data, str) and encode:
        return data.encode(encoding)
    return None
