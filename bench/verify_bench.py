"""Benchmark: `skillscan verify` of 500 unchanged skills vs `sha256sum` over all their files.

    python bench/verify_bench.py [--skills 500] [--runs 5] [--scan]

Creates synthetic skills in a temp dir (HOME / XDG dirs point there too: the real home is never
touched), locks them, waits out the racy-timestamp window so the stat cache is usable (as for
skills installed earlier), then times, warm page cache, median of --runs:

  verify      the CLI end to end (`skillscan verify --lockfile L DIR`)
  start-up    the same command on a lockfile of 0 skills: interpreter, imports, lockfile
              handling — the fixed cost; `skillscan --help` is shown for reference
  in-process  skillscan.integrity.audit.verify() alone, imports already done
  --full      the CLI with every file hashed (no stat cache)
  sha256sum   one `sha256sum` process over every file of every skill
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILES = {
    "SKILL.md": (800, 6000),
    "scripts/run.sh": (200, 3000),
    "scripts/helper.py": (500, 12000),
    "references/guide.md": (1000, 16000),
    "references/api.md": (1000, 20000),
    "assets/data.json": (100, 4000),
}


def make_skills(root: Path, count: int) -> list[Path]:
    rng = random.Random(5)
    files = []
    for number in range(count):
        skill = root / f"skill-{number:03d}"
        for rel, (low, high) in FILES.items():
            path = skill / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            size = rng.randint(low, high)
            front = f"---\nname: skill-{number:03d}\ndescription: Synthetic skill {number}.\n---\n"
            head = front if rel == "SKILL.md" else ""
            body = head + "".join(rng.choice("abcdefghij klmnop\n") for _ in range(max(0, size - len(head))))
            path.write_text(body, encoding="utf-8")
            files.append(path)
        os.chmod(skill / "scripts" / "run.sh", 0o755)
    return files


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+system) of one run; CPU time stays honest on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} … failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def interleaved(commands: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, list[tuple[float, float]]]:
    """Run each command once per round, round after round, so machine noise hits all alike."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(run(command, env))
    return times


def in_process(lockfile: Path, skills: Path, env: dict[str, str], runs: int) -> tuple[float, float]:
    """(wall, CPU) medians of audit.verify() alone, imports done."""
    saved = {k: os.environ.get(k) for k in ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")}
    os.environ.update({k: env[k] for k in saved})
    try:
        from skillscan.integrity import audit
        from skillscan.integrity.session import Options

        options = Options(lockfile=lockfile, home=Path(env["HOME"]), paths=(skills,))
        audit.verify(options)
        walls, cpus = [], []
        for _ in range(runs):
            start, cpu = time.perf_counter(), time.process_time()
            result = audit.verify(options).result
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
            assert result.exit_code == 0 and result.files_hashed == 0, (result.drifts[:3], result.files_hashed)
        return statistics.median(walls), statistics.median(cpus)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skills", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scan", action="store_true", help="lock with the findings scan (slower lock)")
    args = parser.parse_args()
    skillscan = shutil.which("skillscan") or str(Path(sys.executable).with_name("skillscan"))
    base = Path(tempfile.mkdtemp(prefix="skillscan-bench-"))
    try:
        env = dict(os.environ, HOME=str(base / "home"), XDG_DATA_HOME=str(base / "data"),
                   XDG_CACHE_HOME=str(base / "cache"), NO_COLOR="1")
        for key in ("home", "data", "cache"):
            (base / key).mkdir()
        skills = base / "skills"
        files = make_skills(skills, args.skills)
        total = sum(p.stat().st_size for p in files)
        lockfile = base / "data" / "bench.lock.json"
        from skillscan.integrity import manifest

        time.sleep(manifest.RACY_NS / 1e9 + 0.1)  # skills installed "earlier": their stats are cacheable
        lock = [skillscan, "lock", "--lockfile", str(lockfile), str(skills)] + ([] if args.scan else ["--no-scan"])
        lock_time = run(lock, env)[0]
        empty, empty_lock = base / "empty", base / "data" / "empty.lock.json"
        empty.mkdir()
        run([skillscan, "lock", "--no-scan", "--lockfile", str(empty_lock), str(empty)], env)
        verify = [skillscan, "verify", "--lockfile", str(lockfile), str(skills)]
        commands = {
            "verify": verify,
            "start-up": [skillscan, "verify", "--lockfile", str(empty_lock), str(empty)],
            "help": [skillscan, "--help"],
            "full": verify + ["--full"],
            "sha256sum": ["sha256sum", *map(str, files)],
        }
        interleaved(commands, env, 1)  # warm-up: page cache for every side
        times = interleaved(commands, env, args.runs)
        wall = {k: statistics.median(t[0] for t in v) * 1000 for k, v in times.items()}
        cpu = {k: statistics.median(t[1] for t in v) * 1000 for k, v in times.items()}
        inproc_wall, inproc_cpu = (x * 1000 for x in in_process(lockfile, skills, env, args.runs))
        print(f"{args.skills} skills, {len(files)} files, {total / 1e6:.1f} MB; lock {lock_time:.2f} s"
              f"{' (with scan)' if args.scan else ' (--no-scan)'}; medians of {args.runs} interleaved runs")
        print(f"{'':30} {'wall':>9} {'CPU':>9}")
        for label, key in (("verify (CLI, end to end)", "verify"), ("  tool start-up (0 skills)", "start-up"),
                           ("  skillscan --help", "help"), ("verify --full (CLI)", "full"),
                           ("sha256sum over all files", "sha256sum")):
            print(f"{label:30} {wall[key]:6.1f} ms {cpu[key]:6.1f} ms")
        beyond_wall, beyond_cpu = wall["verify"] - wall["start-up"], cpu["verify"] - cpu["start-up"]
        print(f"{'verify beyond start-up':30} {beyond_wall:6.1f} ms {beyond_cpu:6.1f} ms")
        print(f"{'verify in-process':30} {inproc_wall:6.1f} ms {inproc_cpu:6.1f} ms")
        for label, beyond, budget in (("wall", beyond_wall, wall["sha256sum"]), ("CPU", beyond_cpu, cpu["sha256sum"])):
            verdict = "within" if beyond <= budget else "OVER"
            print(f"{label}: verify beyond start-up {beyond:.1f} ms is {verdict} the sha256sum budget {budget:.1f} ms")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
