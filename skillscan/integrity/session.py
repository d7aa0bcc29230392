"""What every integrity command shares: its options, loading the lockfile (signature first),
saving it (re-signing), finding skills by name or path, and scanning them for the summary."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from skillscan.discovery import (
    MAX_WALK_DEPTH,
    SkillRoot,
    discover_installed,
    discover_paths,
    enclosing_skill,
    skill_md,
    walk,
)
from skillscan.errors import UsageError
from skillscan.integrity import lockfile as lockfile_io
from skillscan.integrity import paths, signing, statcache
from skillscan.integrity.lockfile import Lockfile, SkillRecord
from skillscan.integrity.records import findings_summary, pack_ids, read_meta
from skillscan.load import IGNORED_DIRS
from skillscan.model import Finding, ScanResult


@dataclass(frozen=True)
class Options:
    lockfile: Path = field(default_factory=paths.default_lockfile)
    home: Path = field(default_factory=Path.home)
    project: Path = field(default_factory=Path.cwd)
    paths: tuple[Path, ...] = ()
    rule_dirs: tuple[Path, ...] = ()
    allowed_signers: Path | None = None  # trusted keys for the lockfile signature
    skill_signers: Path | None = None  # trusted keys for skill signatures
    require_signature: bool = False
    full: bool = False  # verify: hash every file, ignore the stat cache
    trust_cache: bool = False  # verify a signed lockfile with the stat cache anyway
    scan: bool = True  # lock/approve: record the findings summary

    def project_of(self, lock: Lockfile) -> Path:
        return Path(lock.project) if lock.project and not self.paths else self.project


def load(options: Options, missing_ok: bool = False) -> Lockfile:
    """The lockfile, after its signature (when one is expected) checked out."""
    return load_signed(options, missing_ok)[0]


def load_signed(options: Options, missing_ok: bool = False) -> tuple[Lockfile, str]:
    """(lockfile, 'unsigned' or the principal that signed it)."""
    if missing_ok and not options.lockfile.exists():
        return Lockfile(), "unsigned"
    text = lockfile_io.read_text(options.lockfile)
    signer = signing.check_lockfile(options.lockfile, text.encode("utf-8"), options.allowed_signers,
                                    options.require_signature)
    return lockfile_io.loads(text, str(options.lockfile)), signer


def save(options: Options, lock: Lockfile, sign_key: Path | None) -> bool:
    """Write (and sign) the lockfile; True when signed. A signed lockfile is never left unsigned."""
    key = sign_key or (Path(lock.signing_key) if lock.signing_key else None)
    sig = signing.signature_path(options.lockfile)
    if key is None and (sig.exists() or options.require_signature):
        raise UsageError(f"{options.lockfile} is signed; pass --sign-key to sign the new version")
    if key is None:
        lockfile_io.save(lock, options.lockfile)
        return False
    lock.signing_key = str(key.expanduser().absolute())
    text = lockfile_io.dumps(lock)
    # Sign first: a key that fails leaves the old lockfile and its signature as they were.
    signing.sign_lockfile(options.lockfile, text.encode("utf-8"), key.expanduser(), options.allowed_signers)
    lockfile_io.write_private(options.lockfile, text.encode("utf-8"))
    return True


def discover(options: Options, lock: Lockfile | None = None) -> list[SkillRoot]:
    if options.paths and lock is not None:
        return roots_below(options.paths, set(lock.skills))
    if options.paths:
        return discover_paths(options.paths)
    project = options.project_of(lock) if lock is not None else options.project
    return discover_installed(options.home, project)


def roots_below(given: Sequence[Path], known: set[str]) -> list[SkillRoot]:
    """discover_paths for verify, without its cost: folders that are approved skills are taken as
    they are (verify walks them anyway and reports a missing SKILL.md), every other folder goes
    through discovery.walk, and no root is resolved (verify resolves only unknown roots)."""
    roots: list[SkillRoot] = []
    for path in given:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path}: no such file or directory")
        absolute = path.absolute()
        if str(absolute) in known:
            roots.append(SkillRoot(absolute, "path", "path"))
        elif not absolute.is_dir():
            if (enclosing := enclosing_skill(absolute)) is not None:
                roots.append(SkillRoot(enclosing, "path", "path"))
        elif skill_md(absolute) is not None:
            roots.append(SkillRoot(absolute, "path", "path"))
        else:
            roots.extend(_children(absolute, known))
    return roots


def _children(folder: Path, known: set[str]) -> list[SkillRoot]:
    """discovery.walk one level down, short-cutting the children that are approved skills."""
    found: list[SkillRoot] = []
    try:
        with os.scandir(folder) as entries:
            children = sorted(entries, key=lambda e: e.name)
    except OSError:
        return found
    for child in children:
        if child.path in known:
            found.append(SkillRoot(Path(child.path), "path", "path"))
        elif child.is_symlink():
            if child.is_dir() and skill_md(Path(child.path)) is not None:  # a linked skill folder
                found.append(SkillRoot(Path(child.path), "path", "path"))
        elif child.is_dir() and child.name not in IGNORED_DIRS:
            found.extend(SkillRoot(p, "path", "path") for p in walk(Path(child.path), MAX_WALK_DEPTH - 1))
    return found


def under_paths(record: SkillRecord, given: Sequence[Path]) -> bool:
    if not given:
        return True
    for path in given:
        for base in _forms(path):
            for candidate in (record.path, record.real_path or record.path):
                if candidate == base or candidate.startswith(base.rstrip("/") + "/"):
                    return True
    return False


@lru_cache(maxsize=64)
def _forms(path: Path) -> tuple[str, str]:
    return str(path.absolute()), str(path.resolve())


def scan_roots(
    roots: Sequence[SkillRoot], rule_dirs: Sequence[Path]
) -> tuple[tuple[str, ...], dict[str, list[Finding]], ScanResult | None]:
    """(rule pack ids, findings by skill folder, raw result) — one pipeline run for all roots."""
    from skillscan.pipeline import ScanOptions, load_rules, scan

    if not roots:
        packs, _ = load_rules(ScanOptions(rule_dirs=tuple(rule_dirs)))
        return pack_ids(packs), {}, None
    # Audit mode: an installed (maybe drifted, maybe hostile) skill must not hide findings from
    # its own risk delta with inline directives, and approval records every finding.
    options = ScanOptions(paths=tuple(r.path for r in roots), rule_dirs=tuple(rule_dirs), no_ignores=True)
    result = scan(options)
    by_root: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_root[str(finding.skill.root)].append(finding)
    return pack_ids(result.rule_packs), dict(by_root), result


def summaries(roots: Sequence[SkillRoot], options: Options) -> tuple[tuple[str, ...], dict[str, dict[str, object]]]:
    if not options.scan:
        return (), {str(r.path): {"scanned": False} for r in roots}
    packs, by_root, _ = scan_roots(roots, options.rule_dirs)
    return packs, {str(r.path): findings_summary(by_root.get(str(r.path), []), packs) for r in roots}


def find_record(lock: Lockfile, target: str) -> SkillRecord:
    """An approved skill by path or (unique) name."""
    path = Path(target)
    if path.exists() or path.is_symlink() or "/" in target:
        absolute, real = str(path.absolute()), str(path.resolve())
        for record in lock.skills.values():
            if record.path in (absolute, real) or record.real_path == real:
                return record
        raise UsageError(f"{target}: not an approved skill in the lockfile")
    matches = lock.by_name(target)
    if not matches:
        raise UsageError(f"no approved skill named {target!r} (see `skillscan verify`)")
    if len(matches) > 1:
        raise UsageError(f"{len(matches)} approved skills are named {target!r}; give a path: "
                         + ", ".join(r.path for r in matches))
    return matches[0]


def find_current(options: Options, lock: Lockfile, target: str) -> SkillRoot:
    """A skill on disk by path or (unique) name: approved or not."""
    path = Path(target)
    if path.exists() or path.is_symlink() or "/" in target:
        found = discover_paths([path])
        if len(found) != 1 or found[0].path != path.absolute():
            raise UsageError(f"{target}: not a skill folder (a folder with SKILL.md)")
        real = str(path.resolve())
        for record in lock.skills.values():  # keep the identity it was approved under
            if record.real_path == real or record.path == str(path.absolute()):
                return SkillRoot(Path(record.path), record.client, record.scope, record.location)
        return found[0]
    candidates: dict[str, SkillRoot] = {}
    for record in lock.by_name(target):
        if Path(record.path).exists():
            candidates[str(Path(record.path).resolve())] = SkillRoot(Path(record.path), record.client,
                                                                     record.scope, record.location)
    for root in discover(options, lock):
        if read_meta(root.path).name.casefold() == target.casefold():
            candidates.setdefault(str(root.path.resolve()), root)
    if not candidates:
        raise UsageError(f"no skill named {target!r} found")
    if len(candidates) > 1:
        raise UsageError(f"{len(candidates)} skills are named {target!r}; give a path: "
                         + ", ".join(str(r.path) for r in candidates.values()))
    return next(iter(candidates.values()))


def update_cache(trees: dict[str, object]) -> None:
    cache = statcache.load()
    for path, tree in trees.items():
        cache[path] = dict(getattr(tree, "stats"))
    statcache.save(cache)
