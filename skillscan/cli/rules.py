"""`skillscan rules list|show|test|validate`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from skillscan.cli.options import NO_COLOR, OUTPUT, RULES_DIRS, ListFormat, use_color, write_output

app = typer.Typer(help="List, show, test and validate rule packs.", no_args_is_help=True,
                  epilog="Examples:\n\n  skillscan rules list\n\n  skillscan rules show pipe-to-shell")


@app.command("list", epilog="Example:\n\n  skillscan rules list --format json")
def list_command(
    fmt: ListFormat = typer.Option(ListFormat.TABLE, "--format", "-f"),
    rules_dirs: list[Path] = RULES_DIRS,
    output: Path | None = OUTPUT,
    no_color: bool = NO_COLOR,
) -> None:
    """Every rule of every loaded pack."""
    from skillscan.rules.loader import load_packs

    packs = load_packs(tuple(rules_dirs))
    rules = [rule for pack in packs for rule in pack.rules]
    if fmt is ListFormat.JSON:
        data = {
            "schema_version": 1,
            "rule_packs": [{"name": p.name, "version": p.version, "digest": p.digest, "rules": len(p.rules)} for p in packs],
            "rules": [
                {"id": r.id, "slug": r.slug, "title": r.title, "category": r.category, "threat": r.threat,
                 "severity": r.severity.label, "confidence": r.confidence.label, "engine": r.engine,
                 "status": r.status, "since": r.since, "pack": r.pack}
                for r in rules
            ],
        }
        write_output(json.dumps(data, indent=2) + "\n", output)
        return
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    table = Table("ID", "Slug", "Severity", "Confidence", "Engine", "Title", title=f"{len(rules)} rules")
    for r in rules:
        table.add_row(r.id, r.slug, r.severity.label, r.confidence.label, r.engine, r.title)
    buffer = StringIO()
    Console(file=buffer, force_terminal=use_color(no_color, output), width=160).print(table)
    write_output(buffer.getvalue(), output)


@app.command("show", epilog="Example:\n\n  skillscan rules show SKS-EXF-001")
def show_command(name: str = typer.Argument(..., help="Rule id, slug or alias."), rules_dirs: list[Path] = RULES_DIRS) -> None:
    """A rule's documentation: what it detects, why it matters, known problems, remediation."""
    from skillscan.errors import UsageError
    from skillscan.rules.docs import render_rule
    from skillscan.rules.loader import load_packs
    from skillscan.rules.selector import find

    rule = find((r for p in load_packs(tuple(rules_dirs)) for r in p.rules), name)
    if rule is None:
        raise UsageError(f"no rule named {name!r}")
    typer.echo(render_rule(rule))


@app.command("test", epilog="Example:\n\n  skillscan rules test SKS-EXE-001 --fixtures fixtures/rules")
def test_command(
    names: list[str] = typer.Argument(None, help="Rules to test (default: all)."),
    rules_dirs: list[Path] = RULES_DIRS,
    fixtures: Path | None = typer.Option(None, "--fixtures", help="Fixture root (default: ./fixtures/rules when present)."),
) -> None:
    """Run each rule's examples and fixture cases. Exit 1 on any failure."""
    from skillscan.rules.loader import load_packs
    from skillscan.rules.selector import select
    from skillscan.rules.testing import check_examples, check_fixtures

    rules = select([r for p in load_packs(tuple(rules_dirs)) for r in p.rules], tuple(names or ()))
    root = fixtures or (Path("fixtures/rules") if Path("fixtures/rules").is_dir() else None)
    failures, gaps = [], []
    for rule in rules:
        failures.extend(check_examples(rule))
        if root is not None:
            more, known = check_fixtures(rule, root)
            failures.extend(more)
            gaps.extend(known)
    for gap in gaps:
        typer.echo(f"known gap: {gap}")
    for failure in failures:
        typer.echo(f"FAIL {failure}")
    typer.echo(f"{len(rules) - len({f.rule_id for f in failures})} passed, {len({f.rule_id for f in failures})} failed"
               + ("" if root else " (examples only: no fixture folder)"))
    raise typer.Exit(1 if failures else 0)


@app.command("validate", epilog="Example:\n\n  skillscan rules validate ./my-pack")
def validate_command(dirs: list[Path] = typer.Argument(None, help="Pack folders (default: the built-in pack).")) -> None:
    """Load packs and check every rule file; errors name the file and field (exit 2)."""
    from skillscan.rules.loader import load_packs

    packs = load_packs(tuple(dirs or ()), fresh=True)
    for pack in packs:
        typer.echo(f"{pack.name} {pack.version}: {len(pack.rules)} rules OK ({pack.digest})")
