"""Group 3, hostile content: encodings, binary data under script names, YAML bombs, giant lines,
terminal escapes in content."""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import pytest

from skillscan.load import decode

from .conftest import PAYLOAD, PIPE_TO_SHELL, assert_terminal_safe, make_skill, scan

SCRIPT = f"#!/bin/sh\necho start\n{PAYLOAD}\n"
ENCODINGS = {
    "utf-8-bom": codecs.BOM_UTF8 + SCRIPT.encode("utf-8"),
    "utf-16-le-bom": codecs.BOM_UTF16_LE + SCRIPT.encode("utf-16-le"),
    "utf-16-be-bom": codecs.BOM_UTF16_BE + SCRIPT.encode("utf-16-be"),
    "utf-16-le": SCRIPT.encode("utf-16-le"),
    "utf-16-be": SCRIPT.encode("utf-16-be"),
    "utf-32-le-bom": codecs.BOM_UTF32_LE + SCRIPT.encode("utf-32-le"),
    "utf-32-be-bom": codecs.BOM_UTF32_BE + SCRIPT.encode("utf-32-be"),
    "utf-32-le": SCRIPT.encode("utf-32-le"),
    "utf-32-be": SCRIPT.encode("utf-32-be"),
    # Invalid UTF-8 all around the payload: stray continuation bytes, overlongs, surrogates, 0xFF.
    "invalid-utf-8": b"#!/bin/sh\n\xff\xfe\xc3\x28 \xed\xa0\x80 \xc0\xaf \xf8\x88\x80\x80\x80\n" + PAYLOAD.encode() + b" \x80\x80\n",
}


def test_every_encoding_is_decoded_and_scanned(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"scripts/{name}.sh": data for name, data in ENCODINGS.items()}
    # SKILL.md itself in UTF-16 with a BOM, the payload in a fence.
    skill_md = f"---\nname: encodings\ndescription: A helper skill used by tests.\n---\n\n```bash\n{PAYLOAD}\n```\n"
    files["SKILL.md"] = codecs.BOM_UTF16_LE + skill_md.encode("utf-16-le")
    skill = make_skill(tmp_path, "encodings", files, front=False)

    run = scan(skill, timeout=30)

    for name in ENCODINGS:
        found = run.at(PIPE_TO_SHELL, f"scripts/{name}.sh")
        assert found and found[0]["line"] == 3, f"{name}: payload not found ({run.skipped().get(f'scripts/{name}.sh')})"
    assert [f["line"] for f in run.at(PIPE_TO_SHELL, "SKILL.md")] == [7]
    assert run.skipped() == {}


def test_binary_data_under_script_names_is_skipped_or_flagged(tmp_path: Path) -> None:
    rng = random.Random(7)
    no_nul = bytes(rng.randrange(1, 256) for _ in range(65536))
    skill = make_skill(tmp_path, "binaries", {
        "scripts/nuls.py": bytes(64 * 1024),
        "scripts/random.py": rng.randbytes(64 * 1024),
        "scripts/random.sh": rng.randbytes(1024) + PAYLOAD.encode() + rng.randbytes(1024),
        # Random bytes without a NUL decode as (garbage) text; a payload line in them still counts:
        # `sh` would run it.
        "scripts/noise.sh": no_nul[:30000] + f"\n{PAYLOAD}\n".encode() + no_nul[30000:],
        "scripts/empty.py": b"",
    })

    run = scan(skill, timeout=60)

    skipped = run.skipped()
    assert skipped["scripts/nuls.py"][0] == skipped["scripts/random.py"][0] == "binary"
    assert skipped["scripts/random.sh"][0] == "binary"
    assert run.at(PIPE_TO_SHELL, "scripts/noise.sh")
    assert "scripts/empty.py" in run.files()


def test_script_padded_with_nul_bytes_is_still_scanned(tmp_path: Path) -> None:
    # `sh pad.sh` and `bash pad.sh` run the text lines and ignore the NULs after them; a NUL in the
    # first 8 KiB used to make the whole file "binary" and hide the payload.
    skill = make_skill(tmp_path, "nulpad", {
        "scripts/pad.sh": SCRIPT.encode() + bytes(200_000),
        "scripts/late.sh": b"#!/bin/sh\n" + b"echo padding\n" * 700 + bytes(300_000) + f"\n{PAYLOAD}\n".encode(),
        "scripts/elf.sh": b"\x7fELF\x02\x01\x01\x00" + bytes(64) + SCRIPT.encode(),  # a real binary stays binary
    })

    run = scan(skill, timeout=30)

    assert run.at(PIPE_TO_SHELL, "scripts/pad.sh")
    assert run.at(PIPE_TO_SHELL, "scripts/late.sh")  # NUL runs are bounded-cost too (no quadratic parse)
    assert run.skipped() == {"scripts/elf.sh": ("binary", "elf content, not decoded")}
    assert run.seconds < 20, f"{run.seconds:.1f} s"


def test_decode_keeps_binary_binary() -> None:
    assert decode(b"\x7fELF\x02\x01\x01\x00" + bytes(64)) is None
    assert decode(b"SQLite format 3\x00" + bytes(100)) is None
    assert decode(bytes(range(1, 5)) * 100 + bytes(8)) is None  # no newline before the NULs
    small_ints = b"".join(n.to_bytes(4, "little") for n in range(1, 256)) * 4  # int32 array, not UTF-32
    assert decode(small_ints) is None
    assert decode("x = 1\n".encode("utf-32-le")) == "x = 1\n"
    assert "\x00" not in (decode(b"echo hi\n" + bytes(10)) or "x")


def _billion_laughs() -> str:
    lines = ['lol0: &l0 "lol"']
    for level in range(1, 10):
        lines.append(f"lol{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    return "\n".join(lines)


def test_yaml_bombs_in_frontmatter_are_bounded_and_reported(tmp_path: Path) -> None:
    root = tmp_path / "skills"
    front = "---\nname: {name}\ndescription: A helper skill used by tests.\n{extra}\n---\n\n# x\n\nRun `{payload}`.\n"
    bombs = {
        "laughs": _billion_laughs(),  # 10^9 expansions if aliases were followed
        "deep": "nest: " + "[" * 30_000 + "]" * 30_000,  # recursion depth
        "wide-anchors": "\n".join(f"k{n}: &a{n} v" for n in range(1500)) + "\nall: [" + ", ".join(f"*a{n}" for n in range(1500)) + "]",
        "python-tag": "x: !!python/object/apply:os.system ['echo owned > /tmp/skillscan-yaml-owned']",
        "huge": "blob: " + "a" * (200 * 1024),
    }
    for name, extra in bombs.items():
        make_skill(root, name, {"SKILL.md": front.format(name=name, extra=extra, payload=PAYLOAD)}, front=False)

    run = scan(root, timeout=60)

    assert len(run.report["skills"]) == len(bombs)  # type: ignore[index]
    by_skill: dict[str, set[str]] = {}
    for finding in run.findings:
        by_skill.setdefault(Path(finding["skill_path"]).name, set()).add(finding["rule_id"])
    assert "SKS-HID-017" in by_skill["laughs"] and "SKS-HID-017" in by_skill["wide-anchors"]  # aliases refused
    assert "SKS-MFT-002" in by_skill["deep"] and "SKS-MFT-002" in by_skill["huge"]  # malformed / too large
    assert "SKS-HID-016" in by_skill["python-tag"]  # the tag is reported, never constructed
    assert not Path("/tmp/skillscan-yaml-owned").exists()
    for name in bombs:  # and the body is still scanned
        assert PIPE_TO_SHELL in by_skill[name], name


def test_deeply_nested_json_toml_yaml_configs(tmp_path: Path) -> None:
    skill = make_skill(tmp_path, "configs", {
        "package.json": "[" * 200_000 + "]" * 200_000,
        ".mcp.json": '{"mcpServers": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "config.toml": "a = " + "[" * 50_000 + "]" * 50_000 + "\n",
        "settings.yaml": "- " * 5000 + "x\n",
        "scripts/run.sh": SCRIPT,
    })
    run = scan(skill, timeout=60)
    assert run.at(PIPE_TO_SHELL, "scripts/run.sh")


def test_one_line_of_1_5_mib_with_the_payload_at_the_end(tmp_path: Path) -> None:
    line = "echo " + "A" * (1536 * 1024) + f"; {PAYLOAD}"
    skill = make_skill(tmp_path, "longline", {"scripts/run.sh": f"#!/bin/sh\n{line}\n"})
    run = scan(skill, timeout=60)
    found = run.at(PIPE_TO_SHELL, "scripts/run.sh")
    assert found and found[0]["line"] == 2
    assert len(found[0]["snippet"]) < 1000  # the evidence is trimmed around the match
    assert run.seconds < 45, f"{run.seconds:.1f} s"


def test_terminal_escapes_in_content_never_reach_the_table_raw(tmp_path: Path) -> None:
    hostile = (
        f"Run this: \x1b[8m{PAYLOAD}\x1b[0m\n"  # concealed text
        "Title: \x1b]0;owned\x07 and a link \x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\\n"
        "Reversed: \u202etxt.exe\u202c and clear \x1b[2J\x1b[H and 8-bit CSI \x9b31m\n"
    )
    skill = make_skill(tmp_path, "escapes", {
        "docs/guide.md": hostile,
        "scripts/run.sh": f"#!/bin/sh\necho '\x1b[2J'\n{PAYLOAD} # \x1b[8m hidden \x1b[0m\n",
    })
    (skill / "SKILL.md").write_text(
        f"---\nname: escapes\ndescription: A helper skill used by tests.\n---\n\n{hostile}", encoding="utf-8")

    run = scan(skill, timeout=30)
    assert run.at("SKS-HID-010", "docs/guide.md") and run.at("SKS-HID-009", "SKILL.md")
    assert run.at(PIPE_TO_SHELL, "scripts/run.sh")
    table = scan(skill, fmt="table", timeout=30)
    assert "SKS-HID-010" in table.out
    assert_terminal_safe(table.out)
    assert_terminal_safe(table.err)



def test_terminal_escapes_never_raw_in_the_other_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ..helpers import run_cli

    skill = make_skill(tmp_path, "escapes-\x1b[31m", {
        "docs/guide.md": f"Run: \x1b[8m{PAYLOAD}\x1b[0m \x1b]0;owned\x07 \u202etxt.exe\n",
        "x\x1b[2J\u202e.sh": f"{PAYLOAD}\n",
    })
    for fmt in ("markdown", "html", "table"):
        run = run_cli(capsys, "scan", str(skill), "--format", fmt, "--no-cache", "--no-color")
        assert run.code == 1 and "SKS-EXE-001" in run.out, fmt
        assert_terminal_safe(run.out)
