"""`skillscan scan`."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import typer

from skillscan.cli.options import NO_COLOR, OUTPUT, RULES_DIRS, SeverityName, use_color, write_output
from skillscan.cli.options import CONFIG, ConfidenceName, fail_on_severity, scan_options
from skillscan.report import Format

EPILOG = """Examples:

  skillscan scan                      # every skill installed on this machine

  skillscan scan ./skills/my-skill    # one skill (or a folder of skills)

  skillscan scan --format json -o report.json --fail-on medium
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
    no_cache: bool = typer.Option(False, "--no-cache", help="Analyse every file again (ignore and do not update the "
                                  "per-file result cache in the user cache dir; SKILLSCAN_CACHE_DIR moves it)."),
) -> None:
    """Scan skills for exfiltration, secrets, hidden execution, hidden instructions and more."""
    from skillscan.pipeline import discover, scan
    from skillscan.report import exit_code, render

    options = scan_options(paths, rules_dirs, select, ignore, config_file, baseline_file=baseline_file,
                           no_ignores=no_ignores, honor_inline_ignores=honor_inline_ignores,
                           min_severity=min_severity, min_confidence=min_confidence)
    if no_cache:
        options = replace(options, cache=False)
    progress = None
    if not quiet and sys.stderr.isatty():
        count = len(discover(options))
        if count > 5:
            progress = _progress(count)
    timings: dict[str, float] | None = {} if stats else None
    try:
        result = scan(options, on_skill=progress, timings=timings)
    finally:
        if progress is not None:
            progress.stop()  # type: ignore[attr-defined] - also on errors, or the cursor stays hidden
    severity = fail_on_severity(fail_on, options)
    write_output(render(result, fmt, severity, color=use_color(no_color, output)), output)
    if timings is not None:
        _print_stats(timings, len(result.skills))
    if not result.skills and not quiet:
        typer.echo("skillscan: no skills found" + ("" if paths else " in the known client folders (see `skillscan discover`)")
                   + (f" ({len(result.excluded)} excluded by {options.config.path})" if result.excluded else ""), err=True)
    raise typer.Exit(0 if exit_zero else exit_code(result, severity))


def _print_stats(timings: dict[str, float], skills: int) -> None:
    typer.echo(f"engine timings ({skills} skill(s)):", err=True)
    for name, seconds in sorted(timings.items(), key=lambda item: -item[1]):
        typer.echo(f"  {name:<12} {seconds:8.3f} s", err=True)
    typer.echo(f"  {'total':<12} {sum(timings.values()):8.3f} s", err=True)


def _progress(total: int):  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(transient=True, console=Console(stderr=True))  # stdout carries the report
    task = bar.add_task("scanning skills", total=total)
    bar.start()

    def advance(_: Path) -> None:
        bar.advance(task)
        if bar.finished:
            bar.stop()

    advance.stop = bar.stop  # type: ignore[attr-defined]
    return advance
