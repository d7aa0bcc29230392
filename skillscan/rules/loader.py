"""Load and validate rule packs: the built-in `core` pack plus any `--rules DIR`.

A pack is a folder with `pack.yaml` (name, version, min_skillscan), one YAML file per rule in
any sub-folder, and `lists/*.yaml` of shared literals (hosts, paths …) that rules reference as
`{{list:NAME}}`, so each fact has one home. The pack digest (SHA-256 over every file) goes into
every report, so a result always says exactly which rules produced it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from skillscan import __version__
from skillscan.errors import RulePackError
from skillscan.rules.schema import Rule, parse_rule

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class RulePack:
    name: str
    version: str
    min_skillscan: str
    description: str
    digest: str
    root: Path
    rules: tuple[Rule, ...]
    lists: Mapping[str, tuple[str, ...]]


def builtin_pack_dir() -> Path:
    """`skillscan/_rules/core` in a wheel; the repository's `rules/core` in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_rules" / "core", package.parent / "rules" / "core"):
        if (candidate / "pack.yaml").is_file():
            return candidate
    raise RulePackError(str(package), "the built-in rule pack is missing from this installation")


def load_packs(extra_dirs: Sequence[Path] = ()) -> tuple[RulePack, ...]:
    packs = [load_pack(builtin_pack_dir())]
    packs.extend(load_pack(path) for path in extra_dirs)
    check_unique(rule for pack in packs for rule in pack.rules)
    return tuple(packs)


def load_pack(root: Path) -> RulePack:
    from skillscan.engines import get_engine

    manifest_path = root / "pack.yaml"
    if not manifest_path.is_file():
        raise RulePackError(str(root), "not a rule pack: pack.yaml not found")
    manifest = _read_yaml(manifest_path)
    if not isinstance(manifest, Mapping):
        raise RulePackError(str(manifest_path), "must hold a mapping")
    for key in ("name", "version", "min_skillscan"):
        if not isinstance(manifest.get(key), str):
            raise RulePackError(f"{manifest_path}: field '{key}'", "must be a string")
    if _version_tuple(manifest["min_skillscan"]) > _version_tuple(__version__):
        raise RulePackError(
            f"{manifest_path}: field 'min_skillscan'",
            f"pack needs skillscan >= {manifest['min_skillscan']}, this is {__version__}",
        )
    files = sorted(p for p in root.rglob("*.yaml") if p.is_file())
    lists = _load_lists(root, [p for p in files if p.parent.name == "lists"])
    rules = []
    for path in files:
        if path == manifest_path or path.parent.name == "lists":
            continue
        source = str(path.relative_to(root.parent))
        rule = parse_rule(_read_yaml(path), source, manifest["name"])
        rule = _expand_lists(rule, lists)
        get_engine(rule.engine, source).validate(rule)
        rules.append(rule)
    return RulePack(
        name=manifest["name"],
        version=manifest["version"],
        min_skillscan=manifest["min_skillscan"],
        description=str(manifest.get("description", "")),
        digest=_digest(root, files),
        root=root,
        rules=tuple(sorted(rules, key=lambda r: r.id)),
        lists=lists,
    )


def check_unique(rules: Iterable[Rule]) -> None:
    owners: dict[str, str] = {}
    for rule in rules:
        for name in (rule.id, rule.slug, *rule.aliases):
            if name in owners:
                raise RulePackError(rule.source, f"{name!r} is already used by {owners[name]}")
            owners[name] = rule.source


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise RulePackError(str(path), f"cannot read: {error}") from None


def _load_lists(root: Path, paths: list[Path]) -> dict[str, tuple[str, ...]]:
    lists: dict[str, tuple[str, ...]] = {}
    for path in paths:
        data = _read_yaml(path)
        items = data.get("items") if isinstance(data, Mapping) else None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise RulePackError(f"{path.relative_to(root.parent)}: field 'items'", "must be a list of strings")
        lists[path.stem] = tuple(items)
    return lists


def _expand_lists(rule: Rule, lists: Mapping[str, tuple[str, ...]]) -> Rule:
    """Replace `{{list:NAME}}` in the match body: in patterns by an escaped alternation, in
    keyword lists by the items themselves."""
    from dataclasses import replace

    from skillscan.engines.regex import expand_list_references

    expanded = expand_list_references(rule.match, lists, rule.source)
    return replace(rule, match=expanded) if expanded is not rule.match else rule


def _digest(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())
