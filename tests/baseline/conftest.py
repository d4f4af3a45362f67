"""Fixtures: the isolated git environment and extra mirror of tests/hooks (hooks.gitrepo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hooks.gitrepo import isolated_env, make_mirror


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Subprocess environment, also applied to this process (for in-process ``main`` calls)."""
    values = isolated_env(tmp_path, make_mirror(tmp_path / "mirror"))
    for key in list(os.environ):
        if key.startswith(("GIT_", "PRE_COMMIT")) and key not in values:
            monkeypatch.delenv(key)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values
