"""`skillscan discover`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from skillscan.cli.options import NO_COLOR, OUTPUT, ListFormat, use_color, write_output

if TYPE_CHECKING:
    from rich.console import Console

EPILOG = """Examples:

  skillscan discover                  # skills, MCP servers, hooks, config files

  skillscan discover --format json    # the same four lists as one JSON object

  skillscan discover ./my-skills      # only the skills below a folder
"""


def discover_command(
    paths: list[Path] = typer.Argument(None, help="Look below these paths instead of the client folders."),
    fmt: ListFormat = typer.Option(ListFormat.TABLE, "--format", "-f"),
    output: Path | None = OUTPUT,
    no_color: bool = NO_COLOR,
) -> None:
    """List what skillscan would scan: skills, and (without paths) this machine's MCP servers, hooks
    and agent config files. Env and header values are never shown; commands are redacted."""
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
    machine: dict[str, list[dict[str, Any]]] = {"mcp_servers": [], "hooks": [], "configs": []}
    if not paths:
        from skillscan.agentconfig import inventory

        machine.update(inventory(Path.home(), Path.cwd(), [Path(r["path"]) for r in rows]))
    if fmt is ListFormat.JSON:
        write_output(json.dumps({"schema_version": 1, "skills": rows, **machine}, indent=2, ensure_ascii=False) + "\n", output)
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
    if not paths:
        _machine_tables(console, machine)
    write_output(buffer.getvalue(), output)


def _machine_tables(console: Console, machine: dict[str, list[dict[str, Any]]]) -> None:
    from rich.table import Table

    servers = Table("Name", "Client", "Scope", "Runs", "Env / headers", "Where",
                    title=f"{len(machine['mcp_servers'])} MCP server(s)")
    for s in machine["mcp_servers"]:
        runs = s["url"] or " ".join([s["command"], *s["args"]])
        servers.add_row(s["name"], s["client"], s["scope"], runs, ", ".join([*s["env"], *s["headers"]]),
                        f"{s['file']}:{s['line']}")
    hooks = Table("Event", "Client", "Scope", "Command", "Where", title=f"{len(machine['hooks'])} hook(s)")
    for h in machine["hooks"]:
        hooks.add_row(h["event"], h["client"], h["scope"], h["command"], f"{h['file']}:{h['line']}")
    configs = Table("Path", "Client", "Scope", "Kinds", title=f"{len(machine['configs'])} agent config file(s)")
    for c in machine["configs"]:
        unread = "" if c.get("parsed", True) else " (does not parse)"
        configs.add_row(c["path"] + unread, c["client"], c["scope"], ", ".join(c["kinds"]))
    for table in (servers, hooks, configs):
        console.print(table)
