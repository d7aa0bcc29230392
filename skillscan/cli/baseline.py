"""`skillscan baseline create|update`: accept today's findings when adopting skillscan."""

from __future__ import annotations

from pathlib import Path

import typer

from skillscan.cli.options import CONFIG, RULES_DIRS, scan_options

app = typer.Typer(help="Record today's findings as accepted, so that only new ones fail a scan.", no_args_is_help=True,
                  epilog="Examples:\n\n  skillscan baseline create skills/\n\n  skillscan baseline update skills/")

PATHS = typer.Argument(None, help="What to scan, as for `skillscan scan` (default: the installed skills).")
SELECT = typer.Option([], "--select", help="Only these rules (id, id prefix, slug or category); repeatable.")
IGNORE = typer.Option([], "--ignore", help="Not these rules; repeatable.")
FILE_HELP = "The baseline file."
DEFAULT_SHOWN = "the config's baseline, else .skillscan-baseline.json"

CREATE_EPILOG = """Examples:

  skillscan baseline create skills/       # writes .skillscan-baseline.json

  skillscan scan skills/ --baseline .skillscan-baseline.json
"""
UPDATE_EPILOG = """Examples:

  skillscan baseline update skills/       # drop fixed findings, refresh lines

  skillscan baseline update skills/ -o ci/baseline.json
"""


@app.command("create", epilog=CREATE_EPILOG)
def create_command(
    paths: list[Path] = PATHS,
    output: Path | None = typer.Option(None, "--output", "-o", help=FILE_HELP, show_default=DEFAULT_SHOWN),
    config_file: Path | None = CONFIG,
    rules_dirs: list[Path] = RULES_DIRS,
    select: list[str] = SELECT,
    ignore: list[str] = IGNORE,
) -> None:
    """Scan and write every active finding to the baseline (sorted, no timestamps; notes kept)."""
    from skillscan import baseline
    from skillscan.pipeline import scan

    options = scan_options(paths, rules_dirs, select, ignore, config_file, use_baseline=False)
    output = output or options.config.baseline or Path(baseline.DEFAULT_FILE)
    result = scan(options)
    previous = baseline.load(output) if output.is_file() else None
    created = baseline.create(result.active_findings, result.rule_packs, previous)
    baseline.save(created, output)
    skills = len({e.skill for e in created.entries})
    typer.echo(f"wrote {output}: {len(created.entries)} finding(s) accepted in {skills} skill(s) "
               f"({len(result.skills)} skill(s) scanned)", err=True)


@app.command("update", epilog=UPDATE_EPILOG)
def update_command(
    paths: list[Path] = PATHS,
    output: Path | None = typer.Option(None, "--output", "-o", help=FILE_HELP + " (read, then rewritten).",
                                       show_default=DEFAULT_SHOWN),
    config_file: Path | None = CONFIG,
    rules_dirs: list[Path] = RULES_DIRS,
    select: list[str] = SELECT,
    ignore: list[str] = IGNORE,
) -> None:
    """Drop entries whose finding is gone and refresh line hints. Never adds an entry."""
    from skillscan import baseline
    from skillscan.pipeline import scan

    options = scan_options(paths, rules_dirs, select, ignore, config_file, use_baseline=False)
    output = output or options.config.baseline or Path(baseline.DEFAULT_FILE)
    old = baseline.load(output)
    result = scan(options)
    updated, dropped = baseline.update(old, result.active_findings, result.rule_packs)
    baseline.save(updated, output)
    new = len(result.active_findings) - len(updated.entries)
    typer.echo(f"updated {output}: {len(updated.entries)} kept, {dropped} dropped"
               + (f"; {new} finding(s) not in the baseline (never added by update)" if new else ""), err=True)
