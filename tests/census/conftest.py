"""Fixtures of the census tests: a synthetic mirror (bench/synthetic_mirror.py, the generator
of the scale benchmark), census runs in this process, the loopback Hub's fixtures."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
for extra in (ROOT, ROOT / "bench"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from synthetic_mirror import build  # noqa: E402

from auditor.cli import main  # noqa: E402
from tests.hub.fixtures import hub, hub_data  # noqa: E402

__all__ = ["census", "hub", "hub_data", "mirror", "table"]

MIRROR_REPOS = 240


@pytest.fixture(scope="session")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic mirror of 240 model repos (20 bases, adapters, merges, quantised copies)."""
    root = tmp_path_factory.mktemp("mirror")
    build(root, MIRROR_REPOS)
    return root


def census(*args: str | Path) -> int:
    """``ailiance-audit census ARGS`` in this process, no progress bar."""
    return main(["census", *map(str, args), "--no-progress"])


def table(out: Path, name: str, columns: Sequence[str] | None = None) -> list[dict[str, object]]:
    """Every row of one census table (all partitions)."""
    files = sorted((out / name).glob("*.parquet"))
    rows: list[dict[str, object]] = []
    for f in files:
        rows += pq.read_table(f, columns=columns).to_pylist()
    return rows
