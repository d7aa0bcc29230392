"""`skillscan config schema|show`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from skillscan.cli.options import CONFIG, OUTPUT, write_output

app = typer.Typer(help="The configuration file: its JSON Schema, and what applies here.", no_args_is_help=True,
                  epilog="Examples:\n\n  skillscan config show\n\n  skillscan config schema")


def schema_text() -> str:
    return (Path(__file__).resolve().parent.parent / "schemas" / "config.schema.json").read_text(encoding="utf-8")


@app.command("schema", epilog="Examples:\n\n  skillscan config schema > skillscan.schema.json\n\n"
             "  skillscan config schema -o .vscode/skillscan.schema.json")
def schema_command(output: Path | None = OUTPUT) -> None:
    """Print the JSON Schema of the tool.skillscan table / .skillscan.toml (for editors and validation)."""
    write_output(schema_text(), output)


@app.command("show", epilog="Examples:\n\n  skillscan config show\n\n  skillscan config show skills/my-skill")
def show_command(
    paths: list[Path] = typer.Argument(None, help="The scan targets the config is looked up for (default: here)."),
    config_file: Path | None = CONFIG,
) -> None:
    """Which config file applies to a scan of PATHS, and the settings it holds (JSON)."""
    from skillscan import config

    settings = config.resolve(config_file, tuple(paths or ()))
    data = {
        "file": str(settings.path) if settings.path else None,
        "root": str(settings.root),
        "select": list(settings.select),
        "ignore": list(settings.ignore),
        "fail-on": settings.fail_on.label if settings.fail_on else None,
        "min-severity": settings.min_severity.label if settings.min_severity else None,
        "min-confidence": settings.min_confidence.label if settings.min_confidence else None,
        "exclude": list(settings.exclude),
        "rule-paths": [str(p) for p in settings.rule_paths],
        "baseline": str(settings.baseline) if settings.baseline else None,
        "rules": {name: {"severity": s.severity.label if s.severity else None, "ignore": [e.text for e in s.ignore],
                         "options": dict(s.options)} for name, s in settings.rules.items()},
    }
    typer.echo(json.dumps(data, indent=2, default=str))
