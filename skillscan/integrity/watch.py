"""`skillscan watch`: a watchdog observer on the installed skill folders and agent configs.

Writes come in bursts (an update touches many files), so events are debounced: once no event has
arrived for `debounce` seconds (or `max_delay` after the first one, so a steady trickle cannot
postpone the check forever), the touched skills are re-verified and reported, then re-scanned;
with `quarantine`, a drifted skill whose scan has HIGH findings is moved out of reach.
"""

from __future__ import annotations

import fnmatch
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from skillscan import clients
from skillscan.integrity import lockfile as lockfile_io
from skillscan.integrity import paths, session, statcache, store, surfaces
from skillscan.integrity.session import Options
from skillscan.integrity.verify import Drift, VerifyResult, check_new_and_shadowed, check_surfaces, verify_record
from skillscan.model import Finding, Severity

_IGNORED_EVENTS = frozenset({"opened", "closed_no_write"})


@dataclass
class WatchReport:
    phase: str  # "drift" (right after re-verifying) or "scan" (after re-scanning)
    drifts: list[Drift]
    touched: list[str]
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    quarantined: list[store.QuarantineRecord] = field(default_factory=list)
    settled_at: float = 0.0  # time.monotonic() when the burst was considered settled
    error: str = ""


class Watcher:
    def __init__(self, options: Options, on_report: Callable[[WatchReport], None], *, debounce: float = 0.3,
                 max_delay: float = 2.0, quarantine: bool = False, rescan: bool = True) -> None:
        self.options, self.on_report = options, on_report
        self.debounce, self.max_delay = debounce, max_delay
        self.quarantine, self.rescan = quarantine, rescan
        self.lock = session.load(options)
        self._lock_mtime = options.lockfile.stat().st_mtime_ns
        self.project = options.project_of(self.lock)
        self._surface_state = ({} if options.paths
                               else surfaces.collect(options.home, self.project, paths.surface_salt()))
        self._pending: set[str] = set()
        self._first = self._last = 0.0
        self._cond = threading.Condition()
        self._stopping = False
        self._observer: object | None = None
        self._worker = threading.Thread(target=self._run, name="skillscan-watch", daemon=True)

    # --- wiring ---------------------------------------------------------------------------------
    def watched(self) -> list[tuple[Path, bool]]:
        """(folder, recursive) pairs: skills folders, approved skills, config folders."""
        wanted: dict[Path, bool] = {}
        if self.options.paths:
            for path in self.options.paths:
                wanted[path.absolute() if path.is_dir() else path.absolute().parent] = True
        else:
            for folder in paths.skills_folders(self.options.home, self.project):
                wanted[folder.resolve()] = True
            for location in clients.CLIENTS:
                if location.kind in (clients.SurfaceKind.MCP_CONFIG, clients.SurfaceKind.SETTINGS):
                    for file in clients.expand(location, self.options.home, self.project):
                        wanted.setdefault(file.parent.resolve(), False)
        for record in self.lock.skills.values():
            for candidate in (Path(record.real_path or record.path), Path(record.path).parent):
                if candidate.is_dir() and not any(candidate.is_relative_to(w) for w, rec in wanted.items() if rec):
                    wanted[candidate] = candidate == Path(record.real_path or record.path)
        return sorted(wanted.items())

    def start(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type not in _IGNORED_EVENTS:
                    watcher.notify([os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")])

        observer = Observer()
        for folder, recursive in self.watched():
            observer.schedule(Handler(), str(folder), recursive=recursive)
        observer.start()
        self._observer = observer
        self._worker.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._observer is not None:
            self._observer.stop()  # type: ignore[attr-defined]
            self._observer.join(timeout=5)  # type: ignore[attr-defined]
        self._worker.join(timeout=5)

    def notify(self, changed: Iterable[str]) -> None:
        now = time.monotonic()
        with self._cond:
            if not self._pending:
                self._first = now
            self._pending.update(p for p in changed if p)
            self._last = now
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                now = time.monotonic()
                due = min(self._last + self.debounce, self._first + self.max_delay)
                if now < due:
                    self._cond.wait(due - now)
                    continue
                batch, self._pending = sorted(self._pending), set()
            try:
                self.process(batch, settled_at=time.monotonic())
            except Exception as error:  # one bad batch must not end the watch
                self.on_report(WatchReport("error", [], batch, error=f"{type(error).__name__}: {error}"))

    # --- one settled burst ----------------------------------------------------------------------
    def process(self, changed: list[str], settled_at: float = 0.0) -> WatchReport:
        self._reload_lock()
        records = [r for r in self.lock.skills.values() if _touches(changed, (r.path, r.real_path))]
        result = VerifyResult()
        result.names = {r.path: r.name for r in self.lock.skills.values() if os.path.lexists(r.path)}
        cache = statcache.load()
        quarantined = store.quarantined_paths()
        for record in records:
            verify_record(record, result, self.options.home, cache.get(record.path), quarantined,
                          self.options.skill_signers)
        mapped = {p for p in changed if _touches([p], [x for r in records for x in (r.path, r.real_path)])}
        if set(changed) - mapped:  # maybe a new skill (or one that takes an approved name)
            before = len(result.drifts)
            check_new_and_shadowed(self.lock, session.discover(self.options, self.lock), result)
            fresh = [d for d in result.drifts[before:] if _touches(changed, (d.where,))]
            result.drifts[before:] = fresh
            if not self.options.paths and any(self._is_surface(p) for p in changed):
                now = surfaces.collect(self.options.home, self.project, paths.surface_salt())
                check_surfaces(self._surface_state, now, result)
                self._surface_state = now
        report = WatchReport("drift", result.drifts, [r.path for r in records], settled_at=settled_at)
        self.on_report(report)
        if self.rescan and result.drifted_skills:
            self._rescan(result, report)
        return report

    def _rescan(self, result: VerifyResult, report: WatchReport) -> None:
        from skillscan.discovery import SkillRoot

        roots = []
        for path in result.drifted_skills:
            record = self.lock.skills.get(path)
            if os.path.isdir(path):
                roots.append(SkillRoot(Path(path), record.client if record else "path",
                                       record.scope if record else "path"))
        if not roots:
            return
        _, by_root, _ = session.scan_roots(roots, self.options.rule_dirs)
        scan = WatchReport("scan", report.drifts, report.touched, settled_at=report.settled_at)
        for root in roots:
            found = [f for f in by_root.get(str(root.path), []) if f.active]
            scan.findings[str(root.path)] = found
            if self.quarantine and any(f.severity >= Severity.HIGH for f in found):
                name = result.names.get(str(root.path), root.path.name)
                reason = "drifted with HIGH findings (watch --quarantine)"
                scan.quarantined.append(store.quarantine(root.path, name, reason))
        self.on_report(scan)

    def _reload_lock(self) -> None:
        try:
            mtime = self.options.lockfile.stat().st_mtime_ns
        except OSError:
            return
        if mtime != self._lock_mtime:  # approved meanwhile: re-read (signature checked again)
            try:
                self.lock, self._lock_mtime = session.load(self.options), mtime
            except lockfile_io.LockfileError:
                pass  # keep the last good one; verify will say why

    def _is_surface(self, changed: str) -> bool:
        path = Path(changed)
        for location in clients.CLIENTS:
            if location.kind not in (clients.SurfaceKind.MCP_CONFIG, clients.SurfaceKind.SETTINGS):
                continue
            base = self.project if location.scope == clients.Scope.PROJECT else self.options.home
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if fnmatch.fnmatch(rel, location.pattern.replace("**", "*")):
                return True
        return False


def _touches(changed: Iterable[str], roots: Iterable[str]) -> bool:
    """Is any changed path one of the roots or inside one? (A parent folder's own events — an entry
    added to a skills folder — say nothing about the skills already in it.)"""
    folders = [r.rstrip("/") for r in roots if r]
    return any(path == root or path.startswith(root + "/") for path in changed for root in folders)


def wait_forever(watcher: Watcher) -> None:
    watcher.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
