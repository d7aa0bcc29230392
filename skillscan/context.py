"""Context polarity: is the matched text an instruction the agent will follow, or text that
documents, warns against, quotes or tests it? Severity follows from the answer.

Only *local* context counts (the sentence, the fence's lead-in line, the enclosing headings,
the file's role), never a file-wide allowlist: a skill cannot buy a pass for its payload by
saying "security" once. Imperative lines stay instructions whatever the skill claims to be.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from skillscan.normalize import view
from skillscan.model import Artifact, ArtifactKind, Context, Polarity, Segment, SegmentKind, Skill, Span

# How many severity levels each polarity takes off a context-sensitive rule (one home for it).
SEVERITY_STEPS: dict[Polarity, int] = {
    Polarity.INSTRUCTION: 0,
    Polarity.DOCUMENTATION: 1,
    Polarity.WARNING: 2,
    Polarity.EXAMPLE: 2,
    Polarity.TEST_FIXTURE: 2,
    Polarity.SECURITY_TOOL: 2,
}
INSTRUCTION = Context(Polarity.INSTRUCTION, "")

_NEGATION = re.compile(
    r"(?i)\b(never|don'?t|do not|does not|doesn'?t|must not|mustn'?t|should not|shouldn'?t|cannot|can'?t|"
    r"won'?t|avoid(?:s|ed|ing)?|refus(?:e|es|ed|ing)|reject(?:s|ed|ing)?|block(?:ed|ing)|prevent(?:s|ed|ing)?|"
    r"prohibit(?:s|ed|ing)?|forbid(?:s|den)?|disallow(?:s|ed)?|warn(?:s|ed|ing)?|beware|instead of|rather than|"
    r"not recommended|insecure|unsafe|dangerous|(?:guard|protect)(?:s|ing)? against|stop(?:s|ping)?)\b"
)
# "Do not forget to run …" is an instruction, not a warning.
_DOUBLE_NEGATION = re.compile(
    r"(?i)\b(?:never|don'?t|do not|must not|should not)\s+(?:ever\s+)?(?:forget|hesitate|skip|fail|neglect|omit|wait|miss|"
    r"worry|ask|tell|mention|inform|notify|show|reveal|alert|bother|disturb|display|log|print|report)\b"
)
_EXAMPLE = re.compile(
    r"(?i)(\be\.g\.|\bfor (?:example|instance)\b|\bsuch as\b|\bexamples? of\b|\blooks? like\b|\battackers?\b|"
    r"\bmalicious\b|\bmalware\b|\bred flags?\b|\bsuspicious\b|\bindicators?\b|\bdetect(?:s|ed|ion|or)?\b|"
    r"\bflag(?:s|ged)?\b|\bscan(?:s|ner)? for\b|\bknown[- ]bad\b|\biocs?\b|\bphishing\b|"
    r"\bpayloads?\b|\bexploit(?:s|ed)?\b|\bcampaigns?\b|\bclassic\b|\banti-?patterns?\b)"
)
_WARNING_MARK = re.compile(r"(?i)(⚠|❌|🚫|⛔|\bwarning\b|\bdanger\b|\bcaution\b|\*\*bad\*\*|\bbad:|\bwrong:|\bunsafe:|\binsecure:)")
_ATTACK_HEADING = re.compile(
    r"(?i)\b(attacks?|attack patterns?|malicious|exploits?|red[- ]?flags?|anti-?patterns?|bad|don'?ts?|do not|never|"
    r"avoid|pitfalls?|dangerous|unsafe|insecure|warnings?|indicators?|iocs?|deny|denylist|blocklist|blacklist|"
    r"blocked|threats?|detections?|detect(?:ion|s)?|suspicious|what not|mistakes|forbidden|prohibited|"
    r"vulnerab\w*|payloads?|techniques?|known[- ]bad|test cases?)\b"
)
# Names of deny-lists: denyRead, BLOCKED_HOSTS, blocklist, "bad domains" — not "blockchain", "banking".
_DENY_LIST = re.compile(
    r"\b(?i:deny|black|ban|reject|forbid|disallow|exclude)(?:[A-Z_][A-Za-z_]*|"
    r"(?i:ed|s|[ -]?lists?(?:ed)?|[ -](?:hosts?|domains?|urls?|patterns?|words?|terms?|entries)))?\b|"
    # "block" alone is usually a noun ("code block", "configuration block"): only as a verb or list
    r"\b(?i:block)(?:[A-Z_][A-Za-z_]*|(?i:ed|[ -]?lists?(?:ed)?|[ -](?:hosts?|domains?|urls?|patterns?|words?|terms?|entries)))\b|"
    r"(?i:\b(?:bad|malicious|suspicious|known[_ -]?bad|untrusted)[_ -]?(?:domains?|hosts?|urls?|patterns?|list|iocs?|strings?)\b|"
    r"\biocs?\b|\bdetection[_ -]?patterns?\b)"
)
_IMPERATIVE = re.compile(
    r"(?i)^\s*(?:[-*+]\s+|\d+[.)]\s+|>\s*)*(?:[^,.;:\n]{0,80},\s+)?(?:\*\*)?"
    r"(?:then |first,? |now |next,? |also |finally,? |always |silently |quietly )?"
    r"(?:send|post|upload|run|execute|exec|read|copy|cat|curl|wget|include|forward|add|set|install|download|"
    r"fetch|open|write|append|export|paste|pipe|call|invoke|load|source|save|store|collect|gather|sync|"
    r"transmit|share|email|replace|modify|edit|create|enable|disable|grant|approve|ignore|disregard|forget|"
    r"ask|please|enter|provide|give|type|tell|request|prompt|use|connect|route|configure|update|delete|remove)\b"
)
_SECURITY_SKILL = re.compile(
    r"(?i)\b(security|audit(?:s|or|ing)?|scanner|scanning|detect(?:s|or|ion)?|pentest\w*|penetration|red[- ]team\w*|"
    r"threat|vulnerabilit\w*|malware|incident|forensic\w*|hardening|prompt[- ]injection|secret[- ]scan\w*|"
    r"compliance|blue[- ]team|soc\b|siem|sast|owasp|secure[- ]coding|poisoning|shadowing|injections?|"
    r"exfiltration|phishing|attacks?|backdoors?|ioc|yara|sigma|threat[- ]hunt\w*)\b"
)
# Headings that mark quoted samples, but only in a skill that says it is a security tool.
_SAMPLE_HEADING = re.compile(r"(?i)\b(examples?|samples?|demos?|cases?|scenarios?|patterns?)\b")
_DESCRIPTIVE_NEGATION = re.compile(r"(?i)\b(?:that|which|who)\s+(?:\w+\s+)?(?:does not|doesn'?t|do not|don'?t|will not|won'?t|cannot|can'?t|never)$")
_CONDITIONAL = re.compile(r"(?i)^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?:\*\*)?(?:if|when|whenever|in case|once|should|unless)\b")
# "`env` values are never printed": a passive negation right after the match.
_PASSIVE_NEGATION = re.compile(
    r"(?i)^(?:(?!\b(?:so|because|since|that|which|and|then|to|until|unless|or)\b)[^.;!?]){0,40}?"
    r"\b((?:is|are|was|were|be|gets?|stays?|remains?)\s+(?:never|not)\b)"
)
_TABLE_WARNING = re.compile(r"(?i)\b(why not|avoid|risks?|dangers?|bad|don'?t|never|instead|unsafe|insecure|attacks?)\b")
# "- [ ] No `| sh` from third-party hosts": a checklist line that forbids what it quotes.
_LEADING_NO = re.compile(r"(?i)^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?:\[[ xX]\]\s+)?(?:\*\*)?no\b(?!\s+need)")
_INLINE_LIST = re.compile(r"`[^`\n]+`(?:\s*(?:,|/|\bor\b|\band\b)\s*`[^`\n]+`){2,}")
# Folders and extensions of detection content: deny-lists, signatures, IOC lists, YARA/Sigma.
_DATA_FOLDERS = frozenset({"lists", "list", "rules", "signatures", "patterns", "iocs", "ioc", "blocklists",
                           "blocklist", "denylists", "denylist", "detections", "detection", "yara", "sigma", "feeds"})
_DATA_SUFFIXES = frozenset({".yar", ".yara", ".sigma", ".rules", ".ioc", ".txt", ".csv", ".tsv", ".list", ".lst"})
_TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "fixtures", "testdata", "test-data", "test_data"})
_EXAMPLE_DIRS = frozenset({"example", "examples", "samples", "sample", "demo", "demos"})
_TEST_FILE = re.compile(r"(?i)^(test_.*|.*_test\.\w+|.*\.(?:test|spec)\.\w+|conftest\.py)$")
_HUMAN_DOCS = re.compile(r"(?i)^(readme|changelog|changes|history|license|licence|contributing|authors|notice|security|code_of_conduct)(\.\w+)?$")
_COMMENT_LINE = re.compile(r"^\s*(#(?!!)|//|;|rem\b|::|\*(?!\*)|/\*)", re.IGNORECASE)
_MARKUP_LANGUAGES = frozenset({"html", "xml", "svg", "markdown"})
_DASH_COMMENT_LANGUAGES = frozenset({"sql", "lua", "haskell", "ada"})


def classify(skill: Skill, artifact: Artifact, span: Span) -> Context:
    """Polarity of the text at `span` (in the artifact's own coordinates)."""
    role = _file_role(skill, artifact.display_path)
    if role is not None:
        return role
    host = _markdown_host(skill, artifact)
    if host is not None:
        line = artifact.host_line(span.start_line)
        column = span.start_col if not artifact.is_virtual else 1
        end = span.end_col if span.end_line == span.start_line and not artifact.is_virtual else 0
        return _markdown_context(skill, host, line, column, fenced=artifact.is_virtual, end_column=end)
    return _script_context(artifact, span)


def file_role(skill: Skill, path: PurePosixPath) -> Context | None:
    """Context that comes from the file alone (test data, examples, human docs, detection data)."""
    return _file_role(skill, path)


def _file_role(skill: Skill, path: PurePosixPath) -> Context | None:
    folders = {part.lower() for part in path.parts[:-1]}
    if folders & _TEST_DIRS or _TEST_FILE.match(path.name):
        return Context(Polarity.TEST_FIXTURE, f"in test data ({path})")
    if folders & _EXAMPLE_DIRS:
        return Context(Polarity.EXAMPLE, f"in an examples folder ({path})")
    if len(path.parts) == 1 and _HUMAN_DOCS.match(path.name) and not _referenced(skill, path):
        return Context(Polarity.DOCUMENTATION, f"{path.name} is for humans and SKILL.md does not point the agent at it")
    if _detection_data(skill, path):
        return Context(Polarity.EXAMPLE, f"detection data ({path}): patterns to look for, not steps to take")
    return None


def _detection_data(skill: Skill, path: PurePosixPath) -> bool:
    """A data file (not a script, not Markdown) kept in a deny-list / signature folder."""
    artifact = next((a for a in skill.artifacts if a.path == path), None)
    if artifact is None or artifact.kind not in (ArtifactKind.DOCUMENT, ArtifactKind.CONFIG) or artifact.language == "markdown":
        return False
    folders = {part.lower() for part in path.parts[:-1]}
    return bool(folders & _DATA_FOLDERS) or path.suffix.lower() in {".yar", ".yara", ".sigma", ".rules", ".ioc"} or (
        path.suffix.lower() in _DATA_SUFFIXES and bool(_DENY_LIST.search(path.name))
    )


def _referenced(skill: Skill, path: PurePosixPath) -> bool:
    for artifact in skill.artifacts:
        if artifact.kind is ArtifactKind.SKILL_MD and not artifact.is_virtual:
            return path.name.lower() in artifact.text.lower()
    return False


def _markdown_host(skill: Skill, artifact: Artifact) -> Artifact | None:
    if artifact.is_virtual:
        for candidate in skill.artifacts:
            if candidate.path == artifact.parent:
                return candidate
        return None
    return artifact if artifact.language == "markdown" else None


def _markdown_context(skill: Skill, host: Artifact, line: int, column: int, fenced: bool, end_column: int = 0) -> Context:
    lines = host.text.split("\n")
    line_text = lines[line - 1] if 0 < line <= len(lines) else ""
    plain = view(line_text, None).text  # "P\u200bOST" reads as "POST" for the imperative checks
    segment = _segment_at(host, line, fenced)
    if segment is not None and segment.kind is SegmentKind.FRONTMATTER:
        # Loaded into every session, so no heading or file role softens it — only its own
        # sentence can ("refuses recursive deletes of ~").
        return _cue_verdict(_sentence_prefix(line_text, column), "the description") or INSTRUCTION
    headings = segment.heading_path if segment else ()
    if fenced and segment is not None:
        lead_in = _lead_in(lines, segment.span.start_line)
        verdict = _cue_verdict(lead_in, "the line introducing this code block")
        if verdict is not None:
            return verdict
    else:
        prefix = _sentence_prefix(line_text, column)
        if not _words(prefix):
            before = _previous_text_line(lines, line)
            if before.rstrip().endswith(":"):
                prefix = before
        verdict = _cue_verdict(prefix, "the sentence", plain)
        if verdict is not None:
            return verdict
        following = line_text[end_column - 1 :] + " " + (lines[line].strip() if line < len(lines) else "")
        if end_column and (after := _PASSIVE_NEGATION.match(following)):
            return Context(Polarity.WARNING, f"negated after the match ({after.group(1).strip()!r})")
        if segment is not None and segment.key == "table":
            header = _table_header(lines, segment.span.start_line)
            cue = _TABLE_WARNING.search(header) or _NEGATION.search(header)
            if cue:
                return Context(Polarity.WARNING, f"in a table headed {cue.group(0).strip()!r}")
        if segment is not None and segment.kind is not SegmentKind.HEADING:
            intro = _previous_text_line(lines, _block_start(lines, segment.span.start_line))
            if intro.endswith(":"):
                verdict = _cue_verdict(intro, "the line introducing it")
                if verdict is not None:
                    return verdict
        if segment is not None and segment.in_blockquote and _WARNING_MARK.search(_quote_block(lines, line)):
            return Context(Polarity.WARNING, "inside a warning blockquote")
    security_skill = _is_security_skill(skill)
    for heading in reversed(headings):
        if _ATTACK_HEADING.search(heading) or (security_skill and _SAMPLE_HEADING.search(heading)):
            return Context(Polarity.EXAMPLE, f"under the heading {heading.strip()!r}")
    if not fenced and _LEADING_NO.search(line_text):
        return Context(Polarity.WARNING, "a line that forbids what it quotes")
    if not fenced and _INLINE_LIST.search(line_text) and not _IMPERATIVE.search(plain):
        return Context(Polarity.EXAMPLE, "one of several patterns listed side by side")
    if _DENY_LIST.search(line_text) and not _IMPERATIVE.search(plain):
        return Context(Polarity.EXAMPLE, "listed as something to block")
    if not fenced and security_skill and not _IMPERATIVE.search(plain):
        return Context(Polarity.SECURITY_TOOL, "a security skill describing what it looks for")
    return INSTRUCTION


def _cue_verdict(text: str, where: str, line_text: str = "") -> Context | None:
    if not text.strip():
        return None
    if _DOUBLE_NEGATION.search(text):
        return None
    # "If the push is rejected:" states a condition, and "a run that does not stop for prompts"
    # describes; neither warns against what follows.
    negation = None if _CONDITIONAL.match(text) else _NEGATION.search(text)
    if negation and _DESCRIPTIVE_NEGATION.search(text[: negation.end()]):
        negation = None
    if negation:
        return Context(Polarity.WARNING, f"negated by {negation.group(0)!r} in {where}")
    mark = _WARNING_MARK.search(text)
    if mark:
        return Context(Polarity.WARNING, f"marked {mark.group(0).strip()!r} in {where}")
    example = _EXAMPLE.search(text)
    if example and not _IMPERATIVE.search(line_text or text):
        return Context(Polarity.EXAMPLE, f"quoted as an example ({example.group(0)!r}) in {where}")
    return None


def _script_context(artifact: Artifact, span: Span) -> Context:
    lines = artifact.text.split("\n")
    line_text = lines[span.start_line - 1] if 0 < span.start_line <= len(lines) else ""
    dash_comment = artifact.language in _DASH_COMMENT_LANGUAGES and line_text.lstrip().startswith("--")
    # "<!--" opens a comment only in markup; inside a JS string it is content the script writes.
    markup_comment = artifact.language in _MARKUP_LANGUAGES and line_text.lstrip().startswith("<!--")
    if _COMMENT_LINE.match(line_text) or dash_comment or markup_comment:
        verdict = _cue_verdict(line_text, "this comment")
        return verdict or Context(Polarity.DOCUMENTATION, "in a comment")
    window = "\n".join(lines[max(0, span.start_line - 16) : span.start_line])
    deny = _DENY_LIST.search(window)
    if deny and artifact.kind in (ArtifactKind.SCRIPT, ArtifactKind.CONFIG) and _looks_like_data(line_text):
        return Context(Polarity.EXAMPLE, f"a literal in a list named like {deny.group(0)!r}")
    return INSTRUCTION


def _looks_like_data(line: str) -> bool:
    """A bare literal in a collection (`"pastebin.com",`, `- ngrok.io`): not a call, and not a
    `"key": value` setting — `"defaultMode": "bypassPermissions"` below a deny list is live."""
    stripped = line.strip().rstrip(",")
    if not stripped or stripped[0] not in "\"'-" or "(" in stripped:
        return False
    return not re.search(r"""^(?:-\s*)?["']?[\w.-]+["']?\s*[:=]""", stripped)


def _segment_at(host: Artifact, line: int, fenced: bool) -> Segment | None:
    best: Segment | None = None
    for segment in host.segments:
        if segment.span.start_line <= line <= segment.span.end_line:
            if fenced and segment.kind is not SegmentKind.CODE_FENCE:
                continue
            if best is None or segment.kind in (SegmentKind.PROSE, SegmentKind.CODE_FENCE, SegmentKind.FRONTMATTER):
                best = segment
    return best


def _words(text: str) -> bool:
    """Whether text holds words (not just list markers, quote marks and punctuation)."""
    return bool(re.search(r"[^\W\d_]{2,}", text))


def _previous_text_line(lines: list[str], line: int) -> str:
    """The nearest non-blank line above `line` (blockquote markers removed), within three lines."""
    for number in range(line - 1, max(0, line - 4), -1):
        text = lines[number - 1].strip().lstrip(">").strip()
        if text:
            return text
    return ""


def _block_start(lines: list[str], line: int) -> int:
    """First line of the blockquote or table holding `line` (the line itself otherwise)."""
    marker = lines[line - 1].lstrip()[:1] if 0 < line <= len(lines) else ""
    if marker not in (">", "|"):
        return line
    while line > 1 and lines[line - 2].lstrip().startswith(marker):
        line -= 1
    return line


def _table_header(lines: list[str], row_line: int) -> str:
    """The first row of the Markdown table that holds `row_line`."""
    start = row_line
    while start > 1 and lines[start - 2].lstrip().startswith("|"):
        start -= 1
    return lines[start - 1] if start != row_line else ""


def _lead_in(lines: list[str], fence_line: int) -> str:
    """The nearest non-blank line above a fence (within three lines)."""
    for number in range(fence_line - 1, max(0, fence_line - 4), -1):
        text = lines[number - 1].strip()
        if text:
            return text if not text.startswith("#") else ""
    return ""


def _sentence_prefix(line: str, column: int) -> str:
    """The clause before `column`: cut at the last sentence or clause boundary that is outside
    parentheses and code spans ("To avoid re-reading it, open X" → "open"; but in
    "refuses (deletes of ~, force-push to main)" the list stays with its verb)."""
    prefix = line[: max(0, column - 1)]
    depth, in_code, cut = 0, False, -1
    for index, char in enumerate(prefix):
        if char == "`":
            in_code = not in_code
        elif in_code:
            continue
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif char in ".!?;," and depth == 0 and prefix[index + 1 : index + 2] == " ":
            following = prefix[index + 2 : index + 3]
            if char != "," or not following or following.isalpha():
                cut = index
    return prefix[cut + 1 :] if cut >= 0 else prefix


def _quote_block(lines: list[str], line: int) -> str:
    start = line
    while start > 1 and lines[start - 2].lstrip().startswith(">"):
        start -= 1
    return "\n".join(lines[start - 1 : line])


def _is_security_skill(skill: Skill) -> bool:
    """Judged on the name and the description's first sentence only: a keyword-stuffed
    description must not buy every line of the skill a softer context."""
    first_sentence = re.split(r"(?<=[.!?])\s", skill.description.strip(), maxsplit=1)[0][:300]
    return bool(_SECURITY_SKILL.search(f"{skill.name} {first_sentence}"))
