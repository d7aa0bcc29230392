"""Shell command extraction over the tree-sitter bash tree.

Lists every command with its resolved arguments through pipelines, `$(…)` and backticks,
process substitution, `bash -c "…"` / `eval` / `su -c` strings (parsed again, depth-limited),
here-docs and here-strings, line continuations, and literal variable assignments. Nothing is
executed: a variable resolves only from a literal assignment seen earlier in the text.

Besides the words, each command records where downloaded content flows: a `Word.remote` is the
download whose output the word carries (`$(curl …)`, a variable assigned from one), and
`Cmd.stdin_remote` the download streaming into its stdin. `skillscan.engines.shellflow` turns
those facts into download→execute and pipe-to-interpreter findings.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any

from skillscan.engines import commands as names
from skillscan.engines.grammars import Source
from skillscan.model import Span

MAX_DEPTH = 6  # nested `bash -c` / `eval` / here-doc levels
MAX_COMMANDS = 20000
_ESCAPE = re.compile(r"\\(\n|.)", re.DOTALL)
_PASSES_STDOUT = frozenset({"list", "subshell", "compound_statement"})


@dataclass
class Word:
    text: str
    literal: bool = True
    remote: Cmd | None = None  # the download whose output this word carries
    via: str = ""  # "stream" (straight from the download) or "variable"
    process: bool = False  # a process substitution <(…)


@dataclass
class Cmd:
    argv: list[str]  # wrapper-stripped (sudo, env, nohup …) and resolved
    words: list[Word]
    span: Span
    text: str
    stdin_remote: Cmd | None = None
    stdin_via: str = ""
    out_file: str | None = None  # file a download writes to
    heredoc: str = ""  # here-doc body fed to this command

    @property
    def name(self) -> str:
        return names.normalise(self.argv[0]) if self.argv else ""


@dataclass
class Script:
    commands: list[Cmd] = field(default_factory=list)
    env: dict[str, Word] = field(default_factory=dict)
    downloads: dict[str, Cmd] = field(default_factory=dict)  # written file → download


@dataclass(frozen=True)
class _Where:
    source: Source
    base: Span | None = None  # inside a re-parsed string: every position is the string's
    shift: int = 0  # inside a here-doc body: lines below the body's start
    depth: int = 0


def extract(text: str) -> Script:
    script = Script()
    _parse_into(script, text, None, 0, 0)
    return script


def _parse_into(script: Script, text: str, base: Span | None, shift: int, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    source = Source(_strip_prompts(text), "shell")
    if source.root is not None:
        _Walker(script, _Where(source, base, shift, depth)).statement(source.root)


def _strip_prompts(text: str) -> str:
    """`$ curl …` lines of console fences: blank the prompt, keep the columns."""
    return re.sub(r"(?m)^([ \t]*)\$ ", r"\1  ", text)  # [ \t]*, not \s*: that would run over blank lines (quadratic)


class _Walker:
    def __init__(self, script: Script, where: _Where) -> None:
        self.script = script
        self.where = where

    def span(self, node: Any) -> Span:
        if self.where.base is not None:
            return self.where.base
        s = self.where.source.span(node)
        shift = self.where.shift
        return Span(s.start_line + shift, s.start_col, s.end_line + shift, s.end_col)

    def text(self, node: Any) -> str:
        return self.where.source.node_text(node)

    # statements -----------------------------------------------------------------------------
    def statement(self, node: Any, stdin: tuple[Cmd | None, str] = (None, "")) -> Cmd | None:
        """Walk one statement; returns its last command (whose stdout a pipeline passes on)."""
        kind = node.type
        if kind == "command":
            return self.command(node, stdin)
        if kind == "pipeline":
            return self.pipeline([c for c in node.named_children if c.type != "comment"], stdin)
        if kind == "redirected_statement":
            return self.redirected(node, stdin)
        if kind == "variable_assignment":
            self.assign(node)
            return None
        if kind == "declaration_command":
            for child in node.named_children:
                if child.type == "variable_assignment":
                    self.assign(child)
            return None
        last = None
        for child in node.named_children:  # compound statements, and $(…) inside tests etc.
            if child.type != "comment":
                last = self.statement(child)
        return last if kind in _PASSES_STDOUT else None

    def pipeline(self, stages: list[Any], stdin: tuple[Cmd | None, str]) -> Cmd | None:
        flowing = stdin
        last = None
        for stage in stages:
            last = self.statement(stage, flowing)
            flowing = _stdout(last, self.script) if last is not None else (None, "")
        return last

    def redirected(self, node: Any, stdin: tuple[Cmd | None, str]) -> Cmd | None:
        body = node.child_by_field_name("body") or (node.named_children[0] if node.named_children else None)
        redirects = [c for c in node.named_children if c is not body]
        heredoc = next((r for r in redirects if r.type == "heredoc_redirect"), None)
        cmd = self.statement(body, stdin) if body is not None else None
        for redirect in redirects:
            if redirect.type == "file_redirect" and cmd is not None:
                self.file_redirect(redirect, cmd)
            elif redirect.type == "herestring_redirect" and cmd is not None:
                self.herestring(redirect, cmd)
        if heredoc is not None and cmd is not None:
            return self.here_document(heredoc, cmd)
        return cmd

    def here_document(self, redirect: Any, cmd: Cmd) -> Cmd | None:
        body = next((c for c in redirect.named_children if c.type == "heredoc_body"), None)
        # `cat <<EOF | bash`: the grammar hangs the rest of the pipeline off the redirect
        rest = [c for c in redirect.named_children if c.type in ("pipeline", "command", "redirected_statement")]
        stages = rest[0].named_children if rest and rest[0].type == "pipeline" else rest
        receiver = cmd
        for stage in stages:
            receiver = self.statement(stage, (None, "")) or receiver
        if body is not None:
            for child in body.named_children:  # $(…) in an unquoted here-doc runs at expansion
                self.walk_expansions(child)
            cmd.heredoc = self.text(body)
            # a shell reads it as code (`bash <<EOF`, `cat <<EOF | sh`), or cat/tee writes a script
            if names.is_shell(receiver.name) or cmd.name in ("cat", "tee"):
                _parse_into(self.script, cmd.heredoc, self.where.base,
                            self.where.shift + body.start_point[0], self.where.depth + 1)
        return receiver

    def walk_expansions(self, node: Any) -> None:
        if node.type in ("command_substitution", "process_substitution"):
            self.word(node)
            return
        for child in node.named_children:
            self.walk_expansions(child)

    def file_redirect(self, redirect: Any, cmd: Cmd) -> None:
        target = redirect.child_by_field_name("destination") or (redirect.named_children[-1] if redirect.named_children else None)
        operator = self.text(redirect).lstrip("0123456789")
        if target is None or not operator.startswith((">", "&>")):
            return
        path = self.word(target)
        if path.literal and names.is_downloader(cmd.name) and cmd.out_file is None:
            cmd.out_file = path.text
            self.script.downloads[path.text] = cmd

    def herestring(self, redirect: Any, cmd: Cmd) -> None:
        words = [self.word(c) for c in redirect.named_children]
        remote = next((w for w in words if w.remote is not None), None)
        if remote is not None:
            cmd.stdin_remote, cmd.stdin_via = remote.remote, remote.via or "stream"

    # commands -------------------------------------------------------------------------------
    def command(self, node: Any, stdin: tuple[Cmd | None, str]) -> Cmd | None:
        if len(self.script.commands) >= MAX_COMMANDS:
            return None
        words: list[Word] = []
        cmd_span = self.span(node)
        herestrings = []
        for child in node.named_children:
            if child.type == "variable_assignment":
                self.assign(child, export=False)
            elif child.type == "command_name":
                words.append(self.word(child.named_children[0] if child.named_children else child))
            elif child.type == "herestring_redirect":
                herestrings.append(child)
            elif child.type == "file_redirect":
                continue
            elif child.type != "comment":
                words.append(self.word(child))
        words = names.strip_wrappers(words)
        cmd = Cmd([w.text for w in words], words, cmd_span, self.text(node).strip())
        cmd.stdin_remote, cmd.stdin_via = stdin
        for redirect in herestrings:
            self.herestring(redirect, cmd)
        for redirect in (c for c in node.named_children if c.type == "file_redirect"):
            self.file_redirect(redirect, cmd)
        if names.is_downloader(cmd.name):
            out = names.download_target(cmd.argv)
            if out and cmd.out_file is None:
                cmd.out_file = out
                self.script.downloads[out] = cmd
        self.script.commands.append(cmd)
        self.nested_code(cmd)
        return cmd

    def nested_code(self, cmd: Cmd) -> None:
        """`bash -c "…"`, `eval …`, `su -c …`: parse the literal code as shell again."""
        code = names.shell_code(cmd)
        if code is not None and code.literal:
            _parse_into(self.script, code.text, cmd.span, 0, self.where.depth + 1)

    def assign(self, node: Any, export: bool = True) -> None:
        name_node = node.child_by_field_name("name") or (node.named_children[0] if node.named_children else None)
        value = node.child_by_field_name("value")
        if name_node is None:
            return
        word = self.word(value) if value is not None else Word("")
        if export and value is not None and value.type != "array":
            if word.remote is not None and not word.via:
                word.via = "variable"
            self.script.env[self.text(name_node)] = Word(word.text, word.literal, word.remote,
                                                         "variable" if word.remote else "")

    # words ----------------------------------------------------------------------------------
    def word(self, node: Any) -> Word:
        kind = node.type
        if kind == "word":
            return Word(_ESCAPE.sub(lambda m: "" if m.group(1) == "\n" else m.group(1), self.text(node)))
        if kind == "raw_string":
            return Word(self.text(node)[1:-1])
        if kind == "ansi_c_string":
            return Word(_ansi_c(self.text(node)[2:-1]))
        if kind == "number":
            return Word(self.text(node))
        if kind in ("string", "concatenation", "translated_string"):
            return self.joined(node, quoted=kind != "concatenation")
        if kind in ("simple_expansion", "expansion"):
            return self.expansion(node)
        if kind in ("command_substitution", "process_substitution"):
            return self.substitution(node)
        for child in node.named_children:
            self.walk_expansions(child)
        return Word(self.text(node), literal=False)

    def joined(self, node: Any, quoted: bool) -> Word:
        data = self.where.source.data
        start, end = (node.start_byte + 1, node.end_byte - 1) if quoted else (node.start_byte, node.end_byte)
        if quoted and self.text(node).startswith('$"'):
            start += 1
        parts: list[str] = []
        literal, remote, via, position = True, None, "", start
        for child in node.named_children:
            if child.start_byte > position:
                parts.append(data[position : child.start_byte].decode("utf-8", "replace"))
            part = self.word(child)
            parts.append(part.text)
            literal = literal and part.literal
            if part.remote is not None and remote is None:
                remote, via = part.remote, part.via
            position = max(position, child.end_byte)
        if end > position:
            parts.append(data[position:end].decode("utf-8", "replace"))
        text = "".join(parts)
        if quoted:
            text = re.sub(r'\\([$`"\\\n])', lambda m: "" if m.group(1) == "\n" else m.group(1), text)
        return Word(text, literal, remote, via)

    def expansion(self, node: Any) -> Word:
        variable = next((c for c in node.named_children if c.type in ("variable_name", "special_variable_name")), None)
        plain = variable is not None and len(node.named_children) == 1
        if plain:
            known = self.script.env.get(self.text(variable))
            if known is not None:
                return Word(known.text, known.literal, known.remote, known.via)
        for child in node.named_children:
            self.walk_expansions(child)
        return Word(self.text(node), literal=False)

    def substitution(self, node: Any) -> Word:
        last = None
        for child in node.named_children:
            if child.type != "comment":
                last = self.statement(child)
        remote, via = _stdout(last, self.script) if last is not None else (None, "")
        marker = "<(…)" if node.type == "process_substitution" else "$(…)"
        return Word(marker, literal=False, remote=remote, via=via, process=node.type == "process_substitution")


def _stdout(cmd: Cmd | None, script: Script) -> tuple[Cmd | None, str]:
    """The download a command's stdout carries, and how it got there."""
    if cmd is None:
        return None, ""
    if names.is_downloader(cmd.name) and names.downloads_to_stdout(cmd.argv):
        return cmd, "stream"
    code = names.code_word(cmd) if names.is_interpreter(cmd.name) and not names.is_shell(cmd.name) else None
    if code is not None and names.INLINE_DOWNLOAD.search(code.text):
        return cmd, "stream"  # python3 -c "…urlopen(…).read()…"
    if cmd.name in names.PASSTHROUGH and cmd.stdin_remote is not None:
        return cmd.stdin_remote, cmd.stdin_via
    if cmd.name in ("echo", "printf", "print"):
        remote = next((w for w in cmd.words[1:] if w.remote is not None), None)
        if remote is not None:
            return remote.remote, remote.via or "stream"
    if cmd.name in names.PASSTHROUGH:
        for arg in cmd.argv[1:]:
            found = names.downloaded(arg, script.downloads)
            if found is not None:
                return found, "file"
    return None, ""


def _ansi_c(body: str) -> str:
    try:
        return codecs.decode(body.encode("latin-1", "backslashreplace"), "unicode_escape")
    except (UnicodeDecodeError, ValueError):
        return body
