"""`skillscan scan`."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from skillscan.cli.options import NO_COLOR, OUTPUT, RULES_DIRS, SeverityName, use_color, write_output
from skillscan.cli.options import CONFIG, ConfidenceName, fail_on_severity, scan_options
from skillscan.report import Format

if TYPE_CHECKING:
    from skillscan.config import Config
    from skillscan.model import ScanResult, Skill, SkippedFile

EPILOG = """Examples:

  skillscan scan                      # every skill installed on this machine

  skillscan scan ./skills/my-skill    # one skill (or a folder of skills)

  skillscan scan --format json -o report.json --fail-on medium

  skillscan scan skills --shard 2/4 --format sarif -o shard-2.sarif   # then `skillscan merge`
"""


def scan_command(
    paths: list[Path] = typer.Argument(None, help="Skill folders, folders of skills, or files inside skills. "
                                       "None: the skills installed on this machine."),
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="Report format."),
    output: Path | None = OUTPUT,
    fail_on: SeverityName | None = typer.Option(None, "--fail-on", show_default="high, or the config's fail-on",
                                               help="Exit 1 when an active finding is at or above this severity."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Always exit 0 when the scan ran (findings are still reported)."),
    rules_dirs: list[Path] = RULES_DIRS,
    select: list[str] = typer.Option([], "--select", help="Only these rules: id, id prefix (SKS-EXF), slug or category; repeatable."),
    ignore: list[str] = typer.Option([], "--ignore", help="Not these rules (same selectors); repeatable."),
    no_color: bool = NO_COLOR,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    config_file: Path | None = CONFIG,
    baseline_file: Path | None = typer.Option(None, "--baseline", help="Accept the findings recorded in this baseline "
                                              "(see `skillscan baseline create`); only new findings count."),
    min_severity: SeverityName | None = typer.Option(None, "--min-severity", help="Hide (count as filtered) findings below this severity."),
    min_confidence: ConfidenceName | None = typer.Option(None, "--min-confidence", help="Hide findings below this confidence."),
    no_ignores: bool = typer.Option(False, "--no-ignores", help="Audit mode: disregard inline suppressions, the config's "
                                    "per-rule ignore paths and the baseline."),
    honor_inline_ignores: bool = typer.Option(False, "--honor-inline-ignores", help="Also honour `skillscan: ignore[…]` "
                                              "comments in installed and third-party skills (off: their author is untrusted)."),
    stats: bool = typer.Option(False, "--stats", help="Print the time spent in each engine to stderr."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Worker processes for scans of many skills "
                             "(0: one per CPU; 1: scan in this process only)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Analyse every file again (ignore and do not update the "
                                  "per-file result cache in the user cache dir; SKILLSCAN_CACHE_DIR moves it)."),
    shard: str | None = typer.Option(None, "--shard", metavar="K/N", help="Scan only shard K of N (1 <= K <= N): a "
                                     "stable split of the skills for a CI matrix; combine the reports with `skillscan merge`."),
    fail_on_skipped: bool | None = typer.Option(None, "--fail-on-skipped/--no-fail-on-skipped",
                                                show_default="the config's fail-on-skipped, else off",
                                                help="Exit 1 when any file was skipped (binary, too large, symlink "
                                                "out of the skill, unreadable …), even without findings."),
) -> None:
    """Scan skills for exfiltration, secrets, hidden execution, hidden instructions and more."""
    from skillscan.pipeline import discover, scan
    from skillscan.report import exit_code, render

    options = scan_options(paths, rules_dirs, select, ignore, config_file, baseline_file=baseline_file,
                           no_ignores=no_ignores, honor_inline_ignores=honor_inline_ignores,
                           min_severity=min_severity, min_confidence=min_confidence)
    options = replace(options, cache=not no_cache, jobs=jobs)
    if shard is not None:
        from skillscan import shard as sharding

        options = replace(options, shard=sharding.parse(shard))
    progress = None
    if not quiet and sys.stderr.isatty():
        count = len(discover(options))
        if count > 5:
            progress = _ProgressBar(count)
    timings: dict[str, float] | None = {} if stats else None
    try:
        result = scan(options, progress=progress, timings=timings)
    finally:
        if progress is not None:
            progress.stop()  # also on errors, or the cursor stays hidden
    severity = fail_on_severity(fail_on, options)
    write_output(render(result, fmt, severity, color=use_color(no_color, output)), output)
    if timings is not None:
        _print_stats(timings, len(result.skills))
    if not result.skills and not quiet:
        typer.echo("skillscan: no skills found" + ("" if paths else " in the known client folders (see `skillscan discover`)")
                   + (f" in shard {options.shard[0]}/{options.shard[1]}" if options.shard else "")
                   + (f" ({len(result.excluded)} excluded by {options.config.path})" if result.excluded else ""), err=True)
    code = exit_code(result, severity)
    if fail_on_skipped if fail_on_skipped is not None else options.config.fail_on_skipped:
        skipped = skipped_files(result, options.config)
        if skipped:
            typer.echo(f"skillscan: {_skipped_note(skipped)} (--fail-on-skipped"
                       + ("; exit 0 because of --exit-zero)" if exit_zero else ")"), err=True)
            code = 1
    raise typer.Exit(0 if exit_zero else code)


# Omissions that were asked for, or that lose nothing: files the config excludes, archives whose
# members were scanned, and version-control metadata folders (a git-cloned skill has a .git).
_DELIBERATE = frozenset({"excluded", "archive"})
_VCS_DIRS = frozenset({".git", ".hg", ".svn"})


def skipped_files(result: ScanResult, config: Config) -> list[tuple[Skill, SkippedFile]]:
    """The files `--fail-on-skipped` counts: every skipped file but the deliberate omissions."""
    return [(skill, s) for skill in result.skills for s in skill.skipped
            if s.reason not in _DELIBERATE and not (s.reason == "ignored-dir" and s.detail in _VCS_DIRS)
            and not config.excludes(skill.root / s.path)]


def _skipped_note(skipped: list[tuple[Skill, SkippedFile]], shown: int = 5) -> str:
    listed = ", ".join(_printable(f"{skill.name}/{s.path} ({s.reason})") for skill, s in skipped[:shown])
    more = f", and {len(skipped) - shown} more" if len(skipped) > shown else ""
    return f"{len(skipped)} file{'s' if len(skipped) != 1 else ''} skipped: {listed}{more}"


def _printable(text: str) -> str:
    """Skill names and file names are hostile: no control or bidi character reaches the terminal raw."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def _print_stats(timings: dict[str, float], skills: int) -> None:
    typer.echo(f"engine timings ({skills} skill(s)):", err=True)
    for name, seconds in sorted(timings.items(), key=lambda item: -item[1]):
        typer.echo(f"  {name:<12} {seconds:8.3f} s", err=True)
    typer.echo(f"  {'total':<12} {sum(timings.values()):8.3f} s", err=True)


class _ProgressBar:
    """A bar on stderr (stdout carries the report): one step per skill read, then a pulsing bar
    while the engines analyse what the caches did not answer."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import Progress

        self.bar = Progress(transient=True, console=Console(stderr=True))
        self.task = self.bar.add_task("reading skills", total=total)
        self.bar.start()

    def skill_read(self, path: Path) -> None:
        self.bar.advance(self.task)

    def analysing(self, skills: int) -> None:
        self.bar.update(self.task, description=f"analysing {skills} skill(s)", total=None)

    def stop(self) -> None:
        self.bar.stop()
