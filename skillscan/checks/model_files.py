"""Bundled model and data files that execute code when loaded (C16, §6.2 "bundled artifacts").

- `pickle_files`: files whose format is Python pickle (`.pkl`, `.pickle`, `.pt`, `.pth`,
  `.ckpt`, `.joblib`, `pytorch_model.bin`, …), binary or not. `torch.load`, `pickle.load`,
  `joblib.load` run whatever the pickle's GLOBAL/REDUCE opcodes name, so a bundled model is code.
  The loader keeps only the magic of binary files, so this is decided by name.
- `pickle_dangerous_imports`: pickle files that decoded as text (protocol 0/1 pickles, or
  protocol 2+ files without NUL bytes near the start) and name a dangerous callable as a
  GLOBAL: `os.system`, `subprocess.Popen`, `builtins.exec/eval`, `runpy._run_code` …

Options: `extensions` (suffixes, lower case) and `names` (exact file names) override the
defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from skillscan.model import Artifact, Match, Skill, Span
from skillscan.rules.schema import Rule
from skillscan.textpos import LineIndex

EXTENSIONS = (".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".joblib", ".sav", ".dill", ".cloudpkl")
NAMES = ("pytorch_model.bin", "training_args.bin", "optimizer.pt", "scheduler.pt")
# module <sep> callable, as a protocol-0 GLOBAL ("cos\nsystem\n") or as two short strings of a
# protocol 2+ STACK_GLOBAL seen through U+FFFD replacement characters.
_DANGEROUS = re.compile(
    r"(?:(?<=\nc)|(?<![A-Za-z0-9_.]))(?P<module>os|posix|nt|subprocess|builtins|__builtin__|runpy|socket|shutil|pty|"
    r"webbrowser|commands|importlib|ctypes|code|pickle|marshal|types|sys|platform)"
    r"(?:[^A-Za-z0-9_]{1,6})"
    r"(?P<name>system|popen|Popen|exec|eval|execfile|compile|call|check_call|check_output|run|getoutput|"
    r"getstatusoutput|spawnl|spawnv|spawnve|spawnlp|spawnvp|_run_code|run_path|run_module|rmtree|"
    r"__import__|import_module|open_new|create_connection|loads|load|CDLL|FunctionType|execv|execve|execvp|"
    r"interact|popen2|popen3|startfile|remove|unlink)(?![A-Za-z0-9_])"
)


def _is_pickle(rule: Rule, artifact: Artifact) -> bool:
    extensions = tuple(rule.match.get("extensions", EXTENSIONS))
    names = tuple(rule.match.get("names", NAMES))
    name = artifact.path.name.lower()
    return name.endswith(extensions) or name in names


def pickle_files(rule: Rule, skill: Skill) -> Iterator[Match]:
    """One finding per bundled pickle file: where the skill loads or mentions it (SKILL.md or a
    script naming the file), else on the file itself."""
    for artifact in skill.artifacts:
        if artifact.is_virtual or not _is_pickle(rule, artifact):
            continue
        kind = f"{artifact.language} data" if artifact.language and artifact.language != "text" else "pickle data"
        note = f"{kind} in {artifact.path}; loading it with pickle/torch.load/joblib runs code"
        reference = _reference(skill, artifact)
        if reference is not None:
            where, span = reference
            yield Match(rule.id, where, span, str(artifact.path), note=note)
        else:
            yield Match(rule.id, artifact, Span(1, 1, 1, 1), str(artifact.path), note=note)


def _reference(skill: Skill, target: Artifact) -> tuple[Artifact, Span] | None:
    name = target.path.name
    pattern = re.compile(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-])")
    for artifact in skill.artifacts:
        if artifact is target or artifact.is_virtual or not artifact.text or artifact.kind.value not in ("skill_md", "script"):
            continue
        found = pattern.search(artifact.text)
        if found:
            return artifact, LineIndex(artifact.text).span(found.start(), found.end())
    return None


def pickle_dangerous_imports(rule: Rule, skill: Skill) -> Iterator[Match]:
    for artifact in skill.artifacts:
        if artifact.is_virtual or not artifact.text or not _pickle_text(rule, artifact):
            continue
        index = LineIndex(artifact.text)
        for found in _DANGEROUS.finditer("\n" + artifact.text):  # "\n": a GLOBAL opcode at offset 0
            module, name = found.group("module"), found.group("name")
            if module in ("pickle", "marshal", "types", "sys", "platform", "code") and name not in (
                "loads", "load", "FunctionType", "interact"
            ):
                continue
            yield Match(rule.id, artifact, index.span(max(0, found.start() - 1), found.end() - 1), f"{module}.{name}",
                        note="the pickle imports this callable when it is loaded")
            break


def _pickle_text(rule: Rule, artifact: Artifact) -> bool:
    """A pickle by name, or text that starts like one (PROTO opcode seen as U+FFFD + 0x02-0x05)."""
    if _is_pickle(rule, artifact):
        return True
    head = artifact.text[:2]
    return len(head) == 2 and head[0] == "\ufffd" and head[1] in "\x02\x03\x04\x05"
