from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture(scope="session")
def core_rules():  # type: ignore[no-untyped-def]
    from skillscan.rules.loader import load_packs

    return [rule for pack in load_packs() for rule in pack.rules]
