"""Property-based fuzzing of every parser that reads hostile text.

Runs briefly in the normal suite. At length, on demand:

    SKILLSCAN_FUZZ_SECONDS=600 pytest tests/fuzz -q      # about ten minutes per target

The properties: never raise, never hang, keep offsets inside the text, keep masking total. The
config parsers (JSONC, TOML positions, agent configs) and the archive reader also round-trip:
generated documents parse to what json / tomllib read, with every key on its own line, and
generated archives give back exactly their members.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import string
import tarfile
import tomllib
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from skillscan import archives, deobfuscate
from skillscan.load import decode
from skillscan.model import (
    Confidence,
    Context,
    Finding,
    Location,
    Polarity,
    ScanResult,
    Severity,
    Skill,
)
from skillscan.normalize import view
from skillscan.parse import agentconfig, frontmatter, jsonc, markdown, tomllines
from skillscan.report import Format, render
from skillscan.secrets import mask, mask_known

_SECONDS = float(os.environ.get("SKILLSCAN_FUZZ_SECONDS", "0"))
FUZZ = settings(max_examples=10_000_000 if _SECONDS else 150, deadline=None, suppress_health_check=list(HealthCheck))
_STARTED: dict[str, float] = {}

# Text with the characters parsers trip on: fences, YAML syntax, HTML, invisible and bidi marks.
ALPHABET = st.sampled_from(list("-:#*&!|>`~<>/\\'\"[]{}()%=+,;.\n\t ab01") +
                           ["\u200b", "\u202e", "\ufeff", "\U000e0041", "é", "ｗ", "е", "```", "---", "<!--", "-->"])
HOSTILE = st.lists(ALPHABET, max_size=400).map("".join) | st.text(max_size=400)


def _budget() -> None:
    """With SKILLSCAN_FUZZ_SECONDS set, each target runs until its own budget is spent."""
    import time

    if not _SECONDS:
        return
    target = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
    started = _STARTED.setdefault(target, time.monotonic())
    if time.monotonic() - started > _SECONDS:
        raise _BudgetSpent


class _BudgetSpent(BaseException):
    """Ends a long fuzzing run cleanly (BaseException: hypothesis does not treat it as a failure)."""


def _run(target):  # type: ignore[no-untyped-def]
    """Run a hypothesis target; a spent budget is a pass."""

    def wrapper() -> None:
        try:
            target()
        except _BudgetSpent:
            pass

    wrapper.__name__ = target.__name__
    return wrapper


@_run
@FUZZ
@given(HOSTILE)
def test_frontmatter_never_raises(body: str) -> None:
    _budget()
    result = frontmatter.parse("---\n" + body + "\n---\nbody")
    assert isinstance(result.data, dict)


@_run
@FUZZ
@given(HOSTILE)
def test_markdown_segments_stay_inside_the_text(text: str) -> None:
    _budget()
    segments, fences = markdown.segment(text)
    for segment in segments:
        assert text[segment.start_offset : segment.start_offset + len(segment.text)] == segment.text
    for fence in fences:
        assert fence.first_body_line >= 1


@_run
@FUZZ
@given(HOSTILE, st.sampled_from([None, "shell", "python", "powershell", "javascript"]))
def test_normalised_view_maps_back_inside_the_source(text: str, language: str | None) -> None:
    _budget()
    normal = view(text, language)
    for offset in range(len(normal.text)):
        assert 0 <= normal.source_offset(offset) < max(1, len(text))


@_run
@FUZZ
@given(HOSTILE | st.binary(max_size=300).map(lambda b: b.hex()) | st.binary(max_size=300).map(
    lambda b: __import__("base64").b64encode(b).decode()))
def test_decoders_never_raise_and_stay_bounded(text: str) -> None:
    _budget()
    for layer in deobfuscate.layers(text):
        assert 0 <= layer.offset <= len(text)
        assert len(layer.text) <= deobfuscate.MAX_DECODED_BYTES * 4


@_run
@FUZZ
@given(st.binary(max_size=600))
def test_decode_handles_any_bytes(data: bytes) -> None:
    _budget()
    text = decode(data)
    assert text is None or isinstance(text, str)


@_run
@FUZZ
@given(st.text(min_size=1, max_size=80), st.text(max_size=200))
def test_masking_never_leaks_a_known_secret(secret: str, text: str) -> None:
    _budget()
    if len(secret.strip()) < 12:
        return
    masked = mask_known(text + secret.strip() + text, {secret.strip()})
    assert secret.strip() not in masked or mask(secret.strip()) in secret.strip()


# ---------------------------------------------------------------- config parsers

# Characters config parsers trip on: quotes, escapes, comments, brackets, separators, odd spaces.
CONFIG_ALPHABET = st.sampled_from(list("{}[]\"',:=.#/\\*\n\r\t -+0123456789abenrtuxIfNl_$") +
                                  ["//", "/*", "*/", "\\u", "\\x", "\\ud800", "'''", '"""', "[[", "]]", "\u2028",
                                   "\ufeff", "\u00a0", "é", "true", "null", "Infinity", "NaN", "0x"])
CONFIG_TEXT = st.lists(CONFIG_ALPHABET, max_size=300).map("".join) | st.text(max_size=300)
JSON_SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=25)


def _lines_of(text: str) -> int:
    return text.count("\n") + 1


def _all_paths(value, path=()):  # type: ignore[no-untyped-def]
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _all_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _all_paths(item, (*path, index))


@_run
@FUZZ
@given(CONFIG_TEXT)
@example('"\\u-001"')  # int("-001", 16) is -1: chr() raised a plain ValueError
@example("+-Infinity")  # float("+-inf"): a plain ValueError
@example('{"evil\\ud800": "\\udc00"}')  # lone surrogates: no report could encode them
def test_jsonc_raises_only_its_error_and_lines_stay_inside(text: str) -> None:
    _budget()
    try:
        located = jsonc.parse(text)
    except jsonc.JsoncError as error:
        assert 1 <= error.line <= _lines_of(text)
        return
    lines = _lines_of(text)
    assert all(1 <= line <= lines for line in (*located.value_lines.values(), *located.key_lines.values()))
    for path in _all_paths(located.data):
        assert 1 <= located.line(path) <= lines
        if path and isinstance(path[-1], str):
            path[-1].encode("utf-8")  # keys and values always encodable: no lone surrogates from "\\ud800"
    for _, value in agentconfig.ConfigDoc(located, "json").leaves():
        str(value).encode("utf-8")
    _read_config(text, "mcp.json")


def _decorate(text: str, comments: bool, commas: bool) -> str:
    """`text` (json.dumps with indent) as JSONC: comments at the ends and starts of lines and
    trailing commas after the last member, without moving any line."""
    lines = text.split("\n")
    out = []
    for number, line in enumerate(lines):
        following = lines[number + 1].strip() if number + 1 < len(lines) else ""
        if commas and following[:1] in ("}", "]") and line.strip() not in ("{", "[") and not line.endswith((",", "{", "[")):
            line += ","
        if comments:
            indent = len(line) - len(line.lstrip(" "))
            line = f"{line[:indent]}/* {number} */{line[indent:]} // line {number} \"quoted\" /* not closed"
        out.append(line)
    return "\n".join(out)


@_run
@FUZZ
@given(JSON_VALUES, st.booleans(), st.booleans(), st.booleans())
def test_jsonc_reads_what_json_reads_with_comments_and_trailing_commas(
        value: object, ascii_only: bool, comments: bool, commas: bool) -> None:
    _budget()
    plain = json.dumps(value, indent=1, ensure_ascii=ascii_only)
    decorated = _decorate(plain, comments, commas)
    expected = json.loads(plain)
    located = jsonc.parse(decorated)
    assert located.data == expected
    lines = decorated.split("\n")
    assert located.key_lines == jsonc.parse(plain).key_lines
    for path, line in located.key_lines.items():  # each key is reported on the line that names it
        assert json.dumps(path[-1], ensure_ascii=ascii_only) + ":" in lines[line - 1]


# TOML: documents written line by line from generated tables, remembering where each key went.
TOML_KEY = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=8) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=6)
TOML_SCALAR = (st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.booleans()
               | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
               | st.floats(allow_nan=False, allow_infinity=False))


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but only \\uXXXX of scalar values (no
    surrogate pairs) and DEL escaped too."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if key and all(c in string.ascii_letters + string.digits + "_-" for c in key) else _toml_string(key)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"


TOML_INLINE = st.recursive(TOML_SCALAR, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(TOML_KEY, inner, min_size=1, max_size=3), max_leaves=8)
TOML_TABLE = st.dictionaries(TOML_KEY, TOML_INLINE, max_size=4)
TOML_DOC = st.tuples(TOML_TABLE, st.dictionaries(TOML_KEY, TOML_TABLE, max_size=3),
                     st.dictionaries(TOML_KEY, st.lists(TOML_TABLE, min_size=1, max_size=3), max_size=2))


@_run
@FUZZ
@given(TOML_DOC, st.booleans())
def test_toml_lines_point_at_every_key(doc: tuple, comments: bool) -> None:  # type: ignore[type-arg]
    _budget()
    top, tables, arrays = doc
    lines: list[str] = []
    where: dict[tuple, int] = {}  # type: ignore[type-arg]

    def emit(text: str) -> int:
        lines.append(text + (f"  # {len(lines)} = [x]" if comments else ""))
        return len(lines)

    def members(prefix: tuple, table: dict) -> None:  # type: ignore[type-arg]
        for key, value in table.items():
            where[(*prefix, key)] = emit(f"{_toml_key(key)} = {_toml_value(value)}")

    members((), top)
    for name, table in tables.items():
        if name in top:
            continue
        where[(name,)] = emit(f"[{_toml_key(name)}]")
        members((name,), table)
    for name, elements in arrays.items():
        if name in top or name in tables:
            continue
        for index, table in enumerate(elements):
            emit(f"[[{_toml_key(name)}]]")
            members((name, index), table)
    text = "\n".join(lines) + "\n"
    located = tomllines.parse(text)
    assert located.data == tomllib.loads(text)
    for path, line in where.items():
        assert located.key_lines.get(path) == line, (path, text)


@_run
@FUZZ
@given(CONFIG_TEXT | TOML_DOC.map(lambda doc: "\n".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in doc[0].items())))
def test_toml_raises_only_decode_errors_and_lines_stay_inside(text: str) -> None:
    _budget()
    try:
        located = tomllines.parse(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return
    lines = _lines_of(text)
    assert all(1 <= line <= lines for line in (*located.value_lines.values(), *located.key_lines.values()))
    for path in _all_paths(located.data):
        assert 1 <= located.line(path) <= lines
    _read_config(text, "config.toml")


def _read_config(text: str, name: str, shown: bool = False) -> Any:
    """The agent-config reader on any text: a document or None, and servers / hooks with lines
    inside the text; with `shown`, also what `discover` would print of them."""
    doc = agentconfig.read(text, name)
    if doc is None:
        return None
    lines = _lines_of(text)
    for server in doc.servers():
        assert 1 <= server.line <= lines and all(1 <= line <= lines for _, _, line in (*server.env, *server.headers))
        if shown:
            words = agentconfig.redact_words(list(server.command)) + [agentconfig.redact(server.url)]
            assert all(isinstance(word, str) for word in words)
    for hook in doc.hooks():
        assert 1 <= hook.line <= lines
        if shown:
            assert all(1 <= line <= lines for _, line in hook.parts)
            assert isinstance(agentconfig.redact(hook.command), str)
    return doc


# Agent configs: JSON built from the keys clients use, with hostile values in every shape.
CONFIG_KEYS = st.sampled_from(["mcpServers", "servers", "mcp_servers", "mcp", "context_servers", "command", "args",
                               "env", "environment", "headers", "http_headers", "url", "serverUrl", "type",
                               "transport", "hooks", "PreToolUse", "matcher", "bash", "powershell", "statusLine",
                               "notify", "apiKeyHelper", "tasks", "runOptions", "runOn", "when", "then", "path",
                               "requestInit", "name", "projects"]) | st.text(max_size=6)
CONFIG_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                  | st.sampled_from(["folderOpen", "http", "stdio", "command", "npx -y pkg", "--api-key",
                                     "https://u:p4ssw0rd-secret@h.example.net/x?token=abcdefghijkl",
                                     "sk-proj-" + "A1b2C3d4" * 4, "Bearer ghp_" + "x1Y2" * 9]) | st.text(max_size=20))
CONFIG_DATA = st.recursive(CONFIG_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(CONFIG_KEYS, inner, max_size=5), max_leaves=30)


# Entries shaped like what each client reads, every field of any type.
SERVER_ENTRY = st.fixed_dictionaries({}, optional={key: CONFIG_DATA for key in (
    "command", "args", "env", "headers", "url", "type", "transport", "requestInit", "environment")})
TASK_ENTRY = st.fixed_dictionaries({"runOptions": st.just({"runOn": "folderOpen"}) | CONFIG_DATA},
                                   optional={"command": CONFIG_DATA, "args": CONFIG_DATA, "label": CONFIG_DATA})
HOOK_ENTRY = st.fixed_dictionaries({}, optional={key: CONFIG_DATA for key in (
    "type", "command", "bash", "powershell", "url", "matcher", "hooks", "timeout")})
AGENT_CONFIGS = (CONFIG_DATA
                 | st.builds(lambda v: {"mcpServers": v}, CONFIG_DATA | st.dictionaries(st.text(max_size=8), SERVER_ENTRY))
                 | st.builds(lambda v: {"servers": v}, st.lists(SERVER_ENTRY, max_size=3))
                 | st.builds(lambda v: {"tasks": v}, st.lists(TASK_ENTRY, max_size=3))
                 | st.builds(lambda v: {"hooks": {"PreToolUse": [{"matcher": "*", "hooks": v}]}},
                             CONFIG_DATA | st.lists(HOOK_ENTRY, max_size=3))
                 | st.builds(lambda w, c: {"when": {"type": w}, "then": {"command": c}}, CONFIG_DATA, CONFIG_DATA)
                 | st.builds(lambda s, n: {"statusLine": s, "notify": n}, CONFIG_DATA, CONFIG_DATA))


@_run
@FUZZ
@given(AGENT_CONFIGS, st.sampled_from(["mcp.json", "settings.json", "config.toml", "tasks.json", "x.kiro.hook"]),
       st.booleans())
@example({"mcpServers": {"zed": {"command": {"path": "x", "args": True}}}}, "mcp.json", False)  # TypeError
@example({"tasks": [{"runOptions": {"runOn": "folderOpen"}, "command": "x", "args": 5}]}, "tasks.json", True)
def test_agent_config_reader_never_raises_and_lines_stay_inside(data: object, name: str, as_text: bool) -> None:
    _budget()
    if name.endswith(".toml"):
        text = "\n".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in data.items()
                         if _toml_safe(v)) if isinstance(data, dict) else ""
    else:
        text = json.dumps(data, indent=2 if as_text else None)
    doc = _read_config(text, name, shown=True)
    for path, value in doc.leaves() if doc is not None else ():
        assert not isinstance(value, (dict, list)) and 1 <= doc.line(path) <= _lines_of(text)


def _toml_safe(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_toml_safe(v) for v in value)
    if isinstance(value, dict):
        return all(_toml_safe(v) for v in value.values())
    return True


SECRET_TOKEN = st.text(alphabet=string.ascii_letters + string.digits, min_size=12, max_size=40)


@_run
@FUZZ
@given(SECRET_TOKEN, st.sampled_from(["--api-key", "--token", "-H", "--password", "--auth", "--client-secret"]),
       st.sampled_from(["{}", "Authorization: Bearer {}", "x-api-key={}", "https://bot:{}@mcp.acme.net/sse",
                        "token={}", "API_KEY={}", "--token {}"]), HOSTILE)
def test_redaction_never_shows_a_secret_value(secret: str, flag: str, template: str, noise: str) -> None:
    _budget()
    while secret in noise:
        noise = noise.replace(secret, "")
    words = [noise, flag, template.format(secret), noise]
    assert secret not in " ".join(agentconfig.redact_words(words))  # after a secret flag: masked whole
    if template != "{}" or flag != "-H":  # `-H VALUE` is only known as a header flag in word lists
        assert secret not in agentconfig.redact(f"{noise} {flag} {template.format(secret)}")


# Archives: bytes as members of real containers, and corrupt containers.
MEMBER_NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1,
                       max_size=30) | st.sampled_from(["../../etc/passwd", "/abs/path", "a\\..\\b", "dir/./x", "\x1b[31m"])
MEMBERS = st.lists(st.tuples(MEMBER_NAMES, st.binary(max_size=300)), min_size=1, max_size=6)


def _container(kind: str, entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    if kind in ("zip", "zip-stored"):
        method = zipfile.ZIP_STORED if kind == "zip-stored" else zipfile.ZIP_DEFLATED
        with zipfile.ZipFile(buffer, "w", method) as bundle, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate names are part of the hostility
            for name, content in entries:
                bundle.writestr(name, content)
    elif kind in ("tar", "tar.gz"):
        with tarfile.open(fileobj=buffer, mode="w:gz" if kind == "tar.gz" else "w") as bundle:
            for name, content in entries:
                info = tarfile.TarInfo(name)
                info.size = len(content)
                bundle.addfile(info, io.BytesIO(content))
    else:
        buffer.write(gzip.compress(entries[0][1]))
    return buffer.getvalue()


def _check_members(archive: PurePosixPath, data: bytes) -> list[tuple[PurePosixPath, bytes | None, str]]:
    found = list(archives.members(archive, data))
    assert len(found) <= archives.MAX_MEMBERS * archives.MAX_DEPTH + 2
    total = 0
    for path, content, reason in found:
        assert str(path).startswith(f"{archive}!")
        inner = str(path).split("!", 1)[1]
        assert ".." not in inner.split("/") and not inner.startswith("/") and inner.isprintable()
        if content is None:
            assert reason
        else:
            assert len(content) <= archives.MAX_MEMBER_BYTES
            total += len(content)
    assert total <= archives.MAX_TOTAL_BYTES * 2  # nested archives are counted once more as members
    return found


@_run
@FUZZ
@given(st.sampled_from(["zip", "zip-stored", "tar", "tar.gz", "gz"]), MEMBERS)
def test_archive_members_come_back_as_written(kind: str, entries: list[tuple[str, bytes]]) -> None:
    _budget()
    entries = [(name, content) for name, content in entries if not archives.is_archive(content)]
    if kind.startswith("tar"):
        entries = [(name.replace("\\", "/"), content) for name, content in entries]
    names = [name for name, _ in entries]
    if not entries or len(set(names)) != len(names) or any(not archives._safe_name(n) for n in names):
        return
    data = _container(kind, entries)
    found = _check_members(PurePosixPath("skill/bundle." + kind), data)
    contents = sorted(content for _, content, _ in found if content is not None)
    if kind == "gz":
        assert contents == [entries[0][1]] or (len(entries[0][1]) and len(data) and
                                                 len(entries[0][1]) / len(data) > archives.MAX_RATIO)
    elif not any(reason for _, _, reason in found):  # nothing skipped (dirs, links, ratio): every member back
        expected = sorted(content for name, content in entries if kind.startswith("tar") or not name.endswith("/"))
        assert contents == expected


@_run
@FUZZ
@given(st.sampled_from(["zip", "zip-stored", "tar", "tar.gz", "gz"]), MEMBERS,
       st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=8),
       st.integers(min_value=0))
def test_corrupt_archives_never_raise_and_stay_bounded(kind: str, entries: list[tuple[str, bytes]],
                                                       flips: list[tuple[int, int]], cut: int) -> None:
    _budget()
    data = bytearray(_container(kind, entries))
    for position, byte in flips:
        data[position % len(data)] = byte
    data = data[: max(4, len(data) - cut % max(1, len(data)))] if cut % 3 else data
    _check_members(PurePosixPath("bundle"), bytes(data))


def test_zip_member_with_an_empty_name_is_read_not_raised() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr(zipfile.ZipInfo(""), b"payload")
    found = list(archives.members(PurePosixPath("docs.zip"), buffer.getvalue()))
    assert found and all(str(path).startswith("docs.zip!") for path, _, _ in found)
    assert [content for _, content, _ in found] == [b"payload"]  # hidden behind an empty name, still scanned


@_run
@FUZZ
@given(st.sampled_from([b"PK\x03\x04", b"\x1f\x8b", b"\x1f\x8b\x08\x00", b"PK\x05\x06"]), st.binary(max_size=600),
       st.booleans())
@example(b"\x1f\x8b\x08\x00", b"", True)  # a corrupt deflate stream: zlib.error
def test_archive_magic_with_garbage_never_raises(magic: bytes, rest: bytes, ustar: bool) -> None:
    _budget()
    data = magic + rest
    if ustar:
        data = data.ljust(262, b"\0")[:257] + b"ustar" + data[262:]
    _check_members(PurePosixPath("garbage.bin"), data)


# ---------------------------------------------------------------- reporters

# Anything a skill controls: names, paths, messages, snippets, with control, bidi and lone
# surrogate characters (json.loads and YAML turn "\udc00" escapes into them).
REPORT_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60) | HOSTILE


@_run
@FUZZ
@given(REPORT_TEXT, REPORT_TEXT, REPORT_TEXT, REPORT_TEXT, st.booleans())
@example("x\ud800", "inst\udcffall.sh", "sh \udc00", "\x1b[2J", True)  # a non-UTF-8 file name; "\udc00" escapes
def test_every_report_format_renders_hostile_text_and_can_be_written(name: str, path: str, message: str, snippet: str,
                                                                     suppressed: bool) -> None:
    _budget()
    skill = Skill(Path("/skills") / "hostile", name, "path", "path", {}, ())
    finding = Finding("SKS-EXE-001", "pipe-to-shell", "Pipe to shell", "execution", Severity.HIGH, Confidence.HIGH,
                      message, skill, Location(PurePosixPath(path.replace("\0", "") or "x"), 3, 1, snippet),
                      Context(Polarity.INSTRUCTION, ""), "sks1:" + "0" * 40,
                      suppressed_by=f"inline: {message}" if suppressed else None)
    result = ScanResult((skill,), (finding,), (), ())
    for fmt in Format:
        text = render(result, fmt, Severity.HIGH)
        text.encode("utf-8")  # writable: a report is never lost to one character
        if fmt in (Format.JSON, Format.SARIF):
            data = json.loads(text)
            assert (data["findings"][0]["message"] if fmt is Format.JSON
                    else data["runs"][0]["results"][0]["message"]["text"]) == message
