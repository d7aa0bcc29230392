"""Download → execute and pipe-to-interpreter, found structurally in shell scripts.

Two kinds of flow, from the facts `skillscan.engines.shellcmd` extracts:

- `pipe_to_interpreter`: a download streams straight into an interpreter — `curl … | sh`,
  `wget -qO- … \\ | python3 -` over continued lines, `bash <(curl …)`, `sh <<< "$(curl …)"`,
  `curl … | base64 -d | bash`, `python3 -c "…urlopen…" | sh`.
- `download_execute`: downloaded content is kept and then run — `c=$(curl …); bash -c "$c"`,
  `eval "$(wget -O- …)"`, `echo "$c" | sh`, `curl -o /tmp/i.sh …; sh /tmp/i.sh`,
  `wget URL; chmod +x f; ./f`, `source ./downloaded.sh`, and inline code that does both
  (`python3 -c "exec(urlopen(…).read())"`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from skillscan.engines import commands as names
from skillscan.engines.shellcmd import Cmd, Script, extract
from skillscan.model import Span

PIPE = "pipe_to_interpreter"
EXECUTE = "download_execute"
KINDS = (PIPE, EXECUTE)
_EVIDENCE = 200


@dataclass(frozen=True)
class Flow:
    kind: str
    span: Span
    text: str  # evidence
    note: str
    related: Span | None = None  # where the download happens, when elsewhere


def flows(text: str) -> list[Flow]:
    script = extract(text)
    found: list[Flow] = []
    seen: set[tuple[str, int, int]] = set()
    for cmd in script.commands:
        for flow in _flows_of(cmd, script):
            key = (flow.kind, flow.span.start_line, flow.span.start_col)
            if key not in seen:
                seen.add(key)
                found.append(flow)
    return found


def _flows_of(cmd: Cmd, script: Script) -> Iterator[Flow]:
    name = cmd.name
    if cmd.stdin_remote is not None and names.reads_stdin(cmd):
        download = cmd.stdin_remote
        if cmd.stdin_via == "stream":
            yield Flow(PIPE, _cover(download.span, cmd.span), _short(f"{download.text} | {cmd.text}"),
                       f"`{_short(download.text, 60)}` streamed into {name}")
        else:
            yield _execute(cmd, download, f"fed to {name} on stdin ({cmd.stdin_via or 'variable'})")
    script_word = names.script_word(cmd)
    if script_word is not None:
        if script_word.process and script_word.remote is not None:
            yield Flow(PIPE, cmd.span, _short(cmd.text), f"{name} runs a process substitution of "
                       f"`{_short(script_word.remote.text, 60)}`")
        elif script_word.literal:
            saved = _earlier_download(script_word.text, cmd, script)
            if saved is not None:
                yield _execute(cmd, saved, f"the downloaded file {script_word.text} is run by {name}")
    code = names.code_word(cmd)
    if code is not None:
        if code.remote is not None:
            yield _execute(cmd, code.remote, f"passed to {name} as code")
        elif names.family(name) != "shell" and names.INLINE_DOWNLOAD.search(code.text) and names.INLINE_EXECUTE.search(code.text):
            yield Flow(EXECUTE, cmd.span, _short(cmd.text), f"inline {name} code downloads and executes")
    if cmd.argv and "/" in cmd.argv[0] and not names.is_interpreter(name):
        program = _earlier_download(cmd.argv[0], cmd, script)
        if program is not None:
            yield _execute(cmd, program, f"the downloaded file {cmd.argv[0]} is executed")


def _earlier_download(path: str, cmd: Cmd, script: Script) -> Cmd | None:
    download = names.downloaded(path, script.downloads)
    if download is None or download is cmd or download.span.start_line > cmd.span.start_line:
        return None
    return download  # type: ignore[no-any-return]


def _execute(cmd: Cmd, download: Cmd, how: str) -> Flow:
    where = f" (line {download.span.start_line})" if download.span.start_line != cmd.span.start_line else ""
    related = download.span if download.span != cmd.span else None
    return Flow(EXECUTE, cmd.span, _short(cmd.text), f"`{_short(download.text, 60)}`{where} {how}", related)


def _cover(first: Span, last: Span) -> Span:
    if (first.start_line, first.start_col) <= (last.start_line, last.start_col):
        return Span(first.start_line, first.start_col, last.end_line, last.end_col)
    return last


def _short(text: str, limit: int = _EVIDENCE) -> str:
    flat = " ".join(text.replace("\\\n", " ").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
