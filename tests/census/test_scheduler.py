"""``--scheduler`` joins an existing Dask cluster by address or scheduler file (as one started by
dask-kubernetes or dask-jobqueue would be), and rejects anything else as a usage error."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from census_helpers import ROOT, census, table
from distributed import Client, LocalCluster

EXAMPLES = ROOT / "examples" / "hub"


@pytest.mark.slow
def test_existing_cluster_by_address_and_by_scheduler_file(tmp_path: Path) -> None:
    with LocalCluster(
        n_workers=1, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        with Client(cluster) as client:
            client.write_scheduler_file(str(tmp_path / "scheduler.json"))
        for how in (cluster.scheduler_address, str(tmp_path / "scheduler.json")):
            out = tmp_path / f"out{len(how)}"
            assert census("--mirror", EXAMPLES, "--out", out, "--scheduler", how) == 0
            assert len({r["id"] for r in table(out, "repos")}) == 5


def test_unknown_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    code = census("--mirror", EXAMPLES, "--out", tmp_path / "o", "--scheduler", "nowhere")
    assert code == 2
