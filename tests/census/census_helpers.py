"""Helpers of the census tests: run the census in this process, read a table back."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
for extra in (ROOT, ROOT / "bench"):  # tests.hub.* and the synthetic mirror generator
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from auditor.cli import main  # noqa: E402


def census(*args: str | Path) -> int:
    """``ailiance-audit census ARGS`` in this process, no progress bar; ``--offline`` with a
    mirror (tests never reach the internet: a repo missing from the mirror stays missing)."""
    offline = ["--offline"] if "--mirror" in args else []
    return main(["census", *map(str, args), *offline, "--no-progress"])


def table(out: Path, name: str, columns: Sequence[str] | None = None) -> list[dict[str, object]]:
    """Every row of one census table (all partitions)."""
    rows: list[dict[str, object]] = []
    for f in sorted((out / name).glob("*.parquet")):
        rows += pq.read_table(f, columns=columns).to_pylist()
    return rows
