"""Fixtures for the card tests: the seed card, unwrapped."""

from __future__ import annotations

from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[2] / ".." / "shared" / "seed" / "apertus-math-lora.card.txt"


def unwrap_seed(text: str) -> str:
    """The seed document wraps every line in "| … |"; take the wrapping off."""
    out = []
    for line in text.split("\n"):
        s = line.rstrip()
        if s in ("|", "| |"):
            out.append("")
            continue
        s = s[2:] if s.startswith("| ") else s[1:] if s.startswith("|") else s
        out.append(s[:-2] if s.endswith(" |") else s)
    return "\n".join(out)


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The full apertus-math-lora card (same card as R1), unwrapped."""
    if not SEED.is_file():
        pytest.skip(f"seed card not found at {SEED}")
    return unwrap_seed(SEED.read_text(encoding="utf-8"))
