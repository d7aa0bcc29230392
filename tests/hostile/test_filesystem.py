"""Group 2, hostile filesystems: links, huge and special files, depth, width, races, names."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path, PurePosixPath

import pytest

from skillscan import load as load_module
from skillscan.load import MAX_DEPTH, MAX_FILE_BYTES, load_skill

from .conftest import PAYLOAD, PIPE_TO_SHELL, assert_terminal_safe, make_skill, scan

SECRET = "TOPSECRET-canary-7f3a"


def test_symlink_loops_and_escapes_are_reported_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "inner").mkdir(parents=True)
    (outside / "secret.txt").write_text(f"{SECRET}\n{PAYLOAD}\n")
    (outside / "inner" / "x.sh").write_text(f"echo {SECRET}\n{PAYLOAD}\n")
    skill = make_skill(tmp_path, "links")
    (skill / "sub").mkdir()
    os.symlink(skill / "a", skill / "b")  # a → b → a
    os.symlink(skill / "b", skill / "a")
    os.symlink(".", skill / "self")  # a folder loop
    os.symlink("../sub", skill / "sub" / "loop")
    os.symlink(outside / "secret.txt", skill / "escape.txt")  # absolute escape
    os.symlink("../outside/secret.txt", skill / "rel-escape.sh")  # relative escape
    os.symlink(outside, skill / "outdir")  # a folder outside
    os.symlink("..", skill / "up")

    run = scan(skill, timeout=30)

    skipped = run.skipped()
    assert skipped["a"][0] == skipped["b"][0] == "broken-symlink"
    assert skipped["self"][0] == skipped["sub/loop"][0] == "symlink-dir"
    for name in ("escape.txt", "rel-escape.sh", "outdir", "up"):
        assert skipped[name][0] == "symlink-escape", name
        assert run.at("SKS-PRV-013", name), f"no symlink-escape finding for {name}"
    assert SECRET not in run.out, "content behind an escaping link was read"
    assert not any(f["relative_path"].startswith(("outdir/", "up/", "self/")) for f in run.findings)
    assert set(run.files()) == {"SKILL.md"}


def test_sparse_5gib_file_is_skipped_too_large_and_never_opened(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    skill = make_skill(tmp_path, "huge")
    huge = skill / "scripts" / "install.sh"
    huge.parent.mkdir()
    with open(huge, "wb") as handle:
        handle.write(f"#!/bin/sh\n{PAYLOAD}\n".encode())
        handle.truncate(5 * 1024**3)  # sparse: no disk used
    os.symlink("scripts/install.sh", skill / "link-to-huge.sh")  # and through a link inside the skill

    run = scan(skill, timeout=30)
    assert run.seconds < 20, f"{run.seconds:.1f} s"
    skipped = run.skipped()
    assert skipped["scripts/install.sh"][0] == skipped["link-to-huge.sh"][0] == "too-large"
    assert str(5 * 1024**3) in skipped["scripts/install.sh"][1]
    assert not run.at(PIPE_TO_SHELL, "scripts/install.sh")

    # In process, the audit hook sees every open(): the huge file is never opened at all.
    from ..helpers import run_cli

    opened = _record_opens(lambda: run_cli(capsys, "scan", str(skill), "--format", "json", "--no-cache"))
    assert not [p for p in opened if Path(p).name == "install.sh"], opened


def test_fifo_and_device_files_are_never_opened(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    skill = make_skill(tmp_path, "devices", {"scripts/ok.sh": f"#!/bin/sh\n{PAYLOAD}\n"})
    os.mkfifo(skill / "scripts" / "pipe.sh")  # a FIFO with a script name: opening it would block
    os.mkfifo(skill / "SKILL.MD.fifo")
    os.symlink("/dev/zero", skill / "zero.py")  # endless reads
    os.symlink("/dev/urandom", skill / "random.md")
    os.symlink("scripts/pipe.sh", skill / "to-fifo.sh")  # a link to the FIFO, inside the skill
    try:  # a character device (needs CAP_MKNOD; /dev/zero's numbers)
        os.mknod(skill / "tty.sh", 0o600 | stat.S_IFCHR, os.makedev(1, 5))
        device = True
    except OSError:
        device = False

    run = scan(skill, timeout=30)

    skipped = run.skipped()
    assert skipped["scripts/pipe.sh"][0] == skipped["SKILL.MD.fifo"][0] == "special-file"
    assert skipped["to-fifo.sh"][0] == "special-file"
    assert skipped["zero.py"][0] == skipped["random.md"][0] == "symlink-escape"
    if device:
        assert skipped["tty.sh"][0] == "special-file"
    assert run.at(PIPE_TO_SHELL, "scripts/ok.sh"), "the regular file next to them is still scanned"

    from ..helpers import run_cli

    opened = _record_opens(lambda: run_cli(capsys, "scan", str(skill), "--format", "json", "--no-cache"))
    specials = [p for p in opened if Path(p).name in ("pipe.sh", "SKILL.MD.fifo", "zero.py", "random.md", "to-fifo.sh", "tty.sh")
                or str(p).startswith("/dev/")]
    assert specials == [], specials


def test_200_nested_folders_are_bounded_and_accounted(tmp_path: Path) -> None:
    skill = make_skill(tmp_path, "deep")
    folder = skill
    for level in range(1, 201):
        folder = folder / "d"
        if level == 10:
            folder.mkdir(parents=True)
            (folder / "mid.sh").write_text(f"{PAYLOAD}\n")
    folder.mkdir(parents=True)
    (folder / "bottom.sh").write_text(f"{PAYLOAD}\n")

    run = scan(skill, timeout=30)

    assert run.at(PIPE_TO_SHELL, "/".join(["d"] * 10) + "/mid.sh")
    too_deep = "/".join(["d"] * (MAX_DEPTH + 1))
    assert run.skipped() == {too_deep: ("too-deep", f"deeper than {MAX_DEPTH} levels")}


def test_10001_files_in_one_skill_each_scanned_or_skipped(tmp_path: Path) -> None:
    skill = make_skill(tmp_path, "wide")
    notes = skill / "notes"
    notes.mkdir()
    for number in range(10_000):
        (notes / f"n{number:05d}.txt").write_text(f"note {number}\n")
    (notes / "z-last.sh").write_text(f"{PAYLOAD}\n")
    (notes / "blob.bin").write_bytes(b"\x7fELF" + bytes(100))

    run = scan(skill, timeout=60)

    on_disk = {p.relative_to(skill).as_posix() for p in skill.rglob("*") if p.is_file()}
    accounted = set(run.files()) | set(run.skipped())
    assert len(on_disk) == 10_003
    assert accounted == on_disk
    assert run.skipped() == {"notes/blob.bin": ("binary", "elf content, not decoded")}
    assert run.at(PIPE_TO_SHELL, "notes/z-last.sh")
    assert run.seconds < 45, f"{run.seconds:.1f} s"


def test_more_files_than_the_cap_are_counted_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skill = make_skill(tmp_path, "wider", {f"f/{n:03d}.md": "x" for n in range(60)})
    monkeypatch.setattr(load_module, "MAX_FILES_PER_SKILL", 25)
    loaded = load_skill(skill)
    assert len(loaded.files) + len(loaded.skipped) == 61
    assert len(loaded.files) == 25
    assert {s.reason for s in loaded.skipped} == {"file-limit"}


# --- files that change or vanish during the scan (deterministic, in process) ---------------------


def _race(monkeypatch: pytest.MonkeyPatch, trigger: str, action) -> None:  # type: ignore[no-untyped-def]
    """Run `action` once, the first time the loader lists or opens a path ending in `trigger`:
    after the skill was listed and stat'ed, before the path is read."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("the race helper names descriptors through /proc")
    real_open, real_scandir = os.open, os.scandir
    fired: list[bool] = []

    def fire(path: object) -> None:
        if not fired and str(path).endswith(trigger):
            fired.append(True)
            action()

    def fake_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        dir_fd = kwargs.get("dir_fd")
        if dir_fd is not None:  # opened by name inside a listed folder: which folder?
            fire(os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), os.fsdecode(path)))
        else:
            fire(path)
        return real_open(path, *args, **kwargs)

    def fake_scandir(path="."):  # type: ignore[no-untyped-def]
        fire(path)
        return real_scandir(path)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)


def _race_skill(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    (outside / "inner").mkdir(parents=True)
    (outside / "target.sh").write_text(SECRET)
    (outside / "inner" / "ok.sh").write_text(SECRET)
    skill = make_skill(tmp_path, "racy", {"target.sh": "echo fine\n", "sub/ok.sh": "echo ok\n", "sub/inner/ok.sh": "echo ok\n"})
    return skill, outside


def _texts(loaded) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(f.text or "" for f in loaded.files)


def test_file_deleted_between_listing_and_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skill, _ = _race_skill(tmp_path)
    _race(monkeypatch, "/target.sh", lambda: (skill / "target.sh").unlink())
    loaded = load_skill(skill)
    assert {str(s.path): s.reason for s in loaded.skipped} == {"target.sh": "unreadable"}
    assert PurePosixPath("sub/ok.sh") in {f.path for f in loaded.files}


def test_file_replaced_by_directory_symlink_or_fifo_between_stat_and_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skill, outside = _race_skill(tmp_path)
    target = skill / "target.sh"

    def to_dir() -> None:
        target.unlink()
        target.mkdir()

    def to_link() -> None:
        target.unlink()
        os.symlink(outside / "target.sh", target)

    def to_fifo() -> None:
        target.unlink()
        os.mkfifo(target)

    for swap, reason in ((to_dir, "special-file"), (to_link, "unreadable"), (to_fifo, "special-file")):
        if target.is_dir() and not target.is_symlink():
            target.rmdir()
        elif target.exists() or target.is_symlink():
            target.unlink()
        target.write_text("echo fine\n")
        with monkeypatch.context() as patch:
            _race(patch, "/target.sh", swap)
            loaded = load_skill(skill)
        assert {str(s.path): s.reason for s in loaded.skipped} == {"target.sh": reason}, swap.__name__
        assert SECRET not in _texts(loaded), swap.__name__


def test_folder_replaced_by_symlink_out_of_the_skill_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skill, outside = _race_skill(tmp_path)

    def swap() -> None:
        shutil.rmtree(skill / "sub")
        os.symlink(outside, skill / "sub")

    _race(monkeypatch, "/sub", swap)  # listed as a folder, a link by the time it is walked
    loaded = load_skill(skill)
    assert SECRET not in _texts(loaded)
    assert not [f.path for f in loaded.files if str(f.path).startswith("sub/")]
    assert {str(s.path): s.reason for s in loaded.skipped} == {"sub": "unreadable"}


def test_parent_folder_swapped_while_its_subfolder_is_walked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skill, outside = _race_skill(tmp_path)

    def swap() -> None:  # sub/inner is next; its parent now leads out of the skill
        shutil.rmtree(skill / "sub")
        os.symlink(outside, skill / "sub")

    _race(monkeypatch, "/sub/inner", swap)
    loaded = load_skill(skill)
    assert SECRET not in _texts(loaded)
    assert {str(s.path): s.reason for s in loaded.skipped} == {"sub/inner": "unreadable"}


def test_parent_folder_swapped_just_before_a_file_is_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skill, outside = _race_skill(tmp_path)
    (outside / "ok.sh").write_text(SECRET)

    def swap() -> None:  # sub/ok.sh was stat'ed through the real folder; now the path leads outside
        shutil.rmtree(skill / "sub")
        os.symlink(outside, skill / "sub")

    _race(monkeypatch, "/sub/ok.sh", swap)
    loaded = load_skill(skill)
    assert SECRET not in _texts(loaded)
    assert {str(s.path): s.reason for s in loaded.skipped}["sub/ok.sh"] == "unreadable"


def test_file_growing_past_the_cap_between_stat_and_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skill, _ = _race_skill(tmp_path)
    _race(monkeypatch, "/target.sh", lambda: (skill / "target.sh").write_bytes(b"x" * (MAX_FILE_BYTES + 10)))
    loaded = load_skill(skill)
    assert {str(s.path): s.reason for s in loaded.skipped} == {"target.sh": "too-large"}


# --- hostile names -------------------------------------------------------------------------------

HOSTILE_NAMES = [
    "new\nline.sh",
    "rtlo-\u202ehs.txt",  # shows as "rtlo-txt.sh"
    "ansi-\x1b[31mred\x1b[0m.sh",
    "osc-\x1b]0;pwned\x07.sh",  # sets the terminal title
    "bell-\x07.sh",
    "csi-\x9b2J.sh",  # C1 control (8-bit CSI)
    "tab\tcr\rbs\x08.sh",
]


def test_hostile_file_names_exact_in_json_and_escaped_in_the_table(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {name: f"#!/bin/sh\n{PAYLOAD}\n" for name in HOSTILE_NAMES}
    skill = make_skill(tmp_path, "names", files)
    # The skill's own name, from the frontmatter, carries escapes too (YAML "\e" is ESC).
    (skill / "SKILL.md").write_text('---\nname: "names\\e]0;owned\\a\\e[2J\\u202e"\n'
                                    'description: "A helper skill \\e[8mhidden\\e[0m used by tests"\n---\n# names\n')
    evil_folder = make_skill(tmp_path, "skill-\x1b[31m-\u202e", {"x\x1b[1m.sh": f"{PAYLOAD}\n"})

    tables = {}
    for target, expected in ((skill, set(HOSTILE_NAMES)), (evil_folder, {"x\x1b[1m.sh"})):
        run = scan(target, timeout=30)
        paths = {f["relative_path"] for f in run.rule(PIPE_TO_SHELL)}
        assert paths == expected, paths ^ expected  # exact, not mangled
        assert all(f["path"] == str(target / f["relative_path"]) for f in run.findings)
        table = scan(target, fmt="table", timeout=30)  # stdout is a pipe: the non-tty rendering
        assert table.out.count("SKS-EXE-001") == len(expected)
        assert_terminal_safe(table.out)
        assert_terminal_safe(table.err)
        tables[target] = table.out
    assert "bell-\\x07.sh:2" in tables[skill] and "rtlo-\\u202ehs.txt:2" in tables[skill]  # shown, escaped
    assert "\\u202e" in tables[evil_folder]


@pytest.mark.skipif(sys.platform != "linux", reason="FIFO/device semantics checked on Linux")
def test_listing_does_not_block_on_a_fifo_named_skill_md(tmp_path: Path) -> None:
    folder = tmp_path / "fifo-skill"
    folder.mkdir()
    os.mkfifo(folder / "SKILL.md")
    run = scan(folder, timeout=20)
    assert run.report is not None and run.report["findings"] == []


# --- helpers -------------------------------------------------------------------------------------

_OPENED: list[str] = []
_RECORDING: list[bool] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _RECORDING and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENED.append(os.fsdecode(args[0]))


_HOOKED: list[bool] = []


def _record_opens(action) -> list[str]:  # type: ignore[no-untyped-def]
    """Paths opened (open(), os.open(), io.open) while `action` runs, via an audit hook."""
    if not _HOOKED:
        sys.addaudithook(_audit)
        _HOOKED.append(True)
    _OPENED.clear()
    _RECORDING.append(True)
    try:
        action()
    finally:
        _RECORDING.clear()
    return list(_OPENED)
