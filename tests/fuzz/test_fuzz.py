"""Property-based fuzzing of every parser that reads hostile text.

Runs briefly in the normal suite. At length, on demand:

    SKILLSCAN_FUZZ_SECONDS=600 pytest tests/fuzz -q      # about ten minutes per target

The properties: never raise, never hang, keep offsets inside the text, keep masking total.
"""

from __future__ import annotations

import os


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillscan import deobfuscate
from skillscan.load import decode
from skillscan.normalize import view
from skillscan.parse import frontmatter, markdown
from skillscan.secrets import mask, mask_known

_SECONDS = float(os.environ.get("SKILLSCAN_FUZZ_SECONDS", "0"))
FUZZ = settings(max_examples=10_000_000 if _SECONDS else 150, deadline=None, suppress_health_check=list(HealthCheck))
_STARTED: dict[str, float] = {}

# Text with the characters parsers trip on: fences, YAML syntax, HTML, invisible and bidi marks.
ALPHABET = st.sampled_from(list("-:#*&!|>`~<>/\\'\"[]{}()%=+,;.\n\t ab01") +
                           ["\u200b", "\u202e", "\ufeff", "\U000e0041", "é", "ｗ", "е", "```", "---", "<!--", "-->"])
HOSTILE = st.lists(ALPHABET, max_size=400).map("".join) | st.text(max_size=400)


def _budget() -> None:
    """With SKILLSCAN_FUZZ_SECONDS set, each target runs until its own budget is spent."""
    import time

    if not _SECONDS:
        return
    target = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
    started = _STARTED.setdefault(target, time.monotonic())
    if time.monotonic() - started > _SECONDS:
        raise _BudgetSpent


class _BudgetSpent(BaseException):
    """Ends a long fuzzing run cleanly (BaseException: hypothesis does not treat it as a failure)."""


def _run(target):  # type: ignore[no-untyped-def]
    """Run a hypothesis target; a spent budget is a pass."""

    def wrapper() -> None:
        try:
            target()
        except _BudgetSpent:
            pass

    wrapper.__name__ = target.__name__
    return wrapper


@_run
@FUZZ
@given(HOSTILE)
def test_frontmatter_never_raises(body: str) -> None:
    _budget()
    result = frontmatter.parse("---\n" + body + "\n---\nbody")
    assert isinstance(result.data, dict)


@_run
@FUZZ
@given(HOSTILE)
def test_markdown_segments_stay_inside_the_text(text: str) -> None:
    _budget()
    segments, fences = markdown.segment(text)
    for segment in segments:
        assert text[segment.start_offset : segment.start_offset + len(segment.text)] == segment.text
    for fence in fences:
        assert fence.first_body_line >= 1


@_run
@FUZZ
@given(HOSTILE, st.sampled_from([None, "shell", "python", "powershell", "javascript"]))
def test_normalised_view_maps_back_inside_the_source(text: str, language: str | None) -> None:
    _budget()
    normal = view(text, language)
    for offset in range(len(normal.text)):
        assert 0 <= normal.source_offset(offset) < max(1, len(text))


@_run
@FUZZ
@given(HOSTILE | st.binary(max_size=300).map(lambda b: b.hex()) | st.binary(max_size=300).map(
    lambda b: __import__("base64").b64encode(b).decode()))
def test_decoders_never_raise_and_stay_bounded(text: str) -> None:
    _budget()
    for layer in deobfuscate.layers(text):
        assert 0 <= layer.offset <= len(text)
        assert len(layer.text) <= deobfuscate.MAX_DECODED_BYTES * 4


@_run
@FUZZ
@given(st.binary(max_size=600))
def test_decode_handles_any_bytes(data: bytes) -> None:
    _budget()
    text = decode(data)
    assert text is None or isinstance(text, str)


@_run
@FUZZ
@given(st.text(min_size=1, max_size=80), st.text(max_size=200))
def test_masking_never_leaks_a_known_secret(secret: str, text: str) -> None:
    _budget()
    if len(secret.strip()) < 12:
        return
    masked = mask_known(text + secret.strip() + text, {secret.strip()})
    assert secret.strip() not in masked or mask(secret.strip()) in secret.strip()
