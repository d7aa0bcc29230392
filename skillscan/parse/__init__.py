"""Parse stage: loaded files → typed artifacts with segments; code fences → virtual scripts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePosixPath

from skillscan.load import LoadedFile, LoadedSkill
from skillscan.model import (
    Artifact,
    ArtifactKind,
    ParseIssue,
    Segment,
    SegmentKind,
    Skill,
    SkippedFile,
    Span,
)
from skillscan import deobfuscate
from skillscan.parse import frontmatter, languages, markdown
from skillscan.textpos import LineIndex

# Fence languages that become virtual artifacts, and of which kind.
_CONFIG_FENCES = frozenset({"json", "yaml", "toml", "ini", "dotenv"})


def parse_skill(loaded: LoadedSkill, client: str, scope: str) -> Skill:
    artifacts: list[Artifact] = []
    skipped = list(loaded.skipped)
    issues: list[ParseIssue] = []
    manifest: dict[str, object] = {}
    for file in loaded.files:
        kind, language = languages.classify(file.path, file.text)
        if file.text is None:
            artifacts.append(Artifact(file.path, kind, file.magic, "", file.sha256))
            if any(str(other.path).startswith(f"{file.path}!") for other in loaded.files):
                skipped.append(SkippedFile(file.path, "archive", "members scanned as archive!member"))
            else:
                skipped.append(SkippedFile(file.path, "binary", f"{file.magic} content, not decoded"))
            continue
        if kind is ArtifactKind.SKILL_MD or (kind is ArtifactKind.DOCUMENT and language == "markdown"):
            body_start = 1
            if kind is ArtifactKind.SKILL_MD:
                front = frontmatter.parse(file.text)
                if not manifest and front.data:
                    manifest = dict(front.data)
                issues.extend(ParseIssue(code, file.path, line, message) for code, line, message in front.issues)
                body_start = front.end_line + 1 if front.end_line else 1
            artifacts.extend(_markdown_artifacts(file, kind, body_start, front_text(file.text, body_start)))
        else:
            whole = Segment(SegmentKind.WHOLE, _whole_span(file.text), file.text, 0)
            artifacts.append(Artifact(file.path, kind, language, file.text, file.sha256, segments=(whole,)))
    artifacts.extend(decoded_layers(artifacts))
    name = manifest.get("name")
    return Skill(
        root=loaded.root,
        name=name.strip() if isinstance(name, str) and name.strip() else loaded.root.name,
        client=client,
        scope=scope,
        manifest=manifest,
        artifacts=tuple(artifacts),
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        parse_issues=tuple(issues),
        symlinks=loaded.symlinks,
    )


def decoded_layers(artifacts: list[Artifact]) -> Iterator[Artifact]:
    """Decoded layers of every real text file, as virtual artifacts pointing at the encoded text."""
    for artifact in [a for a in artifacts if not a.is_virtual and a.kind is not ArtifactKind.BINARY and a.text]:
        index = LineIndex(artifact.text)
        for number, layer in enumerate(deobfuscate.layers(artifact.text), start=1):
            language = languages.guess_untagged(layer.text) or (artifact.language if artifact.kind is ArtifactKind.SCRIPT else None)
            kind = ArtifactKind.SCRIPT if language in languages.SCRIPT_LANGUAGES or language == "shell" else ArtifactKind.DOCUMENT
            whole = Segment(SegmentKind.WHOLE, _whole_span(layer.text), layer.text, 0)
            yield Artifact(
                PurePosixPath(f"{artifact.path}#decoded{number}"), kind, language or "text", layer.text,
                hashlib.sha256(layer.text.encode("utf-8", "replace")).hexdigest(), parent=artifact.path,
                decoded_from=layer.encoding, fixed_line=index.position(layer.offset)[0], segments=(whole,),
            )


def front_text(text: str, body_start: int) -> str:
    """The frontmatter lines (without fences), or '' when there is none."""
    if body_start <= 1:
        return ""
    return "\n".join(text.split("\n")[1 : body_start - 2])


def _markdown_artifacts(file: LoadedFile, kind: ArtifactKind, body_start: int, front: str) -> list[Artifact]:
    assert file.text is not None
    segments, fences = markdown.segment(file.text, body_start)
    if front:
        span = Span(2, 1, body_start - 2, 1)
        segments.insert(0, Segment(SegmentKind.FRONTMATTER, span, front, file.text.index(front) if front in file.text else 0))
    virtual: list[Artifact] = []
    plain_fences: set[int] = set()  # start lines of fences that stay text
    for number, fence in enumerate(fences, start=1):
        language = languages.fence_language(fence.info, fence.body)
        if language is None or not fence.body.strip():
            plain_fences.add(fence.span.start_line)
            continue
        fence_kind = ArtifactKind.CONFIG if language in _CONFIG_FENCES else ArtifactKind.SCRIPT
        body = fence.body
        path = PurePosixPath(f"{file.path}#fence{number}")
        whole = Segment(SegmentKind.WHOLE, _whole_span(body), body, 0)
        virtual.append(
            Artifact(
                path, fence_kind, language, body, hashlib.sha256(body.encode("utf-8", "replace")).hexdigest(),
                parent=file.path, line_offset=fence.first_body_line - 1, fence_info=fence.info,
                segments=(whole,),
            )
        )
    # Fences no script artifact covers stay visible to text rules as `code_text` segments.
    segments = [replace(s, kind=SegmentKind.CODE_TEXT) if s.kind is SegmentKind.CODE_FENCE and s.span.start_line in plain_fences
                else s for s in segments]
    return [Artifact(file.path, kind, "markdown", file.text, file.sha256, segments=tuple(segments)), *virtual]


def _whole_span(text: str) -> Span:
    lines = text.split("\n")
    return Span(1, 1, len(lines), len(lines[-1]) + 1)
