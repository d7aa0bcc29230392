"""Option types shared by several subcommands (one home for each)."""

from __future__ import annotations

import enum
import os
import sys
from pathlib import Path

import typer

from skillscan.model import Severity


class SeverityName(enum.StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    def severity(self) -> Severity:
        return Severity.parse(self.value)


class ListFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


def write_output(text: str, output: Path | None) -> None:
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        output.write_text(text, encoding="utf-8")


def use_color(no_color: bool, output: Path | None) -> bool:
    if no_color or os.environ.get("NO_COLOR") or (output is not None and str(output) != "-"):
        return False
    return sys.stdout.isatty()


NO_COLOR = typer.Option(False, "--no-color", help="Plain output (also when NO_COLOR is set or output is not a terminal).")
OUTPUT = typer.Option(None, "--output", "-o", help="Write the report to FILE instead of standard output.")
RULES_DIRS = typer.Option([], "--rules", help="Add a rule pack folder (with pack.yaml); repeatable.")
