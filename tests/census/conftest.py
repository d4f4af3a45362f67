"""Fixtures of the census tests: a synthetic mirror (bench/synthetic_mirror.py, the generator
of the scale benchmark) and the loopback Hub's fixtures. Helpers are in census_helpers.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from census_helpers import ROOT
from synthetic_mirror import build

from tests.hub.fixtures import hub, hub_data

__all__ = ["ROOT", "hub", "hub_data", "mirror"]

MIRROR_REPOS = 240


@pytest.fixture(scope="session")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic mirror of 240 model repos (20 bases, adapters, merges, quantised copies)."""
    root = tmp_path_factory.mktemp("mirror")
    build(root, MIRROR_REPOS)
    return root
