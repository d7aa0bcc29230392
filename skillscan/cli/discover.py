"""`skillscan discover`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from skillscan.cli.options import NO_COLOR, OUTPUT, ListFormat, use_color, write_output

EPILOG = """Examples:

  skillscan discover                  # skills in every known client folder

  skillscan discover --format json
"""


def discover_command(
    paths: list[Path] = typer.Argument(None, help="Look below these paths instead of the client folders."),
    fmt: ListFormat = typer.Option(ListFormat.TABLE, "--format", "-f"),
    output: Path | None = OUTPUT,
    no_color: bool = NO_COLOR,
) -> None:
    """List the skills skillscan would scan: name, path, client, scope."""
    from skillscan.discovery import skill_md
    from skillscan.parse.frontmatter import parse as parse_frontmatter
    from skillscan.pipeline import ScanOptions, discover

    rows = []
    for root in discover(ScanOptions(paths=tuple(paths or ()))):
        manifest = skill_md(root.path)
        name = root.path.name
        if manifest is not None:
            try:
                data = parse_frontmatter(manifest.read_text(encoding="utf-8", errors="replace")[:70_000]).data
                if isinstance(data.get("name"), str) and data["name"].strip():
                    name = data["name"].strip()
            except OSError:
                pass
        rows.append({"name": name, "path": str(root.path), "client": root.client, "scope": root.scope,
                     "location": root.location})
    if fmt is ListFormat.JSON:
        write_output(json.dumps({"schema_version": 1, "skills": rows}, indent=2, ensure_ascii=False) + "\n", output)
        return
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    buffer = StringIO()
    console = Console(file=buffer, force_terminal=use_color(no_color, output), width=140, highlight=False)
    table = Table("Name", "Client", "Scope", "Path", title=f"{len(rows)} skill(s)")
    for row in rows:
        table.add_row(row["name"], row["client"], row["scope"], row["path"])
    console.print(table)
    write_output(buffer.getvalue(), output)
