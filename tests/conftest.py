"""Shared fixtures: paths to the bundled example hub and to the real-world corpus."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_HUB = ROOT / "examples" / "hub"
# ../shared relative to the repo root; AILIANCE_SHARED points a git worktree at the same folder.
REALWORLD = Path(os.environ.get("AILIANCE_SHARED") or ROOT.parent / "shared") / "realworld"


def pytest_configure(config: pytest.Config) -> None:
    """The cache of derived data (``auditor.derived``) in a directory of this session, never the
    user's own: set in the environment before any test module is collected (some load the packs
    at import), so CLI subprocesses use it too. It starts empty and fills as the tests load
    packs, so most tests run on cache hits and the first ones on misses."""
    _CACHE_HOME.append(tempfile.mkdtemp(prefix="ailiance-audit-tests-"))
    os.environ["XDG_CACHE_HOME"] = _CACHE_HOME[-1]
    os.environ.pop("AILIANCE_AUDIT_NO_CACHE", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    for path in _CACHE_HOME:
        shutil.rmtree(path, ignore_errors=True)


_CACHE_HOME: list[str] = []  # the session's cache directory, removed at the end


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
