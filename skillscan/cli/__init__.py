"""The `skillscan` command. Subcommand modules parse options and call the library; no logic here."""

from __future__ import annotations

import sys

import typer

from skillscan import __version__

app = typer.Typer(
    name="skillscan",
    help="Scan the AI-agent skills installed on this machine and say, with evidence, which can hurt you.\n\n"
    "Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage, config or rule-pack error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"skillscan {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", "-V", is_eager=True, callback=_print_version,
                                 help="Print the version and exit (`skillscan version` also lists packs and engines)."),
) -> None:
    """Scan the AI-agent skills installed on this machine and say, with evidence, which can hurt you."""


from skillscan.cli import discover, rules, scan, version  # noqa: E402 - after `app` exists

app.command("scan", epilog=scan.EPILOG)(scan.scan_command)
app.command("discover", epilog=discover.EPILOG)(discover.discover_command)
app.add_typer(rules.app, name="rules")
app.command("version")(version.version_command)
from skillscan.cli import baseline as baseline_cli, config as config_cli  # noqa: E402 - reports, baseline, config (issue 6)

app.add_typer(baseline_cli.app, name="baseline")
app.add_typer(config_cli.app, name="config")
from skillscan.cli import integrity  # noqa: E402 - integrity over time (issue 5)

app.command("lock", epilog=integrity.LOCK_EPILOG)(integrity.lock_command)
app.command("verify", epilog=integrity.VERIFY_EPILOG)(integrity.verify_command)
app.command("approve")(integrity.approve_command)
app.command("watch")(integrity.watch_command)
app.command("restore")(integrity.restore_command)
app.command("quarantine")(integrity.quarantine_command)
from skillscan.cli import merge as merge_cli  # noqa: E402 - sharded scans (issue 7)

app.command("merge", epilog=merge_cli.EPILOG)(merge_cli.merge_command)


def main() -> None:
    from skillscan.errors import SkillscanError
    from skillscan.runtime import tune_garbage_collector

    tune_garbage_collector()

    try:
        # Without standalone mode click returns the exit code of typer.Exit instead of raising.
        code = app(standalone_mode=False)
    except SkillscanError as error:
        typer.echo(f"skillscan: error: {error.diagnostics()}", err=True)
        sys.exit(2)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        sys.exit(2)
    except Exception as error:  # click usage errors and anything unexpected: exit 2, never a traceback
        show = getattr(error, "show", None)
        if isinstance(error, typer.TyperException) and callable(show):  # typer's own click: usage errors
            show()
            sys.exit(2)
        typer.echo(f"skillscan: internal error: {type(error).__name__}: {error}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "main", "__version__"]
