"""The runtime data model: what the pipeline passes between its stages.

Frozen dataclasses, so values can be shared between stages (and cached) without
anyone mutating them behind the next stage's back. Rules live in `skillscan.rules.schema`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: rules.schema imports this module
    from skillscan.disk import Listing
    from skillscan.rules.schema import Rule


class Severity(enum.IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, value: str) -> Severity:
        return cls[value.strip().upper()]

    @property
    def label(self) -> str:
        return self.name.lower()

    def lowered(self, steps: int) -> Severity:
        return Severity(max(Severity.INFO, self - steps))


class Confidence(enum.IntEnum):
    LOW = 0
    MEDIUM = 1
    HIGH = 2

    @classmethod
    def parse(cls, value: str) -> Confidence:
        return cls[value.strip().upper()]

    @property
    def label(self) -> str:
        return self.name.lower()

    def lowered(self, steps: int) -> Confidence:
        return Confidence(max(Confidence.LOW, self - steps))


class ArtifactKind(enum.StrEnum):
    SKILL_MD = "skill_md"  # the skill's SKILL.md
    DOCUMENT = "document"  # other Markdown / text documents (references/, README)
    SCRIPT = "script"  # bundled scripts and virtual scripts cut from code fences
    CONFIG = "config"  # JSON / YAML / TOML / ini / .env
    BINARY = "binary"  # never decoded; recorded for coverage


class SegmentKind(enum.StrEnum):
    FRONTMATTER = "frontmatter"
    HEADING = "heading"
    PROSE = "prose"
    CODE_FENCE = "code_fence"  # a fence that also became a virtual script / config artifact
    CODE_TEXT = "code_text"  # a fence in no scannable language (untagged prose, ```text, ```pem …)
    INLINE_CODE = "inline_code"
    HTML_COMMENT = "html_comment"
    HTML = "html"
    LINK = "link"
    WHOLE = "whole"  # a script or config: the whole text is one segment


class Polarity(enum.StrEnum):
    """How the text around a match is meant to be consumed; severity follows from it."""

    INSTRUCTION = "instruction"  # the agent will act on it
    DOCUMENTATION = "documentation"  # written for humans (README, unreferenced docs)
    WARNING = "warning"  # warns against / negates the matched thing
    EXAMPLE = "example"  # quoted as an example, sample or deny-list entry
    TEST_FIXTURE = "test_fixture"  # test data inside the skill
    SECURITY_TOOL = "security_tool"  # a security skill describing attacks it looks for


@dataclass(frozen=True)
class Span:
    """1-based lines, 1-based columns; end is inclusive of the last line."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class Artifact:
    """One file of a skill, or a virtual file cut from a code fence of a Markdown file."""

    path: PurePosixPath  # relative to the skill root, '/'-separated
    kind: ArtifactKind
    language: str | None  # "markdown", "shell", "python", "javascript", "typescript", "powershell", "json", …
    text: str
    sha256: str
    parent: PurePosixPath | None = None  # set for virtual artifacts: the file they were cut from
    line_offset: int = 0  # virtual line N is line N + line_offset of the parent
    fence_info: str = ""  # the fence's info string, for virtual artifacts
    decoded_from: str = ""  # for decoded layers: how it was encoded ("base64+zlib", "hex" …)
    fixed_line: int = 0  # for decoded layers: the parent line holding the encoded original
    segments: tuple[Segment, ...] = field(default=(), compare=False, repr=False)

    @property
    def is_virtual(self) -> bool:
        return self.parent is not None

    def host_line(self, line: int) -> int:
        """The line in the real file (`display_path`) of this artifact's line `line`."""
        return self.fixed_line or line + self.line_offset

    @property
    def display_path(self) -> PurePosixPath:
        """The real file a human should open."""
        return self.parent if self.parent is not None else self.path


@dataclass(frozen=True)
class Segment:
    """A typed slice of an artifact: a prose paragraph, a heading, a code fence, a comment …"""

    kind: SegmentKind
    span: Span
    text: str
    start_offset: int  # character offset of `text` in the artifact's text
    heading_path: tuple[str, ...] = ()  # enclosing Markdown headings, outermost first
    key: str | None = None  # frontmatter key, fence language, link URL …
    in_blockquote: bool = False


@dataclass(frozen=True)
class SkippedFile:
    path: PurePosixPath
    reason: str  # short code: binary, too-large, symlink-escape, special-file, unreadable, file-limit
    detail: str = ""


@dataclass(frozen=True)
class ParseIssue:
    """Something a parser noticed that is itself evidence (malformed or hostile structure)."""

    code: str  # e.g. "yaml-error", "yaml-python-tag", "yaml-alias", "yaml-duplicate-key"
    path: PurePosixPath
    line: int
    message: str


@dataclass(frozen=True)
class Skill:
    root: Path  # absolute; for I/O and reports
    name: str
    client: str  # "path" for skills given on the command line, else a client id
    scope: str  # "path" | "user" | "project" | "plugin"
    manifest: Mapping[str, object]
    artifacts: tuple[Artifact, ...]
    skipped: tuple[SkippedFile, ...] = ()
    parse_issues: tuple[ParseIssue, ...] = ()
    symlinks: tuple[tuple[PurePosixPath, str], ...] = ()  # (link path, target as written)
    # The folder on disk as the scan found it (modes, owners, times), for checks of file-system
    # state; None for skills that are not on disk (rule examples) or were listed by nobody.
    disk: Listing | None = field(default=None, compare=False, repr=False)

    @property
    def description(self) -> str:
        value = self.manifest.get("description")
        return value if isinstance(value, str) else ""

    @property
    def trusted_suppressions(self) -> bool:
        """Inline suppressions are honoured only in skills the user points at (their own repo)."""
        return self.client == "path"

    @property
    def real_files(self) -> tuple[Artifact, ...]:
        return tuple(a for a in self.artifacts if not a.is_virtual)


@dataclass(frozen=True)
class Match:
    """What an engine returns: where a rule matched. No severity, no message (D4)."""

    rule_id: str
    artifact: Artifact
    span: Span
    matched_text: str
    captures: Mapping[str, str] = field(default_factory=dict)
    related: tuple[Location, ...] = ()
    note: str = ""  # engine-provided evidence detail (e.g. "decoded from base64")


@dataclass(frozen=True)
class Location:
    path: PurePosixPath  # relative to the skill root
    line: int
    column: int
    snippet: str


@dataclass(frozen=True)
class Context:
    polarity: Polarity
    reason: str  # why the text was judged that way; empty for plain instructions


@dataclass(frozen=True)
class Finding:
    """Built only by `skillscan.build` from a Match and its Rule."""

    rule_id: str
    slug: str
    title: str
    category: str
    severity: Severity
    confidence: Confidence
    message: str
    skill: Skill
    location: Location
    context: Context
    fingerprint: str
    references: tuple[str, ...] = ()
    remediation: str = ""
    engine: str = "regex"
    base_severity: Severity | None = None  # the rule's severity before context adjusted it
    related: tuple[Location, ...] = ()
    suppressed_by: str | None = None  # None = active; else "inline: reason" / "config" / "baseline"

    @property
    def active(self) -> bool:
        return self.suppressed_by is None

    @property
    def absolute_path(self) -> Path:
        return self.skill.root / self.location.path


@dataclass(frozen=True)
class ScanError:
    where: str  # a path, a rule id or an engine name
    message: str


@dataclass(frozen=True)
class RulePackInfo:
    name: str
    version: str
    digest: str
    rule_count: int


@dataclass(frozen=True)
class ScanResult:
    skills: tuple[Skill, ...]
    findings: tuple[Finding, ...]  # active and suppressed; reporters choose
    errors: tuple[ScanError, ...]
    rule_packs: tuple[RulePackInfo, ...]
    skipped_rules: tuple[tuple[str, str], ...] = ()  # (rule id, reason)
    rules: tuple[Rule, ...] = ()  # the reported rules that ran, for reporters that describe them (SARIF)
    excluded: tuple[Path, ...] = ()  # skill roots left out by the config's `exclude`

    @property
    def active_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.active)
