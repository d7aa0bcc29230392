"""Errors that stop a command. Each carries what the user needs to fix it; the CLI exits 2."""

from __future__ import annotations


class SkillscanError(Exception):
    """Base class: usage, configuration or rule-pack problems (exit code 2)."""

    def diagnostics(self) -> str:
        return str(self)


class UsageError(SkillscanError):
    pass


class ConfigError(SkillscanError):
    pass


class RulePackError(SkillscanError):
    """A rule pack failed validation. `where` names the file and field."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem
