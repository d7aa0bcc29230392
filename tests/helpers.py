"""Test helpers: run the real CLI entry point in-process and capture what it prints."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    from skillscan.cli import main

    argv = sys.argv
    sys.argv = ["skillscan", *args]
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0
    finally:
        sys.argv = argv
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def write_skill(root, name: str, files: dict[str, str]):  # type: ignore[no-untyped-def]
    folder = root / name
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
