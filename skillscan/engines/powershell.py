"""PowerShell download cradles: `IEX (New-Object Net.WebClient).DownloadString(…)`, `iwr … | iex`,
`$c = irm …; Invoke-Expression $c`, `iwr … -OutFile f; Start-Process f`.

Statements come from the `tree-sitter-powershell` grammar (Airbus CERT) when that optional wheel
is installed: every `pipeline` node, so multi-line strings, here-strings and script blocks split
correctly. Without it, a documented text fallback reads `.ps1`: `<# … #>` and `#` comments are
dropped, backtick line continuations joined, and lines split on `;` outside quotes. The analysis
itself is the same on both paths and works on statement text: which statements download, which
execute, and which variables and files carry downloaded content between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skillscan.engines import grammars
from skillscan.engines.shellflow import EXECUTE, PIPE, Flow
from skillscan.model import Span

DOWNLOAD = re.compile(
    r"(?i)\.download(?:string|data|file)(?:async|taskasync)?\b|\b(?:iwr|irm|invoke-webrequest|invoke-restmethod|"
    r"start-bitstransfer)\b|\.get(?:string|bytearray|stream)async\b|\bnet\.http\.httpclient\b|msxml2\.xmlhttp|"
    r"winhttp\.winhttprequest|\b(?:curl|wget)(?:\.exe)?\s+['\"]?https?://"
)
EXECUTE_CODE = re.compile(
    r"(?i)\b(?:iex|invoke-expression)\b|\[scriptblock\]::create|\.invokescript\(|"
    r"\bpowershell(?:\.exe)?\s+(?:-\w+\s+)*-(?:c|command|e|ec|enc|encodedcommand)\b"
)
RUN_FILE = re.compile(r"(?i)^\s*(?:start-process|saps|start|invoke-item|ii|&|\.)\s+(?:-filepath\s+)?(?P<target>\S+)")
_ASSIGN = re.compile(r"(?is)^\s*\$(?:script:|global:|local:)?\{?(?P<name>\w+)\}?\s*=(?!=)\s*(?P<value>.*)$")
_VARIABLE = re.compile(r"(?i)\$(?:script:|global:|local:)?\{?(\w+)\}?")
_OUTFILE = re.compile(r"(?i)(?:-outfile\s+|\.downloadfile\s*\([^,]+,\s*)(?P<path>\"[^\"]+\"|'[^']+'|\S+?)(?=[\s)]|$)")
_EVIDENCE = 200


@dataclass(frozen=True)
class Statement:
    text: str
    span: Span


def flows(text: str) -> list[Flow]:
    tainted: dict[str, Statement] = {}  # variable → the download that filled it
    files: dict[str, Statement] = {}  # written file → the download
    found: list[Flow] = []
    for statement in statements(text):
        body = statement.text
        downloads = bool(DOWNLOAD.search(body))
        assigned = _ASSIGN.match(body)
        value = assigned.group("value") if assigned else body
        source = statement if downloads else next(
            (tainted[v.lower()] for v in _VARIABLE.findall(value) if v.lower() in tainted), None)
        for match in _OUTFILE.finditer(body):
            files[_unquote(match.group("path")).lower()] = statement
        if assigned and source is not None and not EXECUTE_CODE.search(value):
            tainted[assigned.group("name").lower()] = source
            continue
        flow = _flow(statement, source, files)
        if flow is not None:
            found.append(flow)
    return found


def _flow(statement: Statement, source: Statement | None, files: dict[str, Statement]) -> Flow | None:
    body = statement.text
    stages = split_outside_quotes(body, "|")
    if source is not None and EXECUTE_CODE.search(body):
        piped = len(stages) > 1 and EXECUTE_CODE.match(stages[-1].strip()) and DOWNLOAD.search(" ".join(stages[:-1]))
        if piped:
            return Flow(PIPE, statement.span, _short(body), "downloaded script piped into Invoke-Expression")
        return _flow_from(statement, source, "downloaded content run with Invoke-Expression")
    run = RUN_FILE.match(body)
    if run is not None:
        target = _unquote(run.group("target")).lower()
        download = files.get(target)
        if download is not None:
            return _flow_from(statement, download, f"the downloaded file {run.group('target')} is started")
    return None


def _flow_from(statement: Statement, source: Statement, how: str) -> Flow:
    elsewhere = source.span.start_line != statement.span.start_line
    note = f"`{_short(source.text, 60)}` (line {source.span.start_line}) {how}" if elsewhere else how
    return Flow(EXECUTE, statement.span, _short(statement.text), note, source.span if elsewhere else None)


def statements(text: str) -> list[Statement]:
    if grammars.language("powershell") is not None:
        return _grammar_statements(text)
    return _text_statements(text)


def _grammar_statements(text: str) -> list[Statement]:
    source = grammars.Source(text, "powershell")
    found: list[Statement] = []
    stack = [source.root] if source.root is not None else []
    while stack:
        node = stack.pop()
        if node.type == "pipeline" and (node.parent is None or node.parent.type != "assignment_expression"):
            found.append(Statement(source.node_text(node), source.span(node)))
        stack.extend(reversed(node.named_children))
    found.sort(key=lambda s: (s.span.start_line, s.span.start_col))
    return found


def _text_statements(text: str) -> list[Statement]:
    text = re.sub(r"(?s)<#.*?#>", lambda m: "\n" * m.group(0).count("\n"), text)
    found: list[Statement] = []
    lines = text.split("\n")
    number = 0
    while number < len(lines):
        start = number
        logical = _drop_comment(lines[number])
        while logical.rstrip().endswith("`") and number + 1 < len(lines):
            number += 1
            logical = logical.rstrip()[:-1] + " " + _drop_comment(lines[number])
        for part in split_outside_quotes(logical, ";"):
            if part.strip():
                found.append(Statement(part.strip(), Span(start + 1, 1, number + 1, len(lines[number]) + 1)))
        number += 1
    return found


def split_outside_quotes(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quote, depth = "", 0
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "({":
            depth += 1
        elif char in ")}":
            depth = max(0, depth - 1)
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _drop_comment(line: str) -> str:
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def _unquote(text: str) -> str:
    return text.strip().strip("\"'").rstrip(";)")


def _short(text: str, limit: int = _EVIDENCE) -> str:
    flat = " ".join(text.replace("`\n", " ").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
