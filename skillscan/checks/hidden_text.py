"""Hidden-text checks that a regex cannot express well (C02).

- `mixed_script_tokens`: one word, identifier or host label that mixes Latin letters with
  look-alike Cyrillic/Greek letters or fullwidth/mathematical letters (homoglyph spoofing), and
  host labels written entirely in look-alike letters (`аррӏе.com`).
- `terminal_escapes`: terminal control sequences. `mode: raw` — raw ESC/CSI/backspace/lone-CR
  control characters in text files (Markdown, documents, configs), where nothing should drive a
  terminal; `mode: conceal` — sequences that hide or overwrite what a human sees: SGR 8
  ("conceal", raw or written as an escape in code) anywhere, cursor moves and erases in text.
  The two modes never report the same sequence.
- `blank_line_gap`: content placed after a long run of blank lines or hundreds of spaces, where a
  reviewer scrolling the file (or a registry preview) will not see it.
- `invisible_payload`: long runs of invisible characters that carry data (variation-selector or
  zero-width binary smuggling); decoded when the encoding is recognisable.

Each function honours the rule's `applies_to` (artifact kinds and languages) itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from skillscan.unicode_sets import VARIATION_SELECTORS, ZERO_WIDTH
from skillscan.model import Artifact, ArtifactKind, Match, Skill, Span
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex

# Cyrillic and Greek letters that render like Latin letters (lower and upper case).
_CONFUSABLE = frozenset(
    "аеорсухѕіјһԁԛԝӏɡвкмнтАВЕКМНОРСТХЅІЈҮԚԜЗЬ"  # Cyrillic
    "οναρικυγτΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"  # Greek
)
_TOKEN = re.compile(r"[^\W_]+(?:[_'][^\W_]+)*")
# Host-like runs: word characters, dots and hyphens (linear; split into labels afterwards).
_HOST_RUN = re.compile(r"[\w.-]+")


def _hosts(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, host) for every dotted name with at least two labels and an alphabetic TLD."""
    for found in _HOST_RUN.finditer(text):
        run = found.group(0)
        if "." not in run:
            continue
        stripped = run.strip(".-_")
        start = found.start() + run.index(stripped) if stripped else found.start()
        labels = stripped.split(".")
        if len(labels) < 2 or not all(labels) or not any(c.isalpha() for c in labels[-1]):
            continue
        if any(c.isdigit() for c in labels[-1]):
            continue
        yield start, start + len(stripped), stripped


def _applicable(rule: Rule, skill: Skill) -> Iterator[Artifact]:
    for artifact in skill.artifacts:
        if artifact.is_virtual or artifact.kind is ArtifactKind.BINARY or not artifact.text:
            continue
        if rule.applies_to.accepts(artifact.kind, artifact.language):
            yield artifact


def _script(char: str) -> str:
    if char.isascii():
        return "latin" if char.isalpha() else "common"
    name = unicodedata.name(char, "")
    if name.startswith("FULLWIDTH LATIN") or name.startswith("MATHEMATICAL"):
        return "styled"
    for script in ("LATIN", "CYRILLIC", "GREEK"):
        if name.startswith(script):
            return script.lower()
    return "common" if not char.isalpha() else "other"


def _skeleton(token: str) -> str:
    """The token with every look-alike replaced by an ASCII stand-in, for the report."""
    folded = unicodedata.normalize("NFKC", token)
    table = str.maketrans("аеорсухѕіјһԁԛԝӏɡвкмнтАВЕКМНОРСТХЅІЈҮԚԜЗЬοναρικυγτΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
                          "aeopcyxsijhdqwlgbkmhtABEKMHOPCTXSIJYQW3bovapikuytABEZHIKMNOPTYX")
    return folded.translate(table)


def _spoofed(token: str) -> str | None:
    """Why a token looks spoofed, or None."""
    scripts: dict[str, list[str]] = {}
    for char in token:
        scripts.setdefault(_script(char), []).append(char)
    foreign = scripts.get("cyrillic", []) + scripts.get("greek", [])
    if scripts.get("latin") and foreign and all(c in _CONFUSABLE for c in foreign):
        return "mixes Latin with look-alike " + ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}"
                                                          for c in dict.fromkeys(foreign))
    if scripts.get("latin") and scripts.get("styled"):
        return "mixes ASCII letters with fullwidth/mathematical letters"
    return None


def _whole_label_spoof(host: str) -> str | None:
    labels = host.split(".")
    ascii_labels = [label for label in labels if label.isascii()]
    for label in labels:
        letters = [c for c in label if c.isalpha()]
        if not label.isascii() and letters and ascii_labels and all(c in _CONFUSABLE for c in letters):
            return f"label {label!r} is written entirely in Cyrillic/Greek look-alikes of Latin letters"
    return None


def mixed_script_tokens(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Homoglyph tokens: Latin mixed with look-alike letters, or all-look-alike host labels."""
    limit = int(rule.match.get("max_hits", 20))
    for artifact in _applicable(rule, skill):
        text = artifact.text
        if text.isascii():
            continue
        index = LineIndex(text)
        hits = 0
        reported: set[int] = set()
        for start, end, host in _hosts(text):
            if host.isascii():
                continue
            why = _whole_label_spoof(host) or next((w for w in map(_spoofed, host.split(".")) if w), None)
            if why:
                reported.update(range(start, end))
                hits += 1
                yield Match(rule.id, artifact, index.span(start, end), host,
                            note=f"reads as {_skeleton(host)!r}: {why}")
                if hits >= limit:
                    break
        for found in _TOKEN.finditer(text):
            if hits >= limit:
                break
            token = found.group(0)
            if token.isascii() or found.start() in reported:
                continue
            why = _spoofed(token)
            if why:
                hits += 1
                yield Match(rule.id, artifact, index.span(found.start(), found.end()), token,
                            note=f"reads as {_skeleton(token)!r}: {why}")


# --- terminal escapes -------------------------------------------------------------------------

_RAW_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?"  # OSC (hyperlinks, titles)
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x1b"  # a lone ESC
    r"|\x08+"  # backspaces overwrite what came before
    r"|\r(?!\n|$)"  # a carriage return inside a line overwrites it on a terminal
)
_ESCAPED_ESC = r"(?:\x1b|\\x1[bB]|\\0?33|\\e|\\u001[bB]|\\u\{1[bB]\}|`e|\\E)"
_ESCAPED_SGR = re.compile(_ESCAPED_ESC + r"\[([0-9;:]*)m")


def _sgr_conceals(params: str) -> bool:
    """True when an SGR parameter list switches on conceal (8), skipping 38/48/58 colour args."""
    values = [p for p in re.split(r"[;:]", params)] if params else ["0"]
    position = 0
    while position < len(values):
        value = values[position]
        if value in ("38", "48", "58"):
            mode = values[position + 1] if position + 1 < len(values) else ""
            position += 3 if mode == "5" else 5 if mode == "2" else 2
            continue
        if value.lstrip("0") == "8":
            return True
        position += 1
    return False


def _raw_conceals(sequence: str) -> bool:
    if sequence.startswith(("\x1b[", "\x9b")) and sequence[-1:] == "m":
        return _sgr_conceals(sequence[2 if sequence.startswith("\x1b") else 1 : -1])
    # cursor up / position, erase line or screen: overwrite what was shown
    return sequence.startswith(("\x1b[", "\x9b")) and sequence[-1:] in "ABHfJK"


def terminal_escapes(rule: Rule, skill: Skill) -> Iterator[Match]:
    mode = rule.match.get("mode", "raw")
    for artifact in _applicable(rule, skill):
        text = artifact.text
        index = LineIndex(text)
        is_script = artifact.kind is ArtifactKind.SCRIPT
        hits = 0
        seen_lines: set[int] = set()
        if mode == "conceal":
            for found in _ESCAPED_SGR.finditer(text):
                if _sgr_conceals(found.group(1)):
                    hits += 1
                    yield Match(rule.id, artifact, index.span(found.start(), found.end()), _visible(found.group(0)),
                                note="SGR 8 makes the following text invisible on a terminal")
            if is_script:
                continue
        if not any(c in text for c in "\x1b\x9b\x08\r"):
            continue
        for found in _RAW_SEQUENCE.finditer(text):
            sequence = found.group(0)
            conceals = _raw_conceals(sequence)
            if mode == "conceal":
                # SGR 8 was reported above; here only the cursor moves and erases in text files
                if not conceals or sequence.endswith("m"):
                    continue
            elif conceals:
                continue
            line, _ = index.position(found.start())
            if line in seen_lines:
                continue
            seen_lines.add(line)
            hits += 1
            yield Match(rule.id, artifact, index.span(found.start(), found.end()), _visible(sequence),
                        note=f"line shows as: {_visible(index.line_text(line).strip())[:120]!r}")
            if hits >= 20:
                break


def _visible(text: str) -> str:
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
                   for c in text)


# --- whitespace hiding ------------------------------------------------------------------------

_COMMENT_LINE = re.compile(r"^<!--.*-->$")

def blank_line_gap(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Content after `min_blank_lines` blank lines, or after `min_spaces` spaces on one line."""
    min_blank = int(rule.match.get("min_blank_lines", 40))
    min_spaces = int(rule.match.get("min_spaces", 150))
    for artifact in _applicable(rule, skill):
        lines = artifact.text.split("\n")
        blank_run = 0
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if not stripped:
                blank_run += 1
                continue
            if blank_run >= min_blank and number - blank_run > 1:
                # point at the first line of rendered text (a one-line comment right after the gap
                # is skipped for the location; the comment rules report comments themselves)
                target = number
                if _COMMENT_LINE.match(stripped) and number < len(lines) and lines[number].strip():
                    target = number + 1
                shown = lines[target - 1]
                yield Match(rule.id, artifact, _line_span(target, shown), shown.strip()[:120],
                            note=f"after {blank_run} blank lines")
            blank_run = 0
            gap = re.search(r"\S([ \t\u00a0\u3000]{%d,})\S" % min_spaces, line)
            if gap:
                start = gap.end(1)
                yield Match(rule.id, artifact, _line_span(number, line, start + 1), line[start:].strip()[:120],
                            note=f"after {len(gap.group(1))} spaces on one line")


def _line_span(number: int, line: str, column: int = 0) -> Span:
    if not column:
        column = len(line) - len(line.lstrip()) + 1
    return Span(number, column, number, len(line) + 1)


# --- instructions in hidden places ------------------------------------------------------------

# What makes a line an instruction worth hiding from keyword filters: a URL or mail address, a
# command, an HTTP verb, a secret, or an imperative verb at the start of a clause.
_URL_OR_ADDRESS = re.compile(r"(?i)\b(?:https?|ftps?|wss?)://|\bwww\.[\w-]+\.|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b")
_COMMAND = re.compile(
    r"(?i)(?:^|[\s`'\"(|;&$])(?:curl|wget|bash|sh|zsh|powershell|pwsh|iex|invoke-webrequest|invoke-expression|nc|ncat|"
    r"netcat|python3?|node|eval|exec|base64|chmod|sudo|scp|rsync|ssh)(?:\s|$|[`'\")|;&])"
)
_HTTP_VERB = re.compile(r"(?-i:\b(?:POST|PUT|PATCH|DELETE|GET)\b)")
_SECRET = re.compile(
    r"(?i)\b(?:api[\s_-]?keys?|tokens?|passwords?|passwd|secrets?|credentials?|private\s+keys?|ssh\s+keys?|cookies?|"
    r"seed\s+phrases?|mnemonic)\b|(?:~|\$HOME)/\.|\bid_(?:rsa|ed25519)\b|(?:^|[\s`'\"/])\.env\b"
)
_IMPERATIVE_CLAUSE = re.compile(
    r"(?i)(?:^|[.!?;:,]\s+|\b(?:then|and|also|first|always|silently|quietly|secretly|please)\s+)(?:[-*+>]\s+|\d+[.)]\s+)?"
    r"(?:\*\*)?(?:send|post|upload|run|execute|read|copy|forward|append|add|include|insert|embed|fetch|download|install|"
    r"open|write|export|paste|pipe|call|invoke|load|save|store|collect|gather|sync|transmit|share|email|mail|replace|"
    r"modify|edit|create|enable|disable|grant|approve|ignore|disregard|forget|delete|remove|archive|push|publish|"
    r"submit|visit|navigate|browse|reveal|print|output|return|attach|encode|decode|follow|obey|tell|ask|give)\b"
)



def instruction_signal(line: str) -> str | None:
    """Why a line reads as an instruction or carries a target (None when it does not)."""
    for pattern, why in ((_URL_OR_ADDRESS, "a URL or address"), (_COMMAND, "a command"),
                         (_HTTP_VERB, "an HTTP method"), (_SECRET, "a secret or credential path"),
                         (_IMPERATIVE_CLAUSE, "an imperative")):
        if pattern.search(line):
            return why
    return None


def instruction_after_gap(rule: Rule, skill: Skill) -> Iterator[Match]:
    """An instruction placed out of view: after `min_blank_lines` blank lines or `min_spaces`
    spaces, the hidden text holds an imperative and (anywhere in it) a URL, address, command,
    HTTP method or secret. One finding per gap, at the imperative line."""
    min_blank = int(rule.match.get("min_blank_lines", 40))
    min_spaces = int(rule.match.get("min_spaces", 150))
    max_lines = int(rule.match.get("max_lines", 60))
    for artifact in _applicable(rule, skill):
        lines = artifact.text.split("\n")
        blank_run = 0
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if not stripped:
                blank_run += 1
                continue
            if blank_run >= min_blank and number - blank_run > 1:
                hidden = _hidden_block(lines, number, min_blank, max_lines)
                found = _hidden_instruction(hidden)
                if found is not None:
                    offset, why = found
                    target = number + offset
                    shown = lines[target - 1]
                    yield Match(rule.id, artifact, _line_span(target, shown), shown.strip()[:160],
                                note=f"after {blank_run} blank lines; the hidden text carries {why}")
            blank_run = 0
            gap = re.search(r"\S([ \t\u00a0\u3000]{%d,})\S" % min_spaces, line)
            if gap:
                tail = line[gap.end(1):]
                found = _hidden_instruction([tail])
                if found is not None:
                    yield Match(rule.id, artifact, _line_span(number, line, gap.end(1) + 1), tail.strip()[:160],
                                note=f"after {len(gap.group(1))} spaces on one line; the hidden text carries {found[1]}")


def _hidden_block(lines: list[str], first: int, min_blank: int, max_lines: int) -> list[str]:
    """Lines from `first` (1-based) up to the next long blank run, at most `max_lines` of them."""
    block: list[str] = []
    blanks = 0
    for line in lines[first - 1 : first - 1 + max_lines]:
        blanks = blanks + 1 if not line.strip() else 0
        if blanks >= min_blank:
            break
        block.append(line)
    return block


def _hidden_instruction(block: list[str]) -> tuple[int, str] | None:
    """(index of the imperative line, what the block carries) when the block is an instruction."""
    text = "\n".join(block)
    target = next((why for pattern, why in ((_URL_OR_ADDRESS, "a URL or address"), (_COMMAND, "a command"),
                                            (_HTTP_VERB, "an HTTP method"), (_SECRET, "a secret or credential path"))
                   if pattern.search(text)), None)
    if target is None:
        return None
    for offset, line in enumerate(block):
        if _IMPERATIVE_CLAUSE.search(line.strip()):
            return offset, f"an instruction with {target}"
    return None


# --- invisible payloads -----------------------------------------------------------------------

def invisible_payload(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Runs of at least `min_run` invisible characters: data hidden in plain sight."""
    min_run = int(rule.match.get("min_run", 8))
    invisible = ZERO_WIDTH | VARIATION_SELECTORS
    for artifact in _applicable(rule, skill):
        text = artifact.text
        if text.isascii():
            continue
        index = LineIndex(text)
        start = None
        for offset in range(len(text) + 1):
            inside = offset < len(text) and ord(text[offset]) in invisible
            if inside and start is None:
                start = offset
            elif not inside and start is not None:
                if offset - start >= min_run:
                    run = text[start:offset]
                    yield Match(rule.id, artifact, index.span(start, offset), _describe_run(run))
                start = None


def _describe_run(run: str) -> str:
    codes = sorted({ord(c) for c in run})
    summary = f"{len(run)} invisible characters ({', '.join(f'U+{c:04X}' for c in codes[:6])}"
    summary += ", …)" if len(codes) > 6 else ")"
    decoded = _decode_variation_selectors(run) or _decode_binary(run)
    return f"{summary} decoding to {decoded!r}" if decoded else summary


def _decode_variation_selectors(run: str) -> str | None:
    data = bytearray()
    for char in run:
        code = ord(char)
        if 0xFE00 <= code <= 0xFE0F:
            data.append(code - 0xFE00)
        elif 0xE0100 <= code <= 0xE01EF:
            data.append(code - 0xE0100 + 16)
    if len(data) < 4:
        return None
    return _printable(bytes(data))


def _decode_binary(run: str) -> str | None:
    symbols = sorted(set(run))
    if len(symbols) != 2 or len(run) < 16:
        return None
    for zero, one in ((symbols[0], symbols[1]), (symbols[1], symbols[0])):
        bits = "".join("0" if c == zero else "1" for c in run)
        data = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits) - 7, 8))
        decoded = _printable(data)
        if decoded:
            return decoded
    return None


def _printable(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text and sum(c.isprintable() or c in "\n\t" for c in text) / len(text) > 0.9:
        return text[:120]
    return None
