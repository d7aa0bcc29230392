"""Load and validate rule packs: the built-in `core` pack plus any `--rules DIR`.

A pack is a folder with `pack.yaml` (name, version, min_skillscan), one YAML file per rule in
any sub-folder, and `lists/*.yaml` of shared literals (hosts, paths …) that rules reference as
`{{list:NAME}}`, so each fact has one home. The pack digest (SHA-256 over every file) goes into
every report, so a result always says exactly which rules produced it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillscan import __version__
from skillscan.errors import RulePackError
from skillscan.model import RulePackInfo
from skillscan.rules.schema import Rule, parse_rule



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


def load_packs(extra_dirs: Sequence[Path] = (), fresh: bool = False) -> tuple[RulePack, ...]:
    """The built-in pack and any extra packs; `fresh` revalidates even a pack seen before."""
    packs = [load_pack(builtin_pack_dir(), fresh)]
    packs.extend(load_pack(path, fresh) for path in extra_dirs)
    check_unique(rule for pack in packs for rule in pack.rules)
    return tuple(packs)


_MANIFEST = "pack.yaml"


def load_pack(root: Path, fresh: bool = False) -> RulePack:
    from skillscan.engines import get_engine

    manifest_path = root / _MANIFEST
    if not manifest_path.is_file():
        raise RulePackError(str(root), "not a rule pack: pack.yaml not found")
    # A pack already validated by this version is read back from JSON (no YAML, no regex
    # compilation at start-up); the key is the digest over every file, so any edit revalidates.
    # The digest itself is remembered with the pack folder's tree stamp: an untouched pack is
    # not even read.
    stamp = None if fresh else _tree_stamp(root)
    remembered = _remembered_digest(root, stamp)
    cached = _validated_pack(remembered) if remembered is not None else None
    if remembered is not None and cached is not None:
        digest, validated = remembered, True
    else:
        files = sorted(p for p in root.rglob("*.yaml") if p.is_file())
        contents = {path: path.read_bytes() for path in files}
        digest = _digest(root, contents)
        cached = None if fresh else _validated_pack(digest)
        validated = cached is not None
        if cached is None:
            cached = {str(p.relative_to(root)): _parse_yaml(contents[p], p) for p in files}
        _remember_digest(root, stamp, digest)
    manifest = cached[_MANIFEST]
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
    lists = _load_lists(root, {Path(k): v for k, v in cached.items() if _is_list(k)})
    rules = []
    for relative, data in sorted(cached.items()):
        if relative == _MANIFEST or _is_list(relative):
            continue
        source = os.path.join(root.name, relative)  # (string joins: a few hundred Path objects cost more than the rest)
        rule = parse_rule(data, source, manifest["name"])
        rule = _expand_lists(rule, lists)
        engine = get_engine(rule.engine, source)
        if not validated:
            engine.validate(rule)
        rules.append(rule)
    if not validated:
        _store_pack(digest, cached)
    return RulePack(
        name=manifest["name"],
        version=manifest["version"],
        min_skillscan=manifest["min_skillscan"],
        description=str(manifest.get("description", "")),
        digest=digest,
        root=root,
        rules=tuple(sorted(rules, key=lambda r: r.id)),
        lists=lists,
    )


def _is_list(relative: str) -> bool:
    """A file of shared literals (`lists/NAME.yaml` in any folder) rather than a rule."""
    return os.path.basename(os.path.dirname(relative)) == "lists"


def check_unique(rules: Iterable[Rule]) -> None:
    owners: dict[str, str] = {}
    for rule in rules:
        for name in (rule.id, rule.slug, *rule.aliases):
            if name in owners:
                raise RulePackError(rule.source, f"{name!r} is already used by {owners[name]}")
            owners[name] = rule.source


def _parse_yaml(data: bytes, path: Path) -> Any:
    import yaml  # here: a pack validated before is read back from JSON, without YAML

    try:
        return yaml.load(data.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise RulePackError(str(path), f"cannot read: {error}") from None


def cache_files(packs: Iterable[RulePackInfo]) -> list[Path]:
    """The cache files that hold these packs (validated, and their folders' stamps)."""
    paths = [_pack_cache_file(pack.digest) for pack in packs]
    return [p for p in (*paths, _stamps_file()) if p is not None]


def _pack_cache_file(digest: str) -> Path | None:
    return _cache_file(f"pack-{__version__}-{digest.removeprefix('sha256:')[:32]}.json")


def _stamps_file() -> Path | None:
    return _cache_file("pack-stamps.json")


def _cache_file(name: str) -> Path | None:
    """`name` in the user cache dir; None when there is no usable one (then packs are always
    read and validated)."""
    try:
        from skillscan.cache import default_dir

        return default_dir() / name
    except Exception:  # no usable cache dir
        return None


def _tree_stamp(root: Path) -> str | None:
    from skillscan.disk import list_tree
    from skillscan.stamps import tree_stamp

    return tree_stamp(root, list_tree(root), f"rule pack {__version__}")


def _remembered_digest(root: Path, stamp: str | None) -> str | None:
    """The digest last computed for the pack folder `root` when its tree stamp was `stamp`."""
    path = _stamps_file()
    remembered = _read_mapping(path).get(str(root)) if stamp is not None and path is not None else None
    if isinstance(remembered, list) and len(remembered) == 2 and remembered[0] == stamp:
        return str(remembered[1])
    return None


def _remember_digest(root: Path, stamp: str | None, digest: str) -> None:
    path = _stamps_file()
    if stamp is not None and path is not None:
        _write_mapping(path, {**_read_mapping(path), str(root): [stamp, digest]})


def _validated_pack(digest: str) -> dict[str, Any] | None:
    """Every file of the pack with this digest as validated by this version, or None."""
    path = _pack_cache_file(digest)
    pack = _read_mapping(path) if path is not None else {}
    return pack if _MANIFEST in pack else None


def _store_pack(digest: str, files: dict[str, Any]) -> None:
    path = _pack_cache_file(digest)
    if path is not None:
        _write_mapping(path, files)


def _read_mapping(path: Path) -> dict[str, Any]:
    """A JSON object from the cache dir; {} when it is missing, damaged or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_mapping(path: Path, data: dict[str, Any]) -> None:
    from skillscan.cache import write_json_atomically

    try:
        write_json_atomically(path, data, default=str)  # (YAML may hold dates)
    except (OSError, TypeError, ValueError):
        pass  # the cache is an optimisation; a scan never fails for it


def _load_lists(root: Path, files: dict[Path, Any]) -> dict[str, tuple[str, ...]]:
    lists: dict[str, tuple[str, ...]] = {}
    for path, data in files.items():
        path = root / path
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


def _digest(root: Path, contents: dict[Path, bytes]) -> str:
    digest = hashlib.sha256()
    for path in sorted(contents):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(contents[path] + b"\0")
    return "sha256:" + digest.hexdigest()


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())
