"""Engines turn rules into matches. Each declares what it needs and degrades, never crashes (D10).

The registry is a literal dict on purpose: every built-in engine is visible here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from skillscan.errors import RulePackError
from skillscan.model import Match, ScanError, Skill
from skillscan.rules.schema import Rule


@dataclass(frozen=True)
class Availability:
    available: bool
    version: str = ""
    reason: str = ""  # why not, when unavailable


class Engine(Protocol):
    name: ClassVar[str]

    def availability(self) -> Availability: ...

    def validate(self, rule: Rule) -> None:
        """Raise RulePackError when the rule's `match` body is wrong (at load time)."""

    def prepare(self, rules: Sequence[Rule]) -> Any: ...

    def run(self, prepared: Any, skill: Skill, errors: list[ScanError]) -> Iterator[Match]:
        """All matches of the prepared rules in one skill; per-file problems go to `errors`.

        Batch engines (one external process per scan) may also offer
        `run_batch(prepared, skills, errors) -> Iterator[tuple[Skill, Match]]`, which the
        pipeline prefers.
        """


def _registry() -> dict[str, Engine]:
    from skillscan.engines.bandit import BanditEngine
    from skillscan.engines.chain import ChainEngine
    from skillscan.engines.check import CheckEngine
    from skillscan.engines.regex import RegexEngine
    from skillscan.engines.semgrep import SemgrepEngine
    from skillscan.engines.treesitter import TreeSitterEngine

    return {
        "regex": RegexEngine(), "check": CheckEngine(), "chain": ChainEngine(),
        "treesitter": TreeSitterEngine(), "bandit": BanditEngine(), "semgrep": SemgrepEngine(),
    }


_ENGINES: dict[str, Engine] | None = None


def engines() -> dict[str, Engine]:
    global _ENGINES
    if _ENGINES is None:
        _ENGINES = _registry()
    return _ENGINES


def availabilities(names: Iterable[str] | None = None) -> dict[str, Availability]:
    """Whether each engine (default: all) can run here. A scan asks once and passes the answer
    on: asking may start a program."""
    return {name: engines()[name].availability() for name in (engines() if names is None else names)}


def get_engine(name: str, source: str = "") -> Engine:
    try:
        return engines()[name]
    except KeyError:
        raise RulePackError(f"{source}: field 'engine'", f"unknown engine {name!r}; known: {', '.join(engines())}") from None
