"""Fixtures of the HTML report tests (helpers in html_helpers.py, shared reports in
tests/formats/format_cases.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "formats"))  # format_cases.py

from html_helpers import example_html


@pytest.fixture(scope="session")
def example() -> str:
    """The example's HTML report (rendered once per session: it loads the adapter with mlx-lm)."""
    return example_html()
