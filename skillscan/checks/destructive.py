"""Destructive-action and resource-abuse checks a regex cannot express well (C14).

- `unguarded_rm_variable`: `rm -rf "$DIR/"` / `rm -rf $DIR/*` in shell where DIR is never
  given a non-empty value in the script (it comes from the environment, a positional argument
  or `read`) and no guard (`${DIR:?}`, `[ -n "$DIR" ]`, `[ -z "$DIR" ] && exit` …) names it.
  An empty DIR turns the command into `rm -rf /` or `rm -rf /*` (the Steam-for-Linux bug).
- `oversized_instructions`: context flooding — a SKILL.md over `skill_md_bytes`, a Markdown or
  text file SKILL.md points at over `reference_bytes`, a Markdown file too large to load at all,
  or a file whose non-blank lines are mostly one line repeated (`repeat_count`, `repeat_share`).
- `recursive_subagents`: an agent fork bomb in prose — "each sub-agent must spawn two more",
  "recursively spawn agents", or a step that starts sub-agents to run "this same protocol" or
  "steps 1–3" when that range includes the spawning step itself.

Each function honours the rule's `applies_to` artifact kinds itself.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import PurePosixPath

from skillscan.model import Artifact, ArtifactKind, Match, Skill, Span
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex

_RM_VARIABLE = re.compile(
    r"""\brm\s+(?:-{1,2}[\w-]+\s+)*?(?:-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)\s+(?:-{1,2}[\w-]+\s+)*"""
    r"""(?P<target>"?\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"?/"?\*?"?)(?=[ \t]|$|;|&|\||\))""",
    re.MULTILINE,
)
# Variables that are always set to something harmless-or-covered-elsewhere.
_SKIP_VARIABLES = frozenset({"HOME", "PWD", "OLDPWD"})  # HOME: SKS-DST-001
_POSITIONAL = re.compile(r"""^["']?\$(?:\{?[0-9@*]\}?|\{?[0-9]+[:}])""")


def unguarded_rm_variable(rule: Rule, skill: Skill) -> Iterator[Match]:
    for artifact in skill.artifacts:
        if artifact.kind is not ArtifactKind.SCRIPT or artifact.language != "shell" or not artifact.text:
            continue
        text = artifact.text
        if "rm" not in text:
            continue
        index = LineIndex(text)
        for found in _RM_VARIABLE.finditer(text):
            name = found.group("braced") or found.group("bare")
            if name in _SKIP_VARIABLES or _guarded(text, name) or _assigned_non_empty(text, name):
                continue
            start, end = found.start("target"), found.end("target")
            yield Match(rule.id, artifact, index.span(start, end), found.group(0).strip(),
                        {"variable": name}, note=f"${name} is never checked for being empty")


def _guarded(text: str, name: str) -> bool:
    variable = re.escape(name)
    patterns = (
        rf"\$\{{{variable}:?[?=+-]",  # ${VAR:?} ${VAR?} ${VAR:-x} ${VAR:=x} ${VAR:+x}
        rf"-[nzd]\s+\"?\$\{{?{variable}\}}?\"?",  # [ -n "$VAR" ] / [[ -z $VAR ]] / -d "$VAR"
        rf"\[\[?\s+\"?\$\{{?{variable}\}}?\"?\s+(?:!=|==?|\]\])",  # [ "$VAR" != "" ] / [[ $VAR ]]
        rf"\btest\s+(?:-[nzd]\s+)?\"?\$\{{?{variable}\}}?",
        rf"\bcase\s+\"?\$\{{?{variable}\}}?\"?\s+in\b",
    )
    return any(re.search(p, text) for p in patterns)


def _assigned_non_empty(text: str, name: str) -> bool:
    """True when some assignment gives the variable a value that cannot be empty."""
    variable = re.escape(name)
    for found in re.finditer(
        rf"(?m)^\s*(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)?)?{variable}=(?P<value>[^\n;#]*)", text
    ):
        value = found.group("value").strip()
        if not value or value in ('""', "''"):
            continue
        if re.search(r"\$\{[^}]*\?", value):
            return True  # ${1:?usage} aborts when empty
        if _POSITIONAL.match(value):
            continue  # from the command line: empty when the caller forgets it
        literal = re.sub(r"\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|[\"']", "", value)
        if literal.strip() or value.startswith(("$(", '"$(', "`", '"`')):
            return True  # a literal part (a path) or a command substitution (mktemp -d …)
    return bool(re.search(rf"\bfor\s+{variable}\s+in\b", text))


def oversized_instructions(rule: Rule, skill: Skill) -> Iterator[Match]:
    options = rule.match
    skill_md_limit = int(options.get("skill_md_bytes", 200_000))
    reference_limit = int(options.get("reference_bytes", 1_000_000))
    repeat_count = int(options.get("repeat_count", 100))
    repeat_share = float(options.get("repeat_share", 0.25))
    skill_md = next((a for a in skill.artifacts if a.kind is ArtifactKind.SKILL_MD and not a.is_virtual), None)
    mentioned = skill_md.text.lower() if skill_md is not None and skill_md.text else ""
    for artifact in skill.artifacts:
        if artifact.is_virtual or artifact.kind not in (ArtifactKind.SKILL_MD, ArtifactKind.DOCUMENT) or not artifact.text:
            continue
        if artifact.kind is ArtifactKind.DOCUMENT and artifact.language not in ("markdown", "text"):
            continue
        size = len(artifact.text.encode("utf-8", "replace"))
        referenced = artifact.kind is ArtifactKind.SKILL_MD or artifact.path.name.lower() in mentioned
        limit = skill_md_limit if artifact.kind is ArtifactKind.SKILL_MD else reference_limit
        if referenced and size > limit:
            yield Match(rule.id, artifact, Span(1, 1, 1, 1), f"{artifact.path} is {size // 1024} KB",
                        note=f"the agent loads it into its context; limit {limit // 1024} KB")
            continue
        repeated = _repetition(artifact.text, repeat_count, repeat_share)
        if repeated is not None:
            line, count, share = repeated
            index = artifact.text.split("\n")
            number = next((n for n, l in enumerate(index, start=1) if l.strip() == line), 1)
            yield Match(rule.id, artifact, Span(number, 1, number, 1), line[:80],
                        note=f"the same line appears {count} times ({share:.0%} of the file)")
    for skipped in skill.skipped:
        if skipped.reason == "too-large" and skipped.path.suffix.lower() in (".md", ".markdown", ".txt", ".mdx"):
            placeholder = Artifact(PurePosixPath(str(skipped.path)), ArtifactKind.DOCUMENT, "markdown", "", "")
            yield Match(rule.id, placeholder, Span(1, 1, 1, 1), f"{skipped.path} ({skipped.detail})",
                        note="too large to scan, and far too large for an agent's context")


def _repetition(text: str, min_count: int, min_share: float) -> tuple[str, int, float] | None:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) < min_count:
        return None
    counts = Counter(line for line in lines if len(line) >= 20 and not set(line) <= set("-=*_#|`~ :"))
    if not counts:
        return None
    line, count = counts.most_common(1)[0]
    share = count / len(lines)
    if count >= min_count and share >= min_share:
        return line, count, share
    return None


# --- recursive sub-agent spawning (agent fork bomb) -------------------------------------------

_AGENT = r"(?:sub-?agents?|child\s+agents?|agents?|workers?|tasks?|instances?|copies\s+of\s+(?:this\s+skill|yourself))"
_SPAWN_VERB = r"(?:start|spawn|launch|create|run|dispatch|fork|kick\s+off|delegate\s+to|hand\s+(?:it\s+)?off\s+to|assign)"
# "each sub-agent must spawn two more", "recursively spawn sub-agents"
_SELF_SPAWN = (
    re.compile(
        r"(?i)\b(?:each|every)\s+(?:sub-?agent|agent|task|worker|instance)\s+(?:must|should|will|shall|then|also)\s+"
        r"(?:also\s+|in\s+turn\s+)?(?:spawn|launch|start|create)\s+(?:\w+\s+){0,2}?(?:more|new|additional|further|two|three|"
        r"another|other|its\s+own)\s+(?:sub-?agents?|agents?|tasks?|workers?|instances?)\b"
    ),
    re.compile(
        r"(?i)\brecursively\s+(?:spawn|launch|start|create|invoke)\s+(?:new\s+|more\s+)?(?:sub-?agents?|agents?|"
        r"copies\s+of\s+(?:this\s+skill|yourself))\b"
    ),
)
# "start a sub-agent that performs steps 1–3 of this protocol" / "… that follows this same procedure"
_SPAWN_DOING = re.compile(
    rf"(?i)\b{_SPAWN_VERB}\s+(?:a|an|one|another|new|separate|parallel|\d+)?\s*(?:new\s+|separate\s+|fresh\s+)?{_AGENT}\s+"
    r"(?:(?:that|which|who)\s+(?:will\s+|must\s+|should\s+)?|to\s+)(?:independently\s+)?"
    r"(?:performs?|follows?|runs?|repeats?|executes?|applies?|carr(?:y|ies)\s+out|does|re-?runs?|goes\s+through)\s+"
    r"(?:(?:all\s+(?:of\s+)?)?(?:the\s+)?steps?\s+(?P<first>\d+)\s*(?:[-–—]|to|through|thru)\s*(?P<last>\d+)"
    r"|(?P<same>(?:all\s+(?:of\s+)?)?(?:this|these|the\s+same|the\s+whole|this\s+same|this\s+entire|the\s+entire)\s+"
    r"(?:same\s+)?(?:protocol|procedure|process|skill|workflow|checklist|routine|algorithm|instructions|steps)))\b"
)
_NUMBERED_ITEM = re.compile(r"^\s*(?:>\s*)*(\d+)[.)]\s")


def recursive_subagents(rule: Rule, skill: Skill) -> Iterator[Match]:
    """Instructions whose sub-agents are told to run the very instructions that spawn them."""
    for artifact in skill.artifacts:
        if artifact.is_virtual or artifact.kind not in (ArtifactKind.SKILL_MD, ArtifactKind.DOCUMENT):
            continue
        if artifact.language != "markdown" or not artifact.text:
            continue
        text = artifact.text
        lowered = text.lower()
        if "agent" not in lowered and "worker" not in lowered and "instance" not in lowered and "task" not in lowered:
            continue
        lines = text.split("\n")
        index = LineIndex(text)
        for pattern in _SELF_SPAWN:
            for found in pattern.finditer(text):
                yield Match(rule.id, artifact, index.span(found.start(), found.end()), found.group(0).strip(),
                            note="every spawned agent spawns more")
        for found in _SPAWN_DOING.finditer(text):
            line, _ = index.position(found.start())
            if found.group("same"):
                note = "the sub-agents are told to follow the procedure that spawns them"
            else:
                step = _list_item_number(lines, line)
                first, last = int(found.group("first")), int(found.group("last"))
                if step is None or not first <= step <= last:
                    continue
                note = f"step {step} spawns sub-agents that run steps {first}–{last}, step {step} included"
            yield Match(rule.id, artifact, index.span(found.start(), found.end()), found.group(0).strip(), note=note)


def _list_item_number(lines: list[str], line: int) -> int | None:
    """The number of the numbered list item that holds `line` (continuation lines included)."""
    for number in range(line, max(0, line - 8), -1):
        text = lines[number - 1]
        found = _NUMBERED_ITEM.match(text)
        if found:
            return int(found.group(1))
        if not text.strip() or (number != line and not text.startswith((" ", "\t", ">"))):
            return None
    return None


# --- destructive commands assembled from pieces (PowerShell / batch) ---------------------------
#
# `$s = 'vss' + 'admin'; $v = @('de','lete') -join ''; & "$s.exe" $v shadows /all` hides the
# command from every pattern that reads the line as written. `assembled_commands` evaluates the
# literal-only string expressions a script assigns to variables (concatenation, -join, char-code
# arrays, [string]::new, -f formatting, reversed ToCharArray slices, batch `set`), rebuilds each
# call-operator / Start-Process / Invoke-Expression line, and matches the rule's `patterns` against
# the rebuilt command. Lines whose written form already matches are left to the plain rules.

_PS_ASSIGN = re.compile(r"^\s*\$(?P<name>[A-Za-z_][\w]*)\s*=\s*(?P<expr>.+?)\s*;?\s*$")
_PS_CALL = re.compile(
    r"^\s*(?:(?P<amp>[&.])\s*(?P<target>.+)|(?:Start-Process|saps|start)\s+(?P<sp>.+)|"
    r"(?:Invoke-Expression|iex)\s+(?P<iex>.+))$",
    re.IGNORECASE,
)
_BATCH_SET = re.compile(r"^\s*set\s+\"?(?P<name>[A-Za-z_][\w]*)=(?P<value>[^\"\r\n]*)\"?\s*$", re.IGNORECASE)
_MAX_PIECES = 64


class _Unresolved(Exception):
    pass


def assembled_commands(rule: Rule, skill: Skill) -> Iterator[Match]:
    from skillscan.engines.regex import compile_pattern

    patterns = [compile_pattern(p if p.startswith("(?") else "(?i)" + p) for p in rule.match.get("patterns", ())]
    if not patterns:
        return
    for artifact in skill.artifacts:
        if artifact.kind is not ArtifactKind.SCRIPT or not artifact.text or artifact.decoded_from:
            continue
        if artifact.language == "powershell":
            rebuilt = _powershell_commands(artifact.text)
        elif artifact.language == "batch":
            rebuilt = _batch_commands(artifact.text)
        else:
            continue
        index = LineIndex(artifact.text)
        for line, written, command in rebuilt:
            if any(p.search(written) for p in patterns):
                continue  # visible as written: the plain rules report it
            hit = next((found for p in patterns if (found := p.search(command))), None)
            if hit is None:
                continue
            start = index.starts[line - 1] + (len(written) - len(written.lstrip()))
            yield Match(rule.id, artifact, index.span(start, start + len(written.strip())), command[:200],
                        note=f"assembled at run time from string pieces: {hit.group(0)!r}")


def _powershell_commands(text: str) -> Iterator[tuple[int, str, str]]:
    env: dict[str, object] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.split(" #", 1)[0] if not raw.lstrip().startswith("#") else ""
        if not line.strip() or len(line) > 2000:  # generated or minified lines: out of scope
            continue
        assign = _PS_ASSIGN.match(line)
        if assign:
            try:
                env[assign.group("name").lower()] = _ps_eval(assign.group("expr"), env)
            except (_Unresolved, ValueError, IndexError, RecursionError):
                env.pop(assign.group("name").lower(), None)
            continue
        call = _PS_CALL.match(line)
        if call is None:
            continue
        try:
            if call.group("iex"):
                command = _ps_text(_ps_eval(call.group("iex"), env))
            else:
                words = _ps_words(call.group("target") or call.group("sp"))
                words = [w for w in words if not re.fullmatch(r"-(?:FilePath|ArgumentList|NoNewWindow|Wait|WindowStyle|Verb)", w, re.I)]
                command = " ".join(_ps_text(_ps_eval(word, env)) for word in words)
        except (_Unresolved, ValueError, IndexError, RecursionError):
            continue
        if "$" in line or "[" in line or "(" in line:  # only lines that were actually assembled
            yield number, raw, command


def _ps_text(value: object) -> str:
    if isinstance(value, list):
        return " ".join(_ps_text(v) for v in value)
    return str(value)


def _ps_words(text: str) -> list[str]:
    """Split a command line into words at top-level spaces (quotes and brackets kept together)."""
    return [w for w in _split_top(text.strip(), " ") if w]


def _split_top(text: str, separator: str) -> list[str]:
    parts, depth, quote, current, i = [], 0, "", [], 0
    while i < len(text):
        char = text[i]
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char in "([{":
            depth += 1
            current.append(char)
        elif char in ")]}":
            depth -= 1
            current.append(char)
        elif depth == 0 and text[i : i + len(separator)].lower() == separator:
            parts.append("".join(current).strip())
            current = []
            i += len(separator)
            continue
        else:
            current.append(char)
        i += 1
    parts.append("".join(current).strip())
    return parts


def _ps_eval(expr: str, env: dict[str, object], depth: int = 0) -> object:
    expr = expr.strip()
    if depth > 12 or not expr:
        raise _Unresolved(expr)
    # (…) wrapping the whole expression
    if expr.startswith("(") and _closing(expr, 0) == len(expr) - 1:
        return _ps_eval(expr[1:-1], env, depth + 1)
    if expr.startswith("@(") and _closing(expr, 1) == len(expr) - 1:
        value = _ps_eval(expr[2:-1], env, depth + 1)
        return value if isinstance(value, list) else [value]
    lowered = expr.lower()
    if lowered.startswith("-join"):
        return "".join(_ps_text(v) for v in _as_list(_ps_eval(expr[5:], env, depth + 1)))
    for operator in (" -join ", " -f ", " -replace "):
        pieces = _split_top(expr, operator) if operator in lowered else [expr]
        if len(pieces) == 2:
            left, right = _ps_eval(pieces[0], env, depth + 1), _ps_eval(pieces[1], env, depth + 1)
            if operator == " -join ":
                return _ps_text(right).join(_ps_text(v) for v in _as_list(left))
            if operator == " -f ":
                args = [_ps_text(v) for v in _as_list(right)]
                return re.sub(r"\{(\d+)\}", lambda m: args[int(m.group(1))], _ps_text(left))
            old, new = (_as_list(right) + [""])[:2]
            # -replace takes a regex; read it as a literal (never run a script's regex here)
            return re.sub(re.escape(_ps_text(old)), lambda _: _ps_text(new), _ps_text(left), flags=re.I)
    items = _split_top(expr, ",")
    if len(items) > 1:
        if len(items) > _MAX_PIECES * 4:
            raise _Unresolved(expr)
        return [_ps_eval(item, env, depth + 1) for item in items]
    terms = _split_top(expr, "+")
    if len(terms) > 1:
        values = [_ps_eval(term, env, depth + 1) for term in terms]
        if all(isinstance(v, int) for v in values):
            return sum(values)  # type: ignore[arg-type]
        return "".join(_ps_text(v) for v in values)
    found = re.fullmatch(r"\[char\[\]\]\s*(.+)", expr, re.I)
    if found:
        return [chr(int(v)) if isinstance(v, int) else str(v) for v in _as_list(_ps_eval(found.group(1), env, depth + 1))]
    found = re.fullmatch(r"\[char\]\s*(.+)", expr, re.I)
    if found:
        value = _ps_eval(found.group(1), env, depth + 1)
        return chr(value) if isinstance(value, int) else _ps_text(value)
    found = re.fullmatch(r"\[(?:System\.)?String\]::new\((.+)\)", expr, re.I)
    if found:
        return "".join(_ps_text(v) for v in _as_list(_ps_eval(found.group(1), env, depth + 1)))
    found = re.fullmatch(r"\[(?:System\.)?String\]::(?:Join|Concat)\((.+)\)", expr, re.I)
    if found:
        args = _split_top(found.group(1), ",")
        if "join" in expr.lower()[:30]:
            separator = _ps_text(_ps_eval(args[0], env, depth + 1))
            rest = [_ps_eval(a, env, depth + 1) for a in args[1:]]
            flat = [x for v in rest for x in _as_list(v)]
            return separator.join(_ps_text(v) for v in flat)
        return "".join(_ps_text(_ps_eval(a, env, depth + 1)) for a in args)
    found = re.fullmatch(r"\[string\]\s*([^:].*)", expr, re.I)
    if found:
        return _ps_text(_ps_eval(found.group(1), env, depth + 1))
    # X.ToCharArray()[a..b] / X[a..b] / X[i]
    found = re.fullmatch(r"(.+?)(?:\.ToCharArray\(\))?\[\s*(-?\d+)\s*(?:\.\.\s*(-?\d+))?\s*\]", expr, re.I)
    if found:
        base = _ps_eval(found.group(1), env, depth + 1)
        sequence = list(base) if isinstance(base, str) else _as_list(base)
        first = int(found.group(2))
        if found.group(3) is None:
            return sequence[first]
        last = int(found.group(3))
        if abs(last - first) > len(sequence) + 1:
            raise _Unresolved(expr)
        step = 1 if last >= first else -1
        return [sequence[i] for i in range(first, last + step, step)]
    found = re.fullmatch(r"(.+?)\.ToCharArray\(\)", expr, re.I)
    if found:
        return list(_ps_text(_ps_eval(found.group(1), env, depth + 1)))
    found = re.fullmatch(r"(.+?)\.(?:ToLower|ToLowerInvariant)\(\)", expr, re.I)
    if found:
        return _ps_text(_ps_eval(found.group(1), env, depth + 1)).lower()
    if re.fullmatch(r"'(?:[^']|'')*'", expr):
        return expr[1:-1].replace("''", "'")
    if re.fullmatch(r'"[^"`]*"', expr):
        return _interpolate(expr[1:-1], env)
    if re.fullmatch(r"-?\d+", expr):
        return int(expr)
    found = re.fullmatch(r"\$\{?([A-Za-z_]\w*)\}?", expr)
    if found:
        name = found.group(1).lower()
        if name not in env:
            raise _Unresolved(expr)
        return env[name]
    if re.fullmatch(r"[\w./\\:{}-]+", expr):
        return expr  # a bare word argument (/all, delete, C:\)
    raise _Unresolved(expr)


def _interpolate(text: str, env: dict[str, object]) -> str:
    def value(found: re.Match[str]) -> str:
        name = (found.group(1) or found.group(2)).lower()
        if name not in env:
            raise _Unresolved(name)
        return _ps_text(env[name])

    return re.sub(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)", value, text)


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _closing(text: str, opening: int) -> int:
    depth, quote = 0, ""
    for i in range(opening, len(text)):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _batch_commands(text: str) -> Iterator[tuple[int, str, str]]:
    env: dict[str, str] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        assign = _BATCH_SET.match(raw)
        if assign:
            value = re.sub(r"%(\w+)%", lambda m: env.get(m.group(1).lower(), m.group(0)), assign.group("value"))
            env[assign.group("name").lower()] = value
            continue
        if "%" not in raw:
            continue
        command = re.sub(r"%(\w+)%", lambda m: env.get(m.group(1).lower(), m.group(0)), raw)
        command = re.sub(r"\bcall\s+", "", command, flags=re.I)
        if command != raw:
            yield number, raw, command.strip()


# --- Python: the home folder emptied through a variable or helper ------------------------------
#
# `shutil.rmtree(os.path.expanduser("~"))` is a plain pattern (SKS-DST-001). Written as
# `target = _workspace()` where `_workspace` returns `Path(os.path.expanduser("~" + suffix))`, then
# `for entry in os.scandir(target): shutil.rmtree(entry.path)`, no pattern sees it. `home_wipe`
# follows home-valued expressions through local assignments and module-level helper functions
# (one file, no imports) and reports a delete of the home folder itself or of every entry in it.

_TYPE_TESTS = frozenset({"is_dir", "is_file", "is_symlink", "exists", "isdir", "isfile", "islink", "lexists"})
_SELECTIVE = frozenset({"name", "suffix", "suffixes", "stem", "startswith", "endswith", "match", "fnmatch", "search",
                        "fullmatch", "st_mtime", "st_size", "st_atime", "st_ctime", "stat", "getmtime", "getsize",
                        "getatime", "getctime", "parts", "basename", "splitext", "lower", "casefold"})
_DELETE_FUNCTIONS = frozenset({"shutil.rmtree", "rmtree", "os.remove", "os.unlink", "os.rmdir", "os.removedirs",
                               "send2trash", "send2trash.send2trash", "fs.rm", "fs.rmtree"})
_DELETE_METHODS = frozenset({"unlink", "rmdir"})  # pathlib.Path methods


def _is_delete(node: object) -> bool:
    import ast

    if not isinstance(node, ast.Call):
        return False
    if _dotted(node.func) in _DELETE_FUNCTIONS:
        return True
    return isinstance(node.func, ast.Attribute) and node.func.attr in _DELETE_METHODS and not node.args


def home_wipe(rule: Rule, skill: Skill) -> Iterator[Match]:
    import ast

    for artifact in skill.artifacts:
        if artifact.kind is not ArtifactKind.SCRIPT or artifact.language != "python" or not artifact.text:
            continue
        text = artifact.text
        if "~" not in text and "home" not in text.lower() and "HOME" not in text:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            continue
        analysis = _HomeFlow(tree)
        index = LineIndex(text)
        seen: set[int] = set()
        for node, why in analysis.sinks():
            if node.lineno in seen:
                continue
            seen.add(node.lineno)
            start = index.starts[node.lineno - 1] + node.col_offset
            end = start + len(ast.get_source_segment(text, node) or "x")
            yield Match(rule.id, artifact, index.span(start, end), (ast.get_source_segment(text, node) or "")[:160],
                        note=why)


class _HomeFlow:
    """Which names, helper functions and expressions evaluate to the user's home folder."""

    def __init__(self, tree: object) -> None:
        import ast

        self.ast = ast
        self.tree = tree
        self.functions: dict[str, object] = {n.name: n for n in tree.body  # type: ignore[attr-defined]
                                            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.scopes: dict[object, dict[str, list[object]]] = {}
        for scope in [tree, *self.functions.values()]:
            names: dict[str, list[object]] = {}
            for node in self._walk_scope(scope):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            names.setdefault(target.id, []).append(node.value)
                elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name) and node.value:
                    names.setdefault(node.target.id, []).append(node.value)
            self.scopes[scope] = names
        self._home_functions: set[str] = set()
        for _ in range(4):  # helpers calling helpers: a few rounds reach a fixed point
            for name, function in self.functions.items():
                if name in self._home_functions:
                    continue
                returns = [n.value for n in self._walk_scope(function) if isinstance(n, ast.Return) and n.value]
                if any(self.is_home(value, function) for value in returns):
                    self._home_functions.add(name)

    def _walk_scope(self, scope: object) -> Iterator[object]:
        """Nodes of a scope, not descending into nested function definitions."""
        ast = self.ast
        nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
        stack = [n for n in getattr(scope, "body", []) if not isinstance(n, nested)]
        while stack:
            node = stack.pop()
            yield node
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, nested):
                    stack.append(child)

    def is_home(self, node: object, scope: object, depth: int = 0) -> bool:
        ast = self.ast
        if depth > 8 or node is None:
            return False
        if isinstance(node, ast.IfExp):
            return self.is_home(node.body, scope, depth + 1) or self.is_home(node.orelse, scope, depth + 1)
        if isinstance(node, ast.Name):
            values = self.scopes.get(scope, {}).get(node.id) or self.scopes.get(self.tree, {}).get(node.id) or []
            return any(self.is_home(v, scope if node.id in self.scopes.get(scope, {}) else self.tree, depth + 1)
                       for v in values)
        if isinstance(node, ast.Subscript):  # os.environ["HOME"]
            return _dotted(node.value) == "os.environ" and _constant(node.slice) in ("HOME", "USERPROFILE")
        if not isinstance(node, ast.Call):
            return False
        name = _dotted(node.func)
        args = node.args
        if name in ("Path.home", "pathlib.Path.home"):
            return True
        if name in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
            return bool(args) and _constant(args[0]) in ("HOME", "USERPROFILE")
        if name in ("os.path.expanduser", "expanduser", "os.path.expandvars", "expandvars"):
            return bool(args) and (self._tilde(args[0]) or self.is_home(args[0], scope, depth + 1))
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("expanduser", "resolve", "absolute"):
            inner = node.func.value
            if isinstance(inner, ast.Call) and _dotted(inner.func) in ("Path", "pathlib.Path", "PurePath") and inner.args:
                return self._tilde(inner.args[0]) or self.is_home(inner.args[0], scope, depth + 1)
            return self.is_home(inner, scope, depth + 1)
        if name in ("Path", "pathlib.Path", "str", "os.fspath", "os.path.abspath", "os.path.realpath",
                    "os.path.normpath", "os.path.join") and len(args) == 1:
            return self.is_home(args[0], scope, depth + 1)
        if isinstance(node.func, ast.Name) and node.func.id in self._home_functions:
            return True
        return False

    def _tilde(self, node: object) -> bool:
        """"~", "~/", "~/*", "$HOME", or "~" + <anything> / f"~{x}" (empty suffix → the home folder)."""
        ast = self.ast
        value = _constant(node)
        if value is not None:
            return value in ("~", "~/", "~/*", "~\\", "$HOME", "${HOME}", "$HOME/", "%USERPROFILE%")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return _constant(node.left) in ("~", "~/", "$HOME", "$HOME/")
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            return _constant(first) in ("~", "~/") and all(isinstance(v, ast.FormattedValue) for v in node.values[1:])
        return False

    def sinks(self) -> Iterator[tuple[object, str]]:
        ast = self.ast
        for scope in [self.tree, *self.functions.values()]:
            for node in self._walk_scope(scope):
                if _is_delete(node):
                    target = node.args[0] if node.args else getattr(node.func, "value", None)
                    if self.is_home(target, scope) and not _is_direct_pattern(node):
                        yield node, "deletes the home folder (resolved through variables/helpers)"
                if isinstance(node, (ast.For, ast.AsyncFor)) and self._iterates_home(node.iter, scope):
                    variable = node.target.id if isinstance(node.target, ast.Name) else None
                    if variable is None:
                        continue
                    for call in self._unfiltered_deletes(node, variable):
                        yield call, "deletes every entry of the home folder"

    def _iterates_home(self, node: object, scope: object) -> bool:
        ast = self.ast
        if not isinstance(node, ast.Call):
            return False
        name = _dotted(node.func)
        if name in ("os.scandir", "scandir", "os.listdir", "listdir") and node.args:
            return self.is_home(node.args[0], scope)
        if name in ("glob.glob", "glob", "glob.iglob") and node.args:
            pattern = node.args[0]
            if isinstance(pattern, ast.Call) and _dotted(pattern.func) in ("os.path.join",) and len(pattern.args) == 2:
                return self.is_home(pattern.args[0], scope) and _constant(pattern.args[1]) in ("*", "*/", ".*", "**")
            return self.is_home(pattern, scope) or (isinstance(pattern, ast.Call) and self._tilde_glob(pattern))
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("iterdir", "glob", "rglob"):
            if node.func.attr != "iterdir" and not (node.args and _constant(node.args[0]) in ("*", "**/*", "**")):
                return False
            return self.is_home(node.func.value, scope)
        return False

    def _tilde_glob(self, node: object) -> bool:
        return _dotted(getattr(node, "func", None)) in ("os.path.expanduser", "expanduser") and bool(node.args) and \
            _constant(node.args[0]) in ("~/*", "~/.*")  # type: ignore[attr-defined]

    def _unfiltered_deletes(self, loop: object, variable: str) -> Iterator[object]:
        """Delete calls on the loop variable (or names built from it) that are not behind a filter
        on the entry's name/age."""
        ast = self.ast
        derived = {variable}
        assignments = [n for n in ast.walk(loop) if isinstance(n, ast.Assign)]  # type: ignore[arg-type]
        for _ in range(3):
            for assign in assignments:
                if any(_mentions(assign.value, name) for name in derived):
                    derived.update(t.id for t in assign.targets if isinstance(t, ast.Name))

        def visit(statements: list[object], filtered: bool) -> Iterator[object]:
            for statement in statements:
                if isinstance(statement, ast.If):
                    selective = _selective_test(statement.test, derived)
                    if selective and all(isinstance(s, (ast.Continue, ast.Pass)) for s in statement.body):
                        filtered = True  # `if not entry.name.startswith(...): continue`
                        continue
                    yield from visit(statement.body, filtered or selective)
                    yield from visit(statement.orelse, filtered or selective)
                    continue
                if isinstance(statement, (ast.Try,)):
                    yield from visit(statement.body, filtered)
                    continue
                if isinstance(statement, (ast.With,)):
                    yield from visit(statement.body, filtered)
                    continue
                if filtered:
                    continue
                for node in ast.walk(statement):
                    if _is_delete(node) and any(_mentions(node, name) for name in derived):
                        yield node

        yield from visit(loop.body, False)  # type: ignore[attr-defined]


def _selective_test(test: object, names: set[str]) -> bool:
    """An if-test that picks entries by name, suffix, size or age (not merely by file type)."""
    import ast

    if not any(_mentions(test, name) for name in names):
        return False
    for node in ast.walk(test):  # type: ignore[arg-type]
        if isinstance(node, ast.Compare):
            return True
        if isinstance(node, ast.Attribute) and node.attr in _SELECTIVE:
            return True
        if isinstance(node, ast.Call) and _short(node.func) in _SELECTIVE:
            return True
    return False


def _mentions(node: object, variable: str) -> bool:
    import ast

    return any(isinstance(n, ast.Name) and n.id == variable for n in ast.walk(node))  # type: ignore[arg-type]


def _is_direct_pattern(node: object) -> bool:
    """`shutil.rmtree(os.path.expanduser("~"))` written out: SKS-DST-001 reports it."""
    import ast

    if not node.args:  # type: ignore[attr-defined]
        return False
    argument = node.args[0]  # type: ignore[attr-defined]
    if isinstance(argument, ast.Call):
        name = _dotted(argument.func)
        if name in ("Path.home", "pathlib.Path.home"):
            return True
        if name in ("os.path.expanduser",) and argument.args and _constant(argument.args[0]) in ("~", "~/"):
            return True
    return False


def _dotted(node: object) -> str:
    import ast

    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _short(node: object) -> str:
    import ast

    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _constant(node: object) -> str | None:
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None
