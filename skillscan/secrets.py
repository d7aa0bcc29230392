"""Secret masking: one home for how a secret value is shown in any output."""

from __future__ import annotations

from collections.abc import Iterable

VISIBLE_PREFIX = 4


def mask(secret: str) -> str:
    """First four characters and an ellipsis: enough to recognise the key, useless to an attacker."""
    secret = secret.strip()
    if len(secret) <= VISIBLE_PREFIX * 2:
        return "****"
    return secret[:VISIBLE_PREFIX] + "…"


def mask_known(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret value in `text` by its mask (longest first)."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, mask(secret))
    return text
