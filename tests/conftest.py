"""Shared fixtures: paths to the bundled example hub and to the real-world corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_HUB = ROOT / "examples" / "hub"
# ../shared relative to the repo root; AILIANCE_SHARED points a git worktree at the same folder.
REALWORLD = Path(os.environ.get("AILIANCE_SHARED") or ROOT.parent / "shared") / "realworld"


@pytest.fixture(scope="session", autouse=True)
def _derived_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The cache of derived data (``auditor.derived``) in a directory of this session, never the
    user's own: set in the environment, so CLI subprocesses use it too. It starts empty and
    fills as the tests load packs, so most tests run on cache hits and the first on misses."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    os.environ.pop("AILIANCE_AUDIT_NO_CACHE", None)


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
