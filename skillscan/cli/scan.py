"""`skillscan scan`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from skillscan.cli.options import NO_COLOR, OUTPUT, RULES_DIRS, SeverityName, use_color, write_output
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
    fail_on: SeverityName = typer.Option(SeverityName.HIGH, "--fail-on", help="Exit 1 when an active finding is at or above this severity."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Always exit 0 when the scan ran (findings are still reported)."),
    rules_dirs: list[Path] = RULES_DIRS,
    select: list[str] = typer.Option([], "--select", help="Only these rules: id, id prefix (SKS-EXF), slug or category; repeatable."),
    ignore: list[str] = typer.Option([], "--ignore", help="Not these rules (same selectors); repeatable."),
    no_color: bool = NO_COLOR,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Scan skills for exfiltration, secrets, hidden execution, hidden instructions and more."""
    from skillscan.pipeline import ScanOptions, discover, scan
    from skillscan.report import exit_code, render

    options = ScanOptions(paths=tuple(paths or ()), rule_dirs=tuple(rules_dirs), select=tuple(select), ignore=tuple(ignore))
    progress = None
    if not quiet and sys.stderr.isatty():
        count = len(discover(options))
        if count > 5:
            progress = _progress(count)
    result = scan(options, on_skill=progress)
    severity = fail_on.severity()
    write_output(render(result, fmt, severity, color=use_color(no_color, output)), output)
    if not result.skills and not quiet:
        typer.echo("skillscan: no skills found" + ("" if paths else " in the known client folders (see `skillscan discover`)"), err=True)
    raise typer.Exit(0 if exit_zero else exit_code(result, severity))


def _progress(total: int):  # type: ignore[no-untyped-def]
    from rich.progress import Progress

    bar = Progress(transient=True)
    task = bar.add_task("scanning skills", total=total)
    bar.start()

    def advance(_: Path) -> None:
        bar.advance(task)
        if bar.finished:
            bar.stop()

    return advance
