"""Process-level parallelism for the in-process, per-skill engines (regex, tree-sitter, checks).

A scan with many skills to analyse hands them, in chunks, to a pool of worker processes; each
worker prepares its engines once and returns matches as plain records (the same records the
result cache writes), which the main process binds back to its own artifacts. Engines that must
run once per scan (bandit in-process, semgrep as one subprocess) and the chains that combine
everything stay in the main process, which runs them while the workers work.

Workers are started with "spawn" on every platform: forking a process that may already run
threads (the progress bar, the semgrep waiter) can deadlock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from skillscan.model import Match, ScanError, Skill
from skillscan.rules.schema import Rule

# Below this many skills to analyse, starting workers costs more than it saves.
MIN_SKILLS = 24
CHUNKS_PER_WORKER = 4  # smaller chunks even out skills of very different sizes

_prepared: dict[str, Any] = {}  # in a worker: engine name → its prepared rules


def default_workers() -> int:
    """The CPUs this process may use (affinity-aware where the OS says)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def offloadable(engine: Any) -> bool:
    """Engines that work skill by skill inside this process."""
    return not getattr(engine, "needs_matches", False) and getattr(engine, "run_batch", None) is None


WorkerResult = tuple[list[tuple[str, str, list[dict[str, Any] | Match]]], list[ScanError], dict[str, float]]


def start(rules: Sequence[Rule], states: Mapping[str, Any], workers: int, skills: int) -> Workers | None:
    """Workers for `skills` skills to analyse, started now (their start-up overlaps the parse
    stage), or None when one process is better."""
    from skillscan.engines import engines

    if workers <= 1 or skills < MIN_SKILLS:
        return None
    by_engine: dict[str, list[Rule]] = {}
    for rule in rules:
        by_engine.setdefault(rule.engine, []).append(rule)
    names = [n for n in sorted(by_engine) if states[n].available and offloadable(engines()[n])]
    if not names:
        return None
    try:
        return Workers(min(workers, skills), {n: by_engine[n] for n in names})
    except (OSError, ImportError, NotImplementedError):  # no process support here: one process it is
        return None


class Workers:
    """A pool running some engines over chunks of skills; results collected with `results()`."""

    def __init__(self, count: int, by_engine: Mapping[str, Sequence[Rule]]) -> None:
        import multiprocessing

        self.names = list(by_engine)
        self.pool = ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_initialise, initargs=({n: list(r) for n, r in by_engine.items()},))
        self.count = count
        self.futures: list[Future[WorkerResult]] = []
        for _ in range(count):  # start every worker now: each imports skillscan and prepares its engines
            self.pool.submit(_ready)

    def submit(self, skills: Sequence[Skill], answered: Mapping[Path, set[PurePosixPath]]) -> None:
        size = max(1, len(skills) // (self.count * CHUNKS_PER_WORKER))
        for start in range(0, len(skills), size):
            chunk = list(skills[start : start + size])
            self.futures.append(self.pool.submit(_run, chunk, {s.root: answered.get(s.root, set()) for s in chunk}))

    def results(self) -> Iterable[WorkerResult]:
        try:
            for future in self.futures:
                yield future.result()
        finally:
            self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _ready() -> None:
    """A no-op task: submitting it is what makes the pool start a worker."""


def _initialise(rules: Mapping[str, Sequence[Rule]]) -> None:
    from skillscan.engines import engines
    from skillscan.runtime import tune_garbage_collector

    tune_garbage_collector()
    _prepared.update({name: engines()[name].prepare(engine_rules) for name, engine_rules in rules.items()})


def _run(skills: Sequence[Skill], answered: Mapping[Path, set[PurePosixPath]]) -> WorkerResult:
    """(per engine and skill root: match records), errors, seconds per engine — for one chunk."""
    from dataclasses import replace

    from skillscan.cache import match_record
    from skillscan.engines import engines
    from skillscan.matching import PER_FILE_ENGINES

    found: list[tuple[str, str, list[dict[str, Any] | Match]]] = []
    errors: list[ScanError] = []
    timings: dict[str, float] = {}
    for name, prepared in _prepared.items():
        started = time.perf_counter()
        engine = engines()[name]
        for skill in skills:
            target = skill
            if name in PER_FILE_ENGINES and answered[skill.root]:
                gone = answered[skill.root]
                target = replace(skill, artifacts=tuple(a for a in skill.artifacts if a.display_path not in gone))
            own = {a.path: a for a in skill.artifacts}
            matches = list(engine.run(prepared, target, errors))
            # Matches on the skill's own artifacts travel as records (their artifacts are bound
            # back in the main process); a check's synthetic artifact (a link, the folder) travels whole.
            records = [match_record(m) if own.get(m.artifact.path) is m.artifact else m for m in matches]
            if records:
                found.append((name, str(skill.root), records))
        timings[name] = time.perf_counter() - started
    return found, errors, timings
