"""The census output: one Parquet file per batch and table, written through a temporary name.

Layout: ``DIR/repos/part-*.parquet``, ``DIR/findings/part-*.parquet``, ``DIR/edges/part-*``
(a directory of files is a dataset for pyarrow, DuckDB, pandas, Spark and Polars alike). A batch
writes its findings and edges first and its ``repos`` file last: the ``repos`` files are the
resume index, so a batch whose ``repos`` file exists is complete, and files of a batch that was
cut short (no ``repos`` file) are removed before the next run writes anything.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from auditor.census.schema import SCHEMAS, TABLES, Rows, table

SUFFIX = ".parquet"


class Store:
    """A census output directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def prepare(self) -> None:
        """Create the table folders; drop temporary files and partitions of unfinished batches."""
        for name in TABLES:
            (self.root / name).mkdir(parents=True, exist_ok=True)
            for tmp in (self.root / name).glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
        complete = {p.name for p in (self.root / "repos").glob(f"*{SUFFIX}")}
        for name in ("findings", "edges"):
            for part in (self.root / name).glob(f"*{SUFFIX}"):
                if part.name not in complete:
                    part.unlink(missing_ok=True)

    def done(self) -> set[tuple[str, str | None]]:
        """(id, sha) of every repo already audited (the resume index); failed rows are not in it,
        so a rerun tries them again (the newest row of an id is the one the report reads)."""
        files = sorted((self.root / "repos").glob(f"*{SUFFIX}"))
        if not files:
            return set()
        data = pq.ParquetDataset(files, schema=SCHEMAS["repos"]).read(
            columns=["id", "sha", "status"]
        )
        rows = zip(*(data[c].to_pylist() for c in ("id", "sha", "status")), strict=True)
        return {(rid, sha) for rid, sha, status in rows if status != "failed"}

    def write(self, name: str, rows: Rows) -> int:
        """Write one batch (``name`` is its partition name); returns the repos written."""
        for tname in ("findings", "edges", "repos"):
            self._write(tname, name, table(tname, rows[tname]))
        return len(rows["repos"])

    def _write(self, tname: str, name: str, data: pa.Table) -> None:
        final = self.root / tname / f"{name}{SUFFIX}"
        tmp = final.with_name(f".{final.name}.tmp")
        pq.write_table(data, tmp, compression="zstd")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
