"""Fixtures: an isolated git environment and the extra mirror (see gitrepo.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks.gitrepo import apply_isolated_env


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Subprocess environment, also applied to this process (for in-process calls)."""
    return apply_isolated_env(tmp_path, monkeypatch)
