from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Tests never read or write the user's real result cache."""
    import os

    previous = os.environ.get("SKILLSCAN_CACHE_DIR")
    os.environ["SKILLSCAN_CACHE_DIR"] = str(tmp_path_factory.mktemp("skillscan-cache"))
    yield
    if previous is None:
        os.environ.pop("SKILLSCAN_CACHE_DIR", None)
    else:
        os.environ["SKILLSCAN_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def core_rules():  # type: ignore[no-untyped-def]
    from skillscan.rules.loader import load_packs

    return [rule for pack in load_packs() for rule in pack.rules]
