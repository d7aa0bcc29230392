"""Option types shared by several subcommands (one home for each)."""

from __future__ import annotations

import enum
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from skillscan.model import Severity

if TYPE_CHECKING:
    from skillscan.pipeline import ScanOptions


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


class ConfidenceName(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


CONFIG = typer.Option(None, "--config", help="Settings file: a pyproject.toml with a tool.skillscan table, or a .skillscan.toml. "
                      "Default: $SKILLSCAN_CONFIG, else the nearest one above the target (targets under the current directory).")


def scan_options(paths: list[Path] | None, rules_dirs: list[Path], select: list[str], ignore: list[str],
                 config_file: Path | None, *, baseline_file: Path | None = None, use_baseline: bool = True,
                 no_ignores: bool = False, honor_inline_ignores: bool = False,
                 min_severity: SeverityName | None = None, min_confidence: ConfidenceName | None = None,
                 ) -> ScanOptions:
    """The command line merged over the config file: flags win, `--ignore` adds to the config's."""
    from dataclasses import replace

    from skillscan import baseline, config
    from skillscan.model import Confidence
    from skillscan.pipeline import ScanOptions

    targets = tuple(paths or ())
    settings = config.resolve(config_file, targets)
    if min_severity is not None:
        settings = replace(settings, min_severity=min_severity.severity())
    if min_confidence is not None:
        settings = replace(settings, min_confidence=Confidence.parse(min_confidence.value))
    baseline_path = baseline_file or (settings.baseline if use_baseline else None)
    return ScanOptions(
        paths=targets, rule_dirs=tuple(rules_dirs), select=tuple(select), ignore=tuple(ignore), config=settings,
        baseline=baseline.load(baseline_path) if baseline_path is not None and use_baseline else None,
        no_ignores=no_ignores, honor_inline_ignores=honor_inline_ignores,
    )


def fail_on_severity(flag: SeverityName | None, options: ScanOptions) -> Severity:
    if flag is not None:
        return flag.severity()
    return options.config.fail_on or Severity.HIGH
