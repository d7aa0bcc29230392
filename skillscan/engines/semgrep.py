"""The semgrep engine: skillscan's own semgrep rules, one offline semgrep process per scan.

Match body — an inline semgrep rule without `id`, `message` or `severity` (the engine fills them
from the skillscan rule, whose id becomes semgrep's check_id), or a list of them when one
skillscan rule needs a semgrep rule per language (check ids `SKS-EXF-101--0`, `--1` …):

    rule:                     # or  rules: [{languages: [python], …}, {languages: [javascript], …}]
      languages: [python]
      mode: taint
      pattern-sources: [...]
      pattern-sinks: [...]

All semgrep rules go into one temporary config; every artifact in a language they target (bundled
files and code fences) is copied into one private folder, and semgrep runs once over it with
`--json --metrics=off --disable-version-check --oss-only --disable-nosem` (so `nosemgrep`
comments in scanned skills are ignored), a per-file `--timeout`, `--max-target-bytes`, an overall
time limit, no registry config, and its settings, logs and caches kept in that private folder.

The binary is `$SKILLSCAN_SEMGREP`, else `semgrep` on PATH, else the `semgrep` installed next to
the running Python (the package's entry point, which drives its bundled semgrep-core). Without
one the engine is unavailable and the pipeline lists the skipped rules; a failed run is a scan
error naming the rules that did not run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from skillscan.engines import Availability
from skillscan.engines.staging import StagingDir
from skillscan.errors import RulePackError
from skillscan.model import ArtifactKind, Location, Match, ScanError, Skill, Span
from skillscan.rules.schema import Rule

PER_FILE_TIMEOUT = 10  # seconds per file and rule
MAX_TARGET_BYTES = 1_000_000
_LANGUAGES = {"python": "python", "py": "python", "javascript": "javascript", "js": "javascript",
              "typescript": "typescript", "ts": "typescript", "bash": "shell", "sh": "shell"}
_RULE_KEYS = frozenset({"languages", "mode", "pattern", "patterns", "pattern-either", "pattern-regex",
                        "pattern-not", "pattern-inside", "pattern-not-inside", "pattern-sources", "pattern-sinks",
                        "pattern-sanitizers", "pattern-propagators", "options", "metadata", "paths", "min-version"})
_QUIET_ERRORS = ("Syntax error", "Lexical error", "PartialParsing", "Other syntax error")


@dataclass(frozen=True)
class _Prepared:
    rules: Mapping[str, Rule]
    config: str  # YAML text of the one semgrep config
    languages: frozenset[str]  # skillscan languages the rules target


def find_semgrep() -> str | None:
    configured = os.environ.get("SKILLSCAN_SEMGREP")
    if configured is not None:
        return configured if configured and os.access(configured, os.X_OK) else None
    import shutil

    on_path = shutil.which("semgrep")
    if on_path:
        return on_path
    beside = Path(sys.executable).parent / "semgrep"
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def _installed_version() -> str | None:
    """The semgrep package's version, when it is installed here: asking the binary costs seconds."""
    from skillscan.distributions import installed_version

    return installed_version("semgrep")


@lru_cache(maxsize=8)
def _version(binary: str) -> str:
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60,
                          env=_environment(None), stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise RuntimeError((done.stderr or done.stdout).strip()[-200:] or f"exit {done.returncode}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "?"


def _environment(private: Path | None) -> dict[str, str]:
    """The user's environment minus every SEMGREP_* (no tokens, no extra rule configs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEMGREP_")}
    env.update({"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off", "SEMGREP_FORCE_NO_COLOR": "1"})
    if private is not None:
        env.update({"XDG_CONFIG_HOME": str(private), "XDG_CACHE_HOME": str(private)})
    return env


class SemgrepEngine:
    name: ClassVar[str] = "semgrep"
    subprocess: ClassVar[bool] = True  # the pipeline overlaps its run with the in-process engines

    def availability(self) -> Availability:
        binary = find_semgrep()
        if binary is None:
            return Availability(False, reason="semgrep not found (PATH, next to this Python, or $SKILLSCAN_SEMGREP)")
        try:
            return Availability(True, f"semgrep {_installed_version() or _version(binary)}")
        except (OSError, subprocess.SubprocessError, RuntimeError) as error:
            return Availability(False, reason=f"semgrep at {binary} does not run: {error}")

    def validate(self, rule: Rule) -> None:
        for body in _bodies(rule):
            _validate_body(body, f"{rule.source}: field 'match.rule'")

    def prepare(self, rules: Sequence[Rule]) -> _Prepared:
        config = []
        for rule in rules:
            bodies = _bodies(rule)
            for number, body in enumerate(bodies):
                check_id = rule.id if len(bodies) == 1 else f"{rule.id}--{number}"
                config.append({**body, "id": check_id, "message": rule.title, "severity": "ERROR"})
        languages = frozenset(_LANGUAGES[str(l).lower()] for r in rules for b in _bodies(r) for l in b["languages"])
        import yaml

        return _Prepared({r.id: r for r in rules}, yaml.safe_dump({"rules": config}, sort_keys=False), languages)

    def run(self, prepared: _Prepared, skill: Skill, errors: list[ScanError]) -> Iterator[Match]:
        for _, match in self.run_batch(prepared, [skill], errors):
            yield match

    def run_batch(self, prepared: _Prepared, skills: Sequence[Skill], errors: list[ScanError]) -> Iterator[tuple[Skill, Match]]:

        binary = find_semgrep()
        not_run = ", ".join(sorted(prepared.rules))
        with StagingDir("skillscan-semgrep-") as staging:
            for skill in skills:
                for artifact in skill.artifacts:
                    if (artifact.kind is ArtifactKind.SCRIPT and artifact.text and artifact.language in prepared.languages
                            and any(rule.applies_to.covers(artifact) and _prefilter(rule, artifact.text)
                                    for rule in prepared.rules.values())):
                        staging.add(skill, artifact)
            if not len(staging):
                return
            if binary is None:
                errors.append(ScanError("semgrep", f"semgrep not found; rules not run: {not_run}"))
                return
            try:
                report = _run(binary, prepared.config, staging)
            except (OSError, subprocess.SubprocessError, ValueError) as error:
                errors.append(ScanError("semgrep", f"semgrep failed: {error}; rules not run: {not_run}"))
                return
            for problem in report.get("errors", []):
                _report_error(problem, staging, errors)
            for result in report.get("results", []):
                staged = staging.lookup(str(result.get("path", "")))
                check_id = str(result.get("check_id", "")).rsplit(".", 1)[-1].split("--", 1)[0]
                rule = prepared.rules.get(check_id)
                if staged is not None and rule is not None and rule.applies_to.covers(staged.artifact):
                    yield staged.skill, _match(rule, staged.artifact, result, staging)


def _prefilter(rule: Rule, text: str) -> bool:
    """`requires: [[kw, …], [kw, …]]`: every group needs one keyword in the file (case-insensitive).
    Starting semgrep costs seconds; most files can be ruled out by their words."""
    groups = rule.match.get("requires")
    if not groups:
        return True
    lowered = text.lower()
    return all(any(keyword in lowered for keyword in group) for group in groups)


def _bodies(rule: Rule) -> list[Mapping[str, Any]]:
    match = {k: v for k, v in rule.match.items() if k != "requires"}
    if set(match) == {"rule"} and isinstance(match["rule"], Mapping):
        return [match["rule"]]
    bodies = match.get("rules") if set(match) == {"rules"} else None
    if isinstance(bodies, list) and bodies and all(isinstance(body, Mapping) for body in bodies):
        return list(bodies)
    raise RulePackError(f"{rule.source}: field 'match'", "the semgrep engine wants {rule: {…}} or {rules: [{…}, …]}")


def _validate_body(body: Mapping[str, Any], where: str) -> None:
    for key in ("id", "message", "severity"):
        if key in body:
            raise RulePackError(where, f"leave out {key!r}: the engine fills it from the skillscan rule")
    unknown = set(body) - _RULE_KEYS
    if unknown:
        raise RulePackError(where, f"unknown semgrep key(s): {', '.join(sorted(unknown))}")
    languages = body.get("languages")
    if not isinstance(languages, list) or not languages or any(str(l).lower() not in _LANGUAGES for l in languages):
        raise RulePackError(f"{where}.languages", f"a list from {', '.join(sorted(_LANGUAGES))}")
    taint = body.get("mode") == "taint"
    if taint and not (body.get("pattern-sources") and body.get("pattern-sinks")):
        raise RulePackError(where, "taint rules need pattern-sources and pattern-sinks")
    if not taint and not any(k in body for k in ("pattern", "patterns", "pattern-either", "pattern-regex")):
        raise RulePackError(where, "needs a pattern, patterns, pattern-either or pattern-regex")


def _run(binary: str, config: str, staging: StagingDir) -> dict[str, Any]:
    config_path = staging.root / "skillscan-rules.yaml"
    config_path.write_text(config, encoding="utf-8")
    command = [
        binary, "scan", "--config", str(config_path), "--json", "--metrics=off", "--disable-version-check",
        "--oss-only", "--disable-nosem", "--dataflow-traces", "--no-git-ignore", "--quiet",
        "--timeout", str(PER_FILE_TIMEOUT), "--max-target-bytes", str(MAX_TARGET_BYTES), str(staging.targets),
    ]
    limit = min(1800, 120 + 2 * len(staging))
    done = subprocess.run(command, capture_output=True, text=True, timeout=limit, cwd=staging.root,
                          env=_environment(staging.root), stdin=subprocess.DEVNULL, check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        detail = (done.stderr or done.stdout).strip()[-300:]
        raise ValueError(f"exit {done.returncode}, no JSON report: {detail}") from None
    if not isinstance(report, dict):
        raise ValueError(f"exit {done.returncode}, unexpected JSON report")  # noqa: TRY004 - a bad report, not a bad argument
    return report


def _report_error(problem: Any, staging: StagingDir, errors: list[ScanError]) -> None:
    if not isinstance(problem, dict):
        return
    kind = str(problem.get("type", ""))
    message = str(problem.get("message", "")).strip().splitlines()[0:1]
    path = problem.get("path")
    staged = staging.lookup(str(path)) if path else None
    if any(quiet in kind for quiet in _QUIET_ERRORS) or (staged is not None and staged.artifact.is_virtual):
        return  # snippets and odd files fail to parse all the time; not a scan problem
    where = str(staged.artifact.path) if staged is not None else "semgrep"
    errors.append(ScanError(where, f"semgrep {kind or 'error'}: {message[0] if message else ''}"[:300]))


def _match(rule: Rule, artifact: Any, result: dict[str, Any], staging: StagingDir) -> Match:
    start, end = result.get("start", {}), result.get("end", {})
    data = artifact.text.encode("utf-8", "surrogatepass")
    text = data[int(start.get("offset", 0)) : int(end.get("offset", 0))].decode("utf-8", "replace")
    span = Span(int(start.get("line", 1)), int(start.get("col", 1)), int(end.get("line", 1)), int(end.get("col", 1)))
    related, note = _trace(artifact, result, staging)
    return Match(rule.id, artifact, span, " ".join(text.split())[:200], {}, related, note)


def _trace(artifact: Any, result: dict[str, Any], staging: StagingDir) -> tuple[tuple[Location, ...], str]:
    """Where the tainted data came from, when semgrep's dataflow trace says."""
    trace = result.get("extra", {}).get("dataflow_trace") or {}
    source: Any = trace.get("taint_source")
    try:
        while isinstance(source, list) and source and source[0] in ("CliLoc", "CliCall"):
            source = source[1][0] if source[0] == "CliCall" else source[1]
        location, content = source[0], str(source[1])
        line = int(location["start"]["line"])
        column = int(location["start"]["col"])
    except (TypeError, KeyError, IndexError, ValueError):
        return (), ""
    flat = " ".join(content.split())[:80]
    if line == int(result.get("start", {}).get("line", 0)):
        return (), f"source: {flat}"
    at = Location(artifact.display_path, line + artifact.line_offset, column, flat)
    return (at,), f"source: {flat} (line {line + artifact.line_offset})"
