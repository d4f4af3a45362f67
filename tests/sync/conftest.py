"""Fixtures of the card-sync tests: a copy of the bundled example repo and a CLI runner."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # sync_helpers.py, sync_factories.py

from sync_helpers import EXAMPLE, EXAMPLE_HUB, Sync

from auditor import subcommands


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of examples/hub/Ailiance-fr/apertus-math-lora, audited as a local directory."""
    target = tmp_path / "apertus-math-lora"
    shutil.copytree(EXAMPLE, target)
    return target


@pytest.fixture
def sync(capsys: pytest.CaptureFixture[str]) -> Sync:
    """Run ``card sync`` like the CLI does; returns (exit code, stdout, stderr)."""

    def run(target: Path, *args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        argv = ["sync", str(target), "--mirror", str(EXAMPLE_HUB), "--offline", *args]
        code = subcommands.run("card", argv)
        out, err = capsys.readouterr()
        return code, out, err

    return run
