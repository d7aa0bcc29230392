"""`skillscan version`."""

from __future__ import annotations

import typer


def version_command() -> None:
    """Tool version, rule packs and engines.

    Example:

      skillscan version
    """
    from skillscan import __version__
    from skillscan.engines import engines
    from skillscan.rules.loader import load_packs

    typer.echo(f"skillscan {__version__}")
    for pack in load_packs():
        typer.echo(f"rule pack {pack.name} {pack.version} ({len(pack.rules)} rules, {pack.digest})")
    for name, engine in engines().items():
        availability = engine.availability()
        state = f"available ({availability.version})" if availability.available else f"unavailable: {availability.reason}"
        typer.echo(f"engine {name}: {state}")
