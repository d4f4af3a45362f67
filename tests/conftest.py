"""Shared fixtures: paths to the bundled example hub and to the real-world corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_HUB = ROOT / "examples" / "hub"
REALWORLD = ROOT.parent / "shared" / "realworld"


@pytest.fixture
def example_hub() -> Path:
    """The bundled offline mirror (examples/hub)."""
    return EXAMPLE_HUB


@pytest.fixture
def realworld() -> Path:
    """../shared/realworld (third-party data, read at test time, never copied)."""
    if not REALWORLD.is_dir():
        pytest.skip(f"real-world corpus not found at {REALWORLD}")
    return REALWORLD
