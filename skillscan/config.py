"""Configuration: `[tool.skillscan]` in pyproject.toml, or a `.skillscan.toml`.

Precedence: `--config FILE` > `$SKILLSCAN_CONFIG` > the nearest config file above the target
> defaults. The target's own config is looked up only when the target lies under the current
directory (your repository): a skill downloaded elsewhere must not silence itself by shipping a
`.skillscan.toml` (D7). Every error names the file and the key (ConfigError, exit 2).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from skillscan.errors import ConfigError, RulePackError
from skillscan.globs import matches_path
from skillscan.model import Confidence, Severity, Skill, SkippedFile
from skillscan.rules import selector
from skillscan.rules.schema import Rule

ENV_VAR = "SKILLSCAN_CONFIG"
FILE_NAMES = (".skillscan.toml", "pyproject.toml")  # the first found in a folder wins
KEYS = ("select", "ignore", "fail-on", "fail-on-skipped", "min-severity", "min-confidence", "exclude", "rule-paths",
        "baseline", "rules")
RULE_KEYS = ("severity", "ignore", "options")
# Match keys that define what a rule *is*; options tune a rule, they do not rewrite it.
_STRUCTURAL = frozenset({"check", "any", "all", "not", "keywords", "requires", "pattern", "patterns"})


@dataclass(frozen=True)
class IgnoreEntry:
    """`path[:line[:col]]` from `[tool.skillscan.rules.ID] ignore`; path is a glob."""

    path: str
    line: int | None = None
    column: int | None = None
    text: str = ""


@dataclass(frozen=True)
class RuleSettings:
    severity: Severity | None = None
    ignore: tuple[IgnoreEntry, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)  # passed to the rule's engine
    allow_domains: tuple[str, ...] = ()  # handled by the filter stage, for any rule


@dataclass(frozen=True)
class Config:
    path: Path | None = None  # the file it came from; None = defaults
    root: Path = field(default_factory=Path.cwd)  # paths in the config are relative to this
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: Severity | None = None
    fail_on_skipped: bool = False  # exit 1 when a file was skipped (as --fail-on-skipped)
    min_severity: Severity | None = None
    min_confidence: Confidence | None = None
    exclude: tuple[str, ...] = ()
    rule_paths: tuple[Path, ...] = ()
    baseline: Path | None = None
    rules: Mapping[str, RuleSettings] = field(default_factory=dict)
    table: str = "[tool.skillscan]"

    def where(self, key: str) -> str:
        return f"{self.path}: {self.table} {key}"

    def relative(self, path: Path) -> str:
        """`path` relative to the config root ('/'-separated), or absolute when outside it."""
        absolute = path.absolute()
        try:
            return absolute.relative_to(self.root.absolute()).as_posix()
        except ValueError:
            return absolute.as_posix()

    def excludes(self, path: Path) -> bool:
        return bool(self.exclude) and matches_path(self.exclude, self.relative(path))

    def prune(self, skill: Skill) -> Skill:
        """The skill without its excluded files, which are accounted for as skipped."""
        if not self.exclude:
            return skill
        gone = {a.display_path for a in skill.real_files if self.excludes(skill.root / a.display_path)}
        if not gone:
            return skill
        skipped = [*skill.skipped, *(SkippedFile(p, "excluded", "config exclude") for p in sorted(gone))]
        return replace(skill, artifacts=tuple(a for a in skill.artifacts if a.display_path not in gone),
                       skipped=tuple(sorted(skipped, key=lambda s: s.path)))


def resolve(explicit: Path | None, targets: Sequence[Path], cwd: Path | None = None,
            environ: Mapping[str, str] | None = None) -> Config:
    """The configuration that applies to a scan of `targets` run from `cwd`."""
    cwd = (cwd or Path.cwd()).absolute()
    environ = os.environ if environ is None else environ
    if explicit is None and environ.get(ENV_VAR):
        explicit = Path(environ[ENV_VAR])
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found")
        return load(explicit)
    found = find(_start(targets, cwd))
    return load(found) if found is not None else Config(root=cwd)


def _start(targets: Sequence[Path], cwd: Path) -> Path:
    if not targets:
        return cwd
    absolute = [t.absolute() for t in targets]
    common = Path(os.path.commonpath([str(t) for t in absolute]))
    if not common.is_dir():
        common = common.parent
    return common if common.is_relative_to(cwd) else cwd


def find(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        for name in FILE_NAMES:
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or "skillscan" in _read(candidate).get("tool", {})):
                return candidate
    return None


def load(path: Path) -> Config:
    data = _read(path)
    if path.name == "pyproject.toml" or "tool" in data:
        table, data = "[tool.skillscan]", data.get("tool", {}).get("skillscan", {})
    else:
        table = "(top level)"
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {table} must be a table")
    return parse(data, path, table)


def _read(path: Path) -> dict[str, Any]:
    import tomllib  # here: most scans have no config file to read

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None


def parse(data: Mapping[str, Any], path: Path | None, table: str = "[tool.skillscan]") -> Config:
    config = Config(path=path, root=path.absolute().parent if path else Path.cwd(), table=table)
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigError(f"{config.where(unknown[0])}: unknown key (known: {', '.join(KEYS)})")
    root = config.root
    return replace(
        config,
        select=_strings(data, "select", config.where),
        ignore=_strings(data, "ignore", config.where),
        fail_on=_level(Severity, data, "fail-on", config.where),
        fail_on_skipped=_flag(data, "fail-on-skipped", config.where),
        min_severity=_level(Severity, data, "min-severity", config.where),
        min_confidence=_level(Confidence, data, "min-confidence", config.where),
        exclude=_strings(data, "exclude", config.where),
        rule_paths=tuple(root / p for p in _strings(data, "rule-paths", config.where)),
        baseline=_baseline(data, config),
        rules=_rules(data.get("rules", {}), config),
    )


def _baseline(data: Mapping[str, Any], config: Config) -> Path | None:
    value = data.get("baseline")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{config.where('baseline')}: must be a path string")
    return config.root / value


def _flag(data: Mapping[str, Any], key: str, where: Callable[[str], str]) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where(key)}: must be true or false")
    return value


def _strings(data: Mapping[str, Any], key: str, where: Callable[[str], str]) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where(key)}: must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _level(kind: type[Severity] | type[Confidence], data: Mapping[str, Any], key: str,
           where: Callable[[str], str]) -> Any:
    if key not in data:
        return None
    try:
        return kind.parse(str(data[key]))
    except (KeyError, AttributeError):
        names = ", ".join(member.label for member in kind)
        raise ConfigError(f"{where(key)}: {data[key]!r} is not one of {names}") from None


def _rules(value: Any, config: Config) -> dict[str, RuleSettings]:
    if not isinstance(value, dict):
        raise ConfigError(f"{config.where('rules')}: must be a table of rule ids")
    result = {}
    for name, body in value.items():
        key = f"rules.{name}"

        def where(sub: str, key: str = key) -> str:
            return config.where(f"{key}.{sub}")

        if not isinstance(body, dict):
            raise ConfigError(f"{config.where(key)}: must be a table")
        unknown = sorted(set(body) - set(RULE_KEYS))
        if unknown:
            raise ConfigError(f"{where(unknown[0])}: unknown key (known: {', '.join(RULE_KEYS)})")
        options = body.get("options", {})
        if not isinstance(options, dict):
            raise ConfigError(f"{where('options')}: must be a table")
        structural = sorted(_STRUCTURAL & {k.replace("-", "_") for k in options})
        if structural:
            raise ConfigError(f"{where('options')}: {structural[0]!r} defines the rule and cannot be set")
        options = {k.replace("-", "_"): v for k, v in options.items()}
        domains = _strings({"allow-domains": options.pop("allow_domains", [])}, "allow-domains",
                           lambda key: where(f"options.{key}"))
        result[name] = RuleSettings(
            severity=_level(Severity, body, "severity", where),
            ignore=tuple(_ignore_entry(e, where("ignore")) for e in _strings(body, "ignore", where)),
            options=options,
            allow_domains=tuple(d.lower().strip(".") for d in domains),
        )
    return result


def _ignore_entry(text: str, where: str) -> IgnoreEntry:
    path, *numbers = text.split(":")
    if len(numbers) > 2 or not path or not all(n.isdigit() and int(n) > 0 for n in numbers):
        raise ConfigError(f"{where}: {text!r} is not of the form path[:line[:column]]")
    values = [int(n) for n in numbers] + [None, None]
    return IgnoreEntry(path.removeprefix("./"), values[0], values[1], text)


def check_against(config: Config, rules: Sequence[Rule]) -> None:
    """Selectors and per-rule tables must name real rules (typos would silently do nothing)."""
    live = [r for r in rules if r.status != "removed"]
    for key, names in (("select", config.select), ("ignore", config.ignore), ("rules", tuple(config.rules))):
        for name in names:
            if not any(selector.matches(r, name) for r in live):
                raise ConfigError(f"{config.where(key)}: {name!r} matches no rule (use an id, id prefix, slug or category)")


def with_rule_settings(rules: Iterable[Rule], config: Config) -> list[Rule]:
    """Rules with the config's severity remaps and options applied (so reports and SARIF agree)."""
    from skillscan.engines import get_engine

    result = []
    for rule in rules:
        for name, settings in config.rules.items():
            if not selector.matches(rule, name):
                continue
            if settings.severity is not None:
                rule = replace(rule, severity=settings.severity)
            if settings.options:
                rule = replace(rule, match={**rule.match, **settings.options})
                try:
                    get_engine(rule.engine, rule.source).validate(rule)
                except RulePackError as error:
                    raise ConfigError(f"{config.where(f'rules.{name}.options')}: {error.problem}") from None
        result.append(rule)
    return result


def settings_for(config: Config, rule_id: str, slug: str, category: str) -> list[tuple[str, RuleSettings]]:
    """The per-rule tables that apply to a finding's rule (by id, prefix, slug or category)."""
    return [(name, s) for name, s in config.rules.items()
            if name in (rule_id, slug, category) or rule_id.startswith(name + "-") or rule_id.split("-")[0] == name]
