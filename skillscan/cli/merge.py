"""`skillscan merge`."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from skillscan.cli.options import OUTPUT, SeverityName, write_output

EPILOG = """Examples:

  skillscan scan skills --shard 1/2 --format json -o shard-1.json

  skillscan scan skills --shard 2/2 --format json -o shard-2.json

  skillscan merge shard-1.json shard-2.json -o skillscan.json --fail-on medium

  skillscan merge shards/*.sarif --format sarif -o skillscan.sarif
"""


class MergeFormat(enum.StrEnum):
    JSON = "json"
    SARIF = "sarif"


def merge_command(
    files: list[Path] = typer.Argument(..., help="JSON reports or SARIF logs of `skillscan scan --shard K/N` (one format)."),
    fmt: MergeFormat | None = typer.Option(None, "--format", "-f", show_default="the format of the inputs",
                                           help="Expected format of the inputs and the output (no conversion)."),
    output: Path | None = OUTPUT,
    fail_on: SeverityName = typer.Option(SeverityName.HIGH, "--fail-on",
                                         help="Exit 1 when a merged active finding is at or above this severity."),
) -> None:
    """Merge the reports of a sharded scan into one: exit 0/1 as `scan` would have, 2 on bad input."""
    from skillscan.report import merge

    _, merged, code = merge.merge_files(files, fmt.value if fmt is not None else None, fail_on.severity())
    write_output(merge.render(merged), output)
    raise typer.Exit(code)
