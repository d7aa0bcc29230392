"""What shell commands do: downloaders, interpreters, wrappers, pass-through filters.

One home for the command-name knowledge the shell analyses share (`shellcmd`, `shellflow`).
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from skillscan.engines.shellcmd import Cmd, Word

SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "busybox"})
INTERPRETERS = SHELLS | frozenset({
    "python", "pypy", "node", "nodejs", "deno", "bun", "perl", "ruby", "php", "pwsh", "powershell",
    "lua", "osascript", "tclsh", "iex", "invoke-expression",
})
DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c", "http", "https", "xh", "lwp-download", "lwp-request",
                         "invoke-webrequest", "iwr", "invoke-restmethod", "irm", "nc", "ncat", "netcat"})
# Commands whose stdout is (a transform of) their stdin or of the files they name.
PASSTHROUGH = frozenset({
    "cat", "tee", "base64", "base32", "basenc", "gunzip", "gzip", "zcat", "bzip2", "bunzip2", "bzcat", "xz",
    "unxz", "xzcat", "zstd", "unzstd", "tr", "sed", "awk", "head", "tail", "rev", "xxd", "openssl", "gpg",
    "dd", "iconv", "dos2unix", "cut", "grep", "sort", "uniq", "tac",
})
# Code-string options per interpreter family: (short letters, long names).
_CODE_FLAGS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "shell": (frozenset("c"), frozenset()), "python": (frozenset("c"), frozenset()),
    "node": (frozenset("ep"), frozenset({"eval", "print"})), "perl": (frozenset("eE"), frozenset()),
    "ruby": (frozenset("e"), frozenset()), "php": (frozenset("r"), frozenset()),
    "pwsh": (frozenset(), frozenset({"c", "command", "e", "ec", "enc", "encodedcommand"})),
    "lua": (frozenset("e"), frozenset()), "osascript": (frozenset("e"), frozenset()),
    "su": (frozenset("c"), frozenset({"command"})),
}
_SHELL_OPTIONS_WITH_VALUE = frozenset({"-o", "+o", "-O", "+O"})
# Inline code that fetches from the network, per interpreter family (`python -c "…urlopen…"`).
INLINE_DOWNLOAD = re.compile(
    r"(?i)urlopen|urlretrieve|urllib|requests\.(?:get|post)|http\.client|httpx|\bfetch\s*\(|https?\.get\s*\(|"
    r"axios|LWP|HTTP::Tiny|IO::Socket|open-uri|Net::HTTP|URI\.open|file_get_contents\s*\(\s*['\"]https?|"
    r"curl_exec|downloadstring|downloadfile|downloaddata|invoke-webrequest|\biwr\b|invoke-restmethod|\birm\b"
)
INLINE_EXECUTE = re.compile(
    r"(?i)\bexec\s*\(|\beval\s*\(|\bcompile\s*\(|os\.system|subprocess|\bnew\s+Function\b|\bvm\.run|"
    r"child_process|\biex\b|invoke-expression|\bsystem\s*\(|`[^`]+`|\bscriptblock\]::create"
)
_WRAPPER_ARGS = {  # wrapper → its options that take a value
    "sudo": {"-u", "-g", "-C", "-h", "-p", "-r", "-t", "-U", "-D", "-R", "-T"},
    "doas": {"-u", "-C"}, "env": {"-u", "-C", "-S", "--unset", "--chdir"}, "nohup": set(), "time": set(),
    "command": set(), "builtin": set(), "exec": {"-a"}, "nice": {"-n"}, "ionice": {"-c", "-n"},
    "stdbuf": {"-i", "-o", "-e"}, "timeout": {"-s", "-k"}, "caffeinate": set(), "setsid": set(),
    "unbuffer": set(), "chronic": set(), "torsocks": set(), "proxychains": set(), "proxychains4": set(),
}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def normalise(argv0: str) -> str:
    name = posixpath.basename(argv0.strip().strip("\"'")).lower()
    name = name.removesuffix(".exe")
    if re.fullmatch(r"python[0-9.]*|python[0-9.]*[mw]?|py", name):
        return "python"
    if re.fullmatch(r"pypy[0-9.]*", name):
        return "pypy"
    if re.fullmatch(r"perl[0-9.]*|ruby[0-9.]*|php[0-9.]*|lua[0-9.]*|node[0-9]*", name):
        return re.sub(r"[0-9.]+$", "", name)
    return name


def family(name: str) -> str:
    if name in SHELLS:
        return "shell"
    if name in ("python", "pypy"):
        return "python"
    if name in ("node", "nodejs", "deno", "bun"):
        return "node"
    if name in ("pwsh", "powershell"):
        return "pwsh"
    return name


def is_shell(name: str) -> bool:
    return name in SHELLS


def is_downloader(name: str) -> bool:
    return name in DOWNLOADERS


def is_interpreter(name: str) -> bool:
    return name in INTERPRETERS


def strip_wrappers(words: list[Word]) -> list[Word]:
    """`sudo -E env FOO=1 nohup bash -s` → `bash -s`."""
    index = 0
    while index < len(words):
        name = normalise(words[index].text)
        if name not in _WRAPPER_ARGS:
            break
        takes_value = _WRAPPER_ARGS[name]
        index += 1
        while index < len(words):
            text = words[index].text
            if text in takes_value:
                index += 2
            elif _wrapper_option(name, text):
                index += 1
            else:
                break
    if index < len(words) and normalise(words[index].text) == "busybox":
        index += 1
    return words[index:]


def _wrapper_option(wrapper: str, text: str) -> bool:
    """An option, `env` assignment, `timeout` duration or `nice` level: not yet the command."""
    if text.startswith("-") and text != "-":
        return True
    if wrapper == "env":
        return bool(_ASSIGNMENT.match(text))
    if wrapper == "timeout":
        return bool(re.fullmatch(r"[0-9.]+[smhd]?", text))
    return False


def _flag_letters(arg: str) -> str:
    return arg[1:] if arg.startswith("-") and not arg.startswith("--") and len(arg) > 1 else ""


def code_word(cmd: Cmd) -> Word | None:
    """The code an interpreter is given inline (`bash -c CODE`, `python -c CODE`, `eval …`)."""
    from skillscan.engines.shellcmd import Word

    name = cmd.name
    if name in ("eval", "invoke-expression", "iex") and len(cmd.words) > 1:
        rest = cmd.words[1:]
        remote = next((w for w in rest if w.remote is not None), None)
        return Word(" ".join(w.text for w in rest), all(w.literal for w in rest),
                    remote.remote if remote else None, remote.via if remote else "")
    fam = "su" if name == "su" else family(name)
    if fam not in _CODE_FLAGS:
        return None
    shorts, longs = _CODE_FLAGS[fam]
    skip = False
    for position, arg in enumerate(cmd.argv[1:], start=1):
        if skip:
            skip = False
            continue
        if arg == "-" or not arg.startswith(("-", "+")):
            if fam == "su":
                continue  # su USER -c CODE
            return None  # a script file or a positional: no inline code
        if fam == "shell" and arg in _SHELL_OPTIONS_WITH_VALUE:
            skip = True
            continue
        if fam == "pwsh" or arg.startswith("--"):
            hit = arg.lstrip("-").split("=", 1)[0].lower() in longs
        else:
            hit = len(arg) > 1 and arg[-1] in shorts
        if hit:
            return cmd.words[position + 1] if position + 1 < len(cmd.words) else None
    return None


def shell_code(cmd: Cmd) -> Word | None:
    """Inline code that is itself shell (`bash -c`, `eval`, `su -c`), to parse again."""
    if cmd.name in SHELLS or cmd.name in ("eval", "su"):
        return code_word(cmd)
    return None


def script_word(cmd: Cmd) -> Word | None:
    """The script file (or process substitution) an interpreter runs, or what `source` reads."""
    if cmd.name in ("source", "."):
        return cmd.words[1] if len(cmd.words) > 1 else None
    if not is_interpreter(cmd.name) or code_word(cmd) is not None:
        return None
    for word in cmd.words[1:]:
        if word.text in ("-m", "--module", "-r", "--require"):
            return None
        if word.process or not word.text.startswith("-"):
            return word
        if word.text == "-":
            return None
    return None


def reads_stdin(cmd: Cmd) -> bool:
    """Does the interpreter take its program from stdin (`sh`, `bash -s`, `python3 -`)?"""
    if not is_interpreter(cmd.name) or code_word(cmd) is not None:
        return False
    if cmd.name in ("iex", "invoke-expression"):
        return True
    args = cmd.argv[1:]
    if "-" in args:
        return True
    if family(cmd.name) == "shell" and any("s" in _flag_letters(a) for a in args):
        return True
    if cmd.name in ("deno", "bun"):
        return False
    return script_word(cmd) is None and not any(a in ("-m", "--version", "-V", "--help", "-h") for a in args)


def downloads_to_stdout(argv: list[str]) -> bool:
    name = normalise(argv[0]) if argv else ""
    if name in ("wget",):
        return _option_value(argv, ("O",), ("--output-document",)) in ("-", "/dev/stdout")
    if name in ("fetch",):
        return _option_value(argv, ("o",), ("--output",)) in ("-", "/dev/stdout")
    if name in ("aria2c", "lwp-download"):
        return False
    if name == "curl":
        out = _option_value(argv, ("o",), ("--output",))
        remote_name = any(a in ("-O", "--remote-name", "--remote-name-all") or "O" in _flag_letters(a) for a in argv[1:])
        return (out is None and not remote_name) or out in ("-", "/dev/stdout")
    return True


def download_target(argv: list[str]) -> str | None:
    """The file a download writes to, when it names one (`curl -o F`, `wget -O F`, `wget URL`)."""
    name = normalise(argv[0]) if argv else ""
    url = next((a for a in argv[1:] if "://" in a), "")
    default = posixpath.basename(url.split("?", 1)[0].split("#", 1)[0].rstrip("/")) if url else ""
    if name == "curl":
        out = _option_value(argv, ("o",), ("--output",))
        if out is not None:
            return None if out in ("-", "/dev/stdout") else out
        if any(a in ("-O", "--remote-name") or "O" in _flag_letters(a) for a in argv[1:]):
            return default or None
        return None
    if name == "wget":
        out = _option_value(argv, ("O",), ("--output-document",))
        if out is not None:
            return None if out in ("-", "/dev/stdout") else out
        prefix = _option_value(argv, ("P",), ("--directory-prefix",))
        return posixpath.join(prefix, default) if prefix and default else (default or None)
    if name in ("fetch", "aria2c"):
        return _option_value(argv, ("o",), ("--output", "--out")) or default or None
    return None


def _option_value(argv: list[str], short: tuple[str, ...], long: tuple[str, ...]) -> str | None:
    """Value of `-o F`, `-oF`, `-sSLo F`, `--output F`, `--output=F` (last one wins)."""
    found = None
    for index, arg in enumerate(argv[1:], start=1):
        following = argv[index + 1] if index + 1 < len(argv) else None
        for option in long:
            if arg == option:
                found = following
            elif arg.startswith(option + "="):
                found = arg.split("=", 1)[1]
        letters = _flag_letters(arg)
        for letter in short:
            if letter in letters:
                rest = letters[letters.index(letter) + 1 :]
                found = rest if rest else following
    return found


def downloaded(path: str, downloads: dict[str, Any]) -> Any | None:
    """The download that wrote `path`, matching exactly or by a distinctive file name."""
    path = path.strip()
    if not path or path.startswith("-"):
        return None
    if path in downloads:
        return downloads[path]
    base = posixpath.basename(path)
    if len(base) < 2:
        return None
    return next((cmd for written, cmd in downloads.items() if posixpath.basename(written) == base), None)
